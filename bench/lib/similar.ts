/**
 * (g) similar: the similar-users index past one box (issue #18 part 4). Opt-in (`--only similar`):
 * it writes a simulated population (bench/lib/population.ts) and starts one API-side index per size
 * and design in a child process (bench/child/similar.ts), measuring its memory, its start-up to a
 * ready index and its query time (k = 10).
 *
 *   topic     today's design: replay the compacted profiles topic. The parent produces
 *             min(users, topicUsers) profile events of the real shape; a larger population is fed
 *             to the child's follower in-process and its start-up is estimated (see the child).
 *   snapshot  the new design: the parent writes the similar-users snapshot straight to Redis
 *             (RedisSimilarSnapshot.write, what the processors' write-behind sends) and a
 *             placeholder profile key per user (what the erased-user check looks for); the child
 *             loads the snapshot and follows an empty profiles topic.
 */
import type { Producer } from 'kafkajs';
import { Parts } from '../../src/app/parts.js';
import { loadConfig } from '../../src/config/index.js';
import { Keys, type SimilarEntry } from '../../src/store/index.js';
import { silentLogger } from '../../src/util/logger.js';
import type { SimilarChildArgs, SimilarChildResult } from '../child/similar.js';
import { BenchChild } from './child.js';
import { Population } from './population.js';
import type { Stack } from './stack.js';

export interface SimilarOptions {
  sizes: number[];
  /** most profile events written to the topic per size (the rest is extrapolated) */
  topicUsers: number;
  queries: number;
  dim: number;
  shards: number;
  redisUrl: string;
  brokers: string[];
  designs: ('topic' | 'snapshot')[];
}

export interface SimilarSize {
  users: number;
  topic?: SimilarChildResult & { produceMs: number; topicUsers: number; topicMiB: number };
  snapshot?: SimilarChildResult & { writeMs: number; writesPerSecond: number; redisSnapshotMiB: number; redisProfileKeysMiB: number; shards: number };
}

export interface SimilarResult {
  dim: number;
  sizes: SimilarSize[];
}

async function produceProfiles(producer: Producer, topic: string, pop: Population, n: number): Promise<number> {
  let bytes = 0;
  const CHUNK = 300;
  const inFlight: Promise<unknown>[] = [];
  for (let from = 0; from < n; from += CHUNK) {
    const messages = [];
    for (let i = from; i < Math.min(n, from + CHUNK); i++) {
      const value = pop.profileEventJson(i);
      bytes += value.length;
      messages.push({ key: pop.userId(i), value });
    }
    inFlight.push(producer.send({ topic, messages, acks: 1 }));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return bytes;
}

async function runChild(args: SimilarChildArgs, label: string): Promise<SimilarChildResult> {
  const child = new BenchChild('similar.ts', { BENCH_ARGS: JSON.stringify(args) }, label);
  try {
    const m = await child.waitFor('result', 1_800_000);
    return m.result as SimilarChildResult;
  } finally {
    await child.exit;
  }
}

const usedMemory = async (stack: Stack) => Number(/used_memory:(\d+)/.exec(await stack.redis.info('memory'))?.[1] ?? 0);
const mib = (b: number) => Math.round(b / 2 ** 20);

/** The snapshot of users [0, n) written as the processors write it, plus a placeholder profile key per user. */
async function writeSnapshot(stack: Stack, opts: SimilarOptions, prefix: string, ns: string, pop: Population, n: number) {
  const cfg = loadConfig({ overrides: { redis: { url: opts.redisUrl, keyPrefix: prefix, namespace: ns, similarShards: opts.shards } } });
  const parts = new Parts(cfg, silentLogger);
  const keys = new Keys(prefix, ns);
  try {
    const snapshot = parts.similarSnapshot(ns);
    const m0 = await usedMemory(stack);
    const CHUNK = 500;
    for (let from = 0; from < n; from += CHUNK * 8) {
      const pipe = stack.redis.pipeline();
      for (let i = from; i < Math.min(n, from + CHUNK * 8); i++) pipe.hset(keys.profile(pop.userId(i)), 'v', '1');
      await pipe.exec();
    }
    const m1 = await usedMemory(stack);
    const t0 = Date.now();
    const inFlight: Promise<unknown>[] = [];
    for (let from = 0; from < n; from += CHUNK) {
      const entries: SimilarEntry[] = [];
      for (let i = from; i < Math.min(n, from + CHUNK); i++) entries.push({ userId: pop.userId(i), version: 1, centroid: pop.vector(i) });
      inFlight.push(snapshot.write(entries));
      if (inFlight.length >= 8) await inFlight.shift();
    }
    await Promise.all(inFlight);
    const writeMs = Date.now() - t0;
    const m2 = await usedMemory(stack);
    return { writeMs, writesPerSecond: Math.round(n / (writeMs / 1000)), redisSnapshotMiB: mib(m2 - m1), redisProfileKeysMiB: mib(m1 - m0), shards: opts.shards };
  } finally {
    await parts.close();
  }
}

export async function similarPhase(stack: Stack, opts: SimilarOptions, log: (s: string) => void): Promise<SimilarResult> {
  const pop = new Population(opts.dim, 7);
  const sizes: SimilarSize[] = [];
  // one topic per number of profile events on it (sizes above topicUsers share one)
  const topics = new Map<number, { topic: string; produceMs: number; bytes: number }>();
  const topicWith = async (n: number) => {
    let t = topics.get(n);
    if (!t) {
      const { profiles: topic } = await stack.topic('similar', 6);
      await stack.admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], waitForLeaders: true });
      const t0 = Date.now();
      // a producer per topic: one that outlives a deleted topic fails its metadata refresh
      const producer = await stack.producer();
      let bytes = 0;
      try {
        if (n > 0) bytes = await produceProfiles(producer, topic, pop, n);
      } finally {
        await producer.disconnect();
      }
      t = { topic, produceMs: Date.now() - t0, bytes };
      if (n > 0) log(`  topic: ${n} profile events (${mib(bytes)} MiB) produced in ${Math.round(t.produceMs / 1000)} s`);
      topics.set(n, t);
    }
    return t;
  };
  for (const users of opts.sizes) {
    const row: SimilarSize = { users };
    const prefix = stack.prefix();
    const ns = 'bench';
    const base = { users, brokers: opts.brokers, redisUrl: opts.redisUrl, keyPrefix: prefix, namespace: ns, dim: opts.dim, seed: 7, queries: opts.queries, shards: opts.shards };
    if (opts.designs.includes('topic')) {
      const topicUsers = Math.min(users, opts.topicUsers);
      const t = await topicWith(topicUsers);
      const r = await runChild({ ...base, mode: 'topic', topic: t.topic, topicUsers }, `similar-topic-${users}`);
      row.topic = { ...r, produceMs: t.produceMs, topicUsers, topicMiB: mib(t.bytes) };
      log(
        `  ${users} topic: start-up ${(r.startupMs / 1000).toFixed(1)} s${r.startupEstimated ? ' (estimated)' : ''}, RSS ${r.rssReadyMiB} MiB (+${Math.round(r.rssReadyMiB - r.rssBaselineMiB)}), query p50 ${r.query.p50.toFixed(1)} ms p99 ${r.query.p99.toFixed(1)} ms`,
      );
    }
    if (opts.designs.includes('snapshot')) {
      const w = await writeSnapshot(stack, opts, prefix, ns, pop, users);
      log(`  ${users} snapshot: written in ${(w.writeMs / 1000).toFixed(1)} s (${w.writesPerSecond}/s), Redis +${w.redisSnapshotMiB} MiB (+${w.redisProfileKeysMiB} MiB placeholder profiles)`);
      const t = await topicWith(0);
      const r = await runChild({ ...base, mode: 'snapshot', topic: t.topic, topicUsers: 0 }, `similar-snapshot-${users}`);
      row.snapshot = { ...r, ...w };
      log(
        `  ${users} snapshot: start-up ${(r.startupMs / 1000).toFixed(1)} s (load ${((r.snapshotLoadMs ?? 0) / 1000).toFixed(1)} s), RSS ${r.rssReadyMiB} MiB (+${Math.round(r.rssReadyMiB - r.rssBaselineMiB)}), query p50 ${r.query.p50.toFixed(1)} ms p99 ${r.query.p99.toFixed(1)} ms, checked p50 ${r.checkedQuery?.p50.toFixed(1)} ms p99 ${r.checkedQuery?.p99.toFixed(1)} ms`,
      );
    }
    // the population's keys go now, not at the end: 1M users hold ~0.6 GB of Redis
    await stack.deletePrefix(prefix);
    sizes.push(row);
  }
  return { dim: opts.dim, sizes };
}
