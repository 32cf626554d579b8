import { mkdirSync } from 'node:fs';
import type { Config } from '../config/index.js';
import { projectPath } from '../config/index.js';
import { startKafka, stopKafka, type KafkaStackOptions } from './kafka.js';
import { ensureRedis, stopRedis } from './redis.js';

export const STACK_HOST = '127.0.0.1';

export interface StackInfo {
  kafka: { state: string; pid?: number; bootstrap: string };
  redis: { state: string; pid?: number; url: string };
}

function kafkaOptions(cfg: Pick<Config, 'stack'>, log?: (m: string) => void): KafkaStackOptions {
  const s = cfg.stack;
  return {
    dir: projectPath(s.dir),
    pom: projectPath('stack/pom.xml'),
    version: s.kafkaVersion,
    log4jSlf4jVersion: s.log4jSlf4jVersion,
    host: STACK_HOST,
    port: s.kafkaPort,
    controllerPort: s.controllerPort,
    heap: s.heap,
    startTimeoutMs: s.startTimeoutMs,
    ...(log ? { log } : {}),
  };
}

/** Bring up Kafka (from Maven jars) and Redis on 127.0.0.1; reuse whatever already runs. */
export async function stackUp(cfg: Pick<Config, 'stack'>, log?: (m: string) => void): Promise<StackInfo> {
  const dir = projectPath(cfg.stack.dir);
  mkdirSync(dir, { recursive: true });
  const redis = await ensureRedis({ dir, host: STACK_HOST, port: cfg.stack.redisPort, startTimeoutMs: cfg.stack.startTimeoutMs, ...(log ? { log } : {}) });
  const kafka = await startKafka(kafkaOptions(cfg, log));
  return { kafka, redis };
}

/** Stop only what stackUp started (by pid file), gracefully. */
export async function stackDown(cfg: Pick<Config, 'stack'>): Promise<string[]> {
  const dir = projectPath(cfg.stack.dir);
  return [await stopKafka({ dir }), await stopRedis({ dir })];
}

export { ensureKafkaJars, kafkaLibDir } from './kafka.js';
export { portAccepts } from './proc.js';
export { redisAnswers } from './redis.js';
