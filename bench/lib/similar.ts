/**
 * (g) similar: the similar-users index past one box (issue #18 part 4). Opt-in (`--only similar`):
 * it writes a simulated population (bench/lib/population.ts) and starts one API-side index per size
 * and design in a child process (bench/child/similar.ts), measuring its memory, its start-up to a
 * ready index and its query time (k = 10).
 *
 *   topic     today's design: replay the compacted profiles topic. The parent produces
 *             min(users, topicUsers) profile events of the real shape; a larger population is fed
 *             to the child's follower in-process and its start-up is estimated (see the child).
 */
import type { Producer } from 'kafkajs';
import { BenchChild } from './child.js';
import { Population } from './population.js';
import type { Stack } from './stack.js';
import type { SimilarChildArgs, SimilarChildResult } from '../child/similar.js';

export interface SimilarOptions {
  sizes: number[];
  /** most profile events written to the topic per size (the rest is extrapolated) */
  topicUsers: number;
  queries: number;
  dim: number;
  redisUrl: string;
  brokers: string[];
}

export interface SimilarSize {
  users: number;
  topic?: SimilarChildResult & { produceMs: number; topicUsers: number; topicMiB: number };
  snapshot?: SimilarChildResult;
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
    if (m.type !== 'result') throw new Error(`${label}: ${String(m.message ?? m.type)}`);
    return m.result as SimilarChildResult;
  } finally {
    await child.exit;
  }
}

export async function similarPhase(stack: Stack, opts: SimilarOptions, log: (s: string) => void): Promise<SimilarResult> {
  const pop = new Population(opts.dim, 7);
  const sizes: SimilarSize[] = [];
  const producer = await stack.producer();
  try {
    for (const users of opts.sizes) {
      const row: SimilarSize = { users };
      const topicUsers = Math.min(users, opts.topicUsers);
      const { profiles: topic } = await stack.topic('similar', 6);
      await stack.admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], waitForLeaders: true });
      const t0 = Date.now();
      const bytes = await produceProfiles(producer, topic, pop, topicUsers);
      const produceMs = Date.now() - t0;
      log(`  ${users} users, topic: ${topicUsers} profile events (${Math.round(bytes / 2 ** 20)} MiB) produced in ${Math.round(produceMs / 1000)} s`);
      const prefix = stack.prefix();
      const base = { users, topicUsers, topic, brokers: opts.brokers, redisUrl: opts.redisUrl, keyPrefix: prefix, namespace: 'bench', dim: opts.dim, seed: 7, queries: opts.queries };
      const r = await runChild({ ...base, mode: 'topic' }, `similar-topic-${users}`);
      row.topic = { ...r, produceMs, topicUsers, topicMiB: Math.round(bytes / 2 ** 20) };
      log(
        `  topic: start-up ${(r.startupMs / 1000).toFixed(1)} s${r.startupEstimated ? ' (estimated)' : ''}, RSS ${r.rssReadyMiB} MiB (+${Math.round(r.rssReadyMiB - r.rssBaselineMiB)}), query p50 ${r.query.p50.toFixed(1)} ms p99 ${r.query.p99.toFixed(1)} ms`,
      );
      await stack.admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      sizes.push(row);
    }
  } finally {
    await producer.disconnect();
  }
  return { dim: opts.dim, sizes };
}
