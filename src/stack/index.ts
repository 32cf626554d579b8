import { mkdirSync } from 'node:fs';
import type { Config } from '../config/index.js';
import { projectPath } from '../config/index.js';
import { hasKafkaData, kafkaRunning, startKafka, stopKafka, type KafkaStackOptions } from './kafka.js';
import { PortraitError } from '../util/errors.js';
import { ensureRedis, stopRedis } from './redis.js';

export const STACK_HOST = '127.0.0.1';

export interface StackInfo {
  kafka: { state: string; pid?: number; bootstrap: string; storage?: 'kept' | 'fresh' };
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

/**
 * Bring up Kafka (from Maven jars) and Redis on 127.0.0.1; reuse whatever already runs. The broker
 * keeps its storage across `stack down` / `stack up` (topics, topic IDs, committed offsets), so
 * profiles in Redis stay in step with it; `fresh` formats new storage (the broker must be down).
 */
export async function stackUp(cfg: Pick<Config, 'stack'>, log?: (m: string) => void, opts: { fresh?: boolean; beforeWipe?: () => Promise<void> } = {}): Promise<StackInfo> {
  const dir = projectPath(cfg.stack.dir);
  mkdirSync(dir, { recursive: true });
  if (opts.fresh) {
    const pid = kafkaRunning({ dir });
    if (pid !== undefined) throw new PortraitError('USAGE', `the local Kafka broker runs (pid ${pid}); stop it with \`portrait stack down\` before starting it on fresh storage`);
  }
  const redis = await ensureRedis({ dir, host: STACK_HOST, port: cfg.stack.redisPort, startTimeoutMs: cfg.stack.startTimeoutMs, ...(log ? { log } : {}) });
  // with Redis up: say (or drop) what was folded from the topics about to be wiped
  if (opts.fresh && hasKafkaData({ dir })) await opts.beforeWipe?.();
  const kafka = await startKafka({ ...kafkaOptions(cfg, log), keepData: !opts.fresh });
  return { kafka, redis };
}

/** The pid of the local broker when it runs (started by this stack folder). */
export function stackKafkaPid(cfg: Pick<Config, 'stack'>): number | undefined {
  return kafkaRunning({ dir: projectPath(cfg.stack.dir) });
}

/** Stop only what stackUp started (by pid file), gracefully. */
export async function stackDown(cfg: Pick<Config, 'stack'>): Promise<string[]> {
  const dir = projectPath(cfg.stack.dir);
  return [await stopKafka({ dir }), await stopRedis({ dir })];
}

export { ensureKafkaJars, kafkaLibDir } from './kafka.js';
export { portAccepts } from './proc.js';
export { redisAnswers } from './redis.js';
