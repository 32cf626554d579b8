/**
 * The production-shaped topology from one command (issue #22): `portrait stack up --brokers 3
 * --redis-cluster 3x1` starts three KRaft nodes (replication factor 3, min.insync.replicas 2) and a
 * Redis Cluster of three primaries with a replica each, from the same jars and redis-server as the
 * single-node stack; Portrait's topics get three replicas, a processor folds comments into the
 * Cluster, and a SIGKILLed broker's partitions get new leaders while the ISR keeps two. On its own
 * folder and ports, so the suite's stack is untouched; stopped node by node from the stack modules
 * (`stack down` would stop the suite's broker too).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { stopKafkaCluster } from '../../src/stack/kafka-cluster.js';
import { clusterTopology, stopRedisCluster } from '../../src/stack/redis-cluster.js';
import { Keys } from '../../src/store/keys.js';
import { runCli } from '../helpers/cli.js';
import { isRunning, spawnPortrait, stopRun } from '../helpers/faults.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const bin = resolve(import.meta.dirname, '../../bin/portrait.js');

describe('portrait stack up --brokers 3 --redis-cluster 3x1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portrait-cluster-'));
  const ports = { kafka: 19292, controller: 19293, redis: 17100 };
  const stackEnv = {
    PORTRAIT_STACK_DIR: dir,
    PORTRAIT_STACK_KAFKA_PORT: String(ports.kafka),
    PORTRAIT_STACK_CONTROLLER_PORT: String(ports.controller),
    PORTRAIT_STACK_REDIS_CLUSTER_PORT: String(ports.redis),
  };
  afterAll(async () => {
    await stopKafkaCluster({ dir, nodes: 3, port: ports.kafka, controllerPort: ports.controller });
    await stopRedisCluster({ dir });
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts the replicated topology; topics get 3 replicas and min.insync.replicas 2; a processor folds into the Redis Cluster; a killed broker loses its leaderships, not the ISR minimum', async () => {
    const up = await run(process.execPath, [bin, 'stack', 'up', '--brokers', '3', '--redis-cluster', '3x1', '--json'], { env: { ...process.env, ...stackEnv }, timeout: 240_000 });
    const info = JSON.parse(up.stdout) as {
      kafka: { state: string; bootstrap: string; nodes: { id: number; pid: number; port: number }[]; replicationFactor: number; minInsyncReplicas: number };
      redis: { state: string; nodes: string[] };
      env: Record<string, string>;
    };
    expect(info.kafka.state).toBe('started');
    expect(info.kafka.nodes.map((n) => n.port)).toEqual([ports.kafka, ports.kafka + 2, ports.kafka + 4]);
    expect([info.kafka.replicationFactor, info.kafka.minInsyncReplicas]).toEqual([3, 2]);
    expect(info.redis.nodes).toHaveLength(6);
    const shards = await clusterTopology('127.0.0.1', ports.redis);
    expect(shards.map((s) => s.replicas.length)).toEqual([1, 1, 1]);
    for (const n of info.kafka.nodes) expect(readFileSync(`/proc/${n.pid}/cmdline`, 'utf8')).toContain('kafka.Kafka');

    // Portrait on it: topics, a few comments, a processor
    const env = {
      ...stackEnv,
      ...info.env,
      PORTRAIT_REDIS_KEY_PREFIX: 'clu',
      PORTRAIT_METRICS_PORT: '0',
      PORTRAIT_LOG_LEVEL: 'warn',
      PORTRAIT_KAFKA_TOPICS_COMMENTS: 'cc',
      PORTRAIT_KAFKA_TOPICS_PROFILES: 'cp',
      PORTRAIT_KAFKA_TOPICS_DEAD_LETTER: 'cd',
    };
    const created = await runCli(['topics', 'create'], env, { timeoutMs: 60_000 });
    expect(created.code, created.stderr).toBe(0);
    const kafka = new Kafka({ clientId: 'cluster-test', brokers: info.kafka.bootstrap.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: ['cc', 'cp'] });
      for (const t of meta.topics) for (const p of t.partitions) expect(p.replicas, `${t.name}/${p.partitionId}`).toHaveLength(3);
      const cfgs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'cc', configNames: ['min.insync.replicas'] }] });
      expect(cfgs.resources[0]!.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue).toBe('2');

      const produced = await runCli(['produce', '--file', 'data/sib200_zh.jsonl', '--users', '6', '--limit', '60'], env, { timeoutMs: 60_000 });
      expect(produced.code, produced.stderr).toBe(0);
      const proc = spawnPortrait(['run'], { ...env, PORTRAIT_KAFKA_GROUP_ID: 'cluster-test' });
      const redis = new Cluster(info.redis.nodes.map((n) => ({ host: n.split(':')[0]!, port: Number(n.split(':')[1]) })));
      try {
        const keys = new Keys('clu', 'main');
        const counts = await waitFor(
          'every comment folded into the Redis Cluster',
          async () => {
            const out: number[] = [];
            for (let i = 1; i <= 6; i++) {
              const raw = await redis.hget(keys.profile(`u000${i}`), 'profile');
              out.push(raw ? (JSON.parse(raw) as { commentCount: number }).commentCount : 0);
            }
            return out.reduce((a, b) => a + b, 0) === 60 ? out : undefined;
          },
          // a processor that exited says why at once (its error is in the log printed below)
          { timeoutMs: 90_000, alive: () => isRunning(proc) },
        );
        expect(counts).toEqual([10, 10, 10, 10, 10, 10]);
      } catch (err) {
        // what the processor said is what a failure here is diagnosed from
        const logFile = join(tmpdir(), `portrait-stack-cluster-${Date.now()}.log`);
        writeFileSync(logFile, proc.stderr());
        console.error(`[stack-cluster] the processor's log is in ${logFile}, last lines:\n${proc.stderr().split('\n').slice(-60).join('\n')}`);
        throw err;
      } finally {
        redis.disconnect();
      }

      // SIGKILL the node leading most of the comments' partitions: its leaderships move, the ISR keeps two
      const before = (await admin.fetchTopicMetadata({ topics: ['cc'] })).topics[0]!.partitions;
      const byLeader = new Map<number, number>();
      for (const p of before) byLeader.set(p.leader, (byLeader.get(p.leader) ?? 0) + 1);
      const victim = [...byLeader].sort((a, b) => b[1] - a[1])[0]![0];
      process.kill(info.kafka.nodes.find((n) => n.id === victim)!.pid, 'SIGKILL');
      const after = await waitFor(
        `partitions led by node ${victim} to get new leaders`,
        async () => {
          const ps = (await admin.fetchTopicMetadata({ topics: ['cc'] }).catch(() => undefined))?.topics[0]?.partitions;
          return ps?.every((p) => p.leader !== victim && p.leader >= 1 && p.isr.length >= 2) ? ps : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect(after.every((p) => !p.isr.includes(victim))).toBe(true);
      await stopRun(proc);
    } finally {
      await admin.disconnect();
    }
  }, 300_000);
});
