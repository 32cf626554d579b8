import { mkdirSync } from 'node:fs';
import type { Config } from '../config/index.js';
import { projectPath } from '../config/index.js';
import { hasKafkaData, kafkaRunning, startKafka, stopKafka, type KafkaStackOptions } from './kafka.js';
import { PortraitError } from '../util/errors.js';
import { ensureRedis, stopRedis } from './redis.js';
import { startKafkaCluster, stopKafkaCluster, type KafkaClusterOptions } from './kafka-cluster.js';
import { startRedisCluster, stopRedisCluster } from './redis-cluster.js';

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

export interface ClusterStackInfo {
  kafka: { state: string; bootstrap: string; nodes: { id: number; pid: number; port: number; state: string }[]; storage: 'kept' | 'fresh'; replicationFactor: number; minInsyncReplicas: number };
  redis: { state: string; nodes: string[]; primaries: number; replicas: number };
  /** the PORTRAIT_* settings that point Portrait at this topology */
  env: Record<string, string>;
}

/** The Kafka cluster options of this config (`stack up --brokers N`). */
export function kafkaClusterOptions(cfg: Pick<Config, 'stack'>, nodes: number, log?: (m: string) => void): KafkaClusterOptions {
  return { ...kafkaOptions(cfg, log), heap: cfg.stack.clusterHeap, nodes };
}

/**
 * A production-shaped topology on this machine (docs/reliability.md, "A replicated topology"):
 * `brokers` KRaft nodes (replication factor `brokers`, min.insync.replicas `brokers - 1`) and a
 * Redis Cluster of `redisCluster.primaries` primaries with `redisCluster.replicas` replicas each.
 * Started from the same jars and redis-server as the single-node stack; a port taken by anything
 * else (the single broker uses node 1's by default) is refused. Storage is kept across down/up
 * unless `fresh`.
 */
export async function stackUpCluster(cfg: Pick<Config, 'stack'>, o: { brokers: number; redisCluster: { primaries: number; replicas: number }; fresh?: boolean }, log?: (m: string) => void): Promise<ClusterStackInfo> {
  const dir = projectPath(cfg.stack.dir);
  mkdirSync(dir, { recursive: true });
  const redis = await startRedisCluster({
    dir,
    host: STACK_HOST,
    basePort: cfg.stack.redisClusterPort,
    primaries: o.redisCluster.primaries,
    replicas: o.redisCluster.replicas,
    startTimeoutMs: cfg.stack.startTimeoutMs,
    ...(o.fresh ? { fresh: true } : {}),
    ...(log ? { log } : {}),
  });
  const kafka = await startKafkaCluster({ ...kafkaClusterOptions(cfg, o.brokers, log), ...(o.fresh ? { fresh: true } : {}) });
  const rf = o.brokers;
  return {
    kafka: { ...kafka, replicationFactor: rf, minInsyncReplicas: Math.max(1, rf - 1) },
    redis: { state: redis.state, nodes: redis.nodes, primaries: o.redisCluster.primaries, replicas: o.redisCluster.replicas },
    env: {
      PORTRAIT_KAFKA_BROKERS: kafka.bootstrap,
      PORTRAIT_KAFKA_REPLICATION_FACTOR: String(rf),
      PORTRAIT_REDIS_CLUSTER_NODES: redis.nodes.join(','),
    },
  };
}

/** The pid of the local broker when it runs (started by this stack folder). */
export function stackKafkaPid(cfg: Pick<Config, 'stack'>): number | undefined {
  return kafkaRunning({ dir: projectPath(cfg.stack.dir) });
}

/** Stop only what stackUp started (by pid file), gracefully. */
export async function stackDown(cfg: Pick<Config, 'stack'>): Promise<string[]> {
  const dir = projectPath(cfg.stack.dir);
  const cluster = { dir, nodes: MAX_CLUSTER_NODES, port: cfg.stack.kafkaPort, controllerPort: cfg.stack.controllerPort };
  return [await stopKafka({ dir }), await stopRedis({ dir }), ...(await stopKafkaCluster(cluster)), ...(await stopRedisCluster({ dir }))];
}

/** `stack down` looks for this many cluster nodes' pid files (more than anyone starts here). */
const MAX_CLUSTER_NODES = 9;

export { ensureKafkaJars, kafkaLibDir } from './kafka.js';
export { portAccepts } from './proc.js';
export { redisAnswers } from './redis.js';
