/**
 * Bench child of the similar-users phase (bench/lib/similar.ts): one API process's similar-users
 * index, started the way `portrait api` starts it, in a fresh process so that its memory is its own.
 *
 *   topic     ProfilesFollower replays the profiles topic from the beginning (today's design). When
 *             `users` > `topicUsers`, the records past the topic's are fed to the same follower
 *             in-process (generated one by one, their apply timed; no broker): memory and apply
 *             time are measured at full size, the fetch time is extrapolated from the replay.
 *
 *   snapshot  ProfilesFollower loads the similar-users snapshot the parent wrote to Redis, then
 *             follows the (empty) profiles topic: the new design (api.similarSource: snapshot).
 *             Its queries are timed twice: the index alone, and as the API answers them
 *             (CheckedSimilar: the EXISTS round trip that leaves erased users out).
 *
 * Then `queries` similar-users queries (k = 10) for users spread over the population.
 *
 * Input (env BENCH_ARGS, JSON): see Args. Output: one 'result' message (SimilarChildResult).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Parts } from '../../src/app/parts.js';
import { loadConfig } from '../../src/config/index.js';
import { quantile } from '../../src/util/stats.js';
import { silentLogger } from '../../src/util/logger.js';
import { ProfilesFollower } from '../../consumers/profiles.js';
import { CheckedSimilar } from '../../src/similar/checked.js';
import { Population } from '../lib/population.js';

export interface SimilarChildArgs {
  mode: 'topic' | 'snapshot';
  /** redis.similarShards of the snapshot (snapshot mode) */
  shards: number;
  users: number;
  /** users whose profile events are on the topic (topic mode) */
  topicUsers: number;
  topic: string;
  brokers: string[];
  redisUrl: string;
  keyPrefix: string;
  namespace: string;
  dim: number;
  seed: number;
  queries: number;
}

export interface SimilarChildResult {
  mode: string;
  users: number;
  indexedUsers: number;
  /** start() to a ready index, ms (topic mode: the replay of topicUsers records) */
  readyMs: number;
  /** topic mode: time spent in the follower's apply during the replay (JSON parse + upsert) */
  replayApplyMs?: number;
  /** topic mode with users > topicUsers: apply time of the records fed in-process */
  fedApplyMs?: number;
  /** start-up to a ready index for all `users` (measured, or estimated: see `startupEstimated`) */
  startupMs: number;
  startupEstimated: boolean;
  rssBaselineMiB: number;
  rssReadyMiB: number;
  heapUsedMiB: number;
  indexMiB: number;
  query: { p50: number; p99: number; max: number; n: number };
  /**
   * CPU time of the process per query, ms: what the query costs with the cores to itself (on a
   * loaded machine the wall time above also holds the time waiting for a core)
   */
  queryCpu?: { p50: number; p99: number; max: number; n: number };
  /** snapshot mode: the load of the shards alone, ms */
  snapshotLoadMs?: number;
  /** the query as the API answers it: the index, then the erased-user check in Redis */
  checkedQuery?: { p50: number; p99: number; max: number; n: number };
}

const args = JSON.parse(process.env.BENCH_ARGS ?? '{}') as SimilarChildArgs;
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
const rss = () => {
  gc();
  gc();
  return mib(process.memoryUsage().rss);
};

async function main(): Promise<void> {
  const cfg = loadConfig({ overrides: { kafka: { brokers: args.brokers }, redis: { url: args.redisUrl, keyPrefix: args.keyPrefix, namespace: args.namespace, similarShards: args.shards } } });
  const parts = new Parts(cfg, silentLogger, { kafkaClientIdSuffix: '-bench-similar' });
  const pop = new Population(args.dim, args.seed);
  const rssBaselineMiB = rss();
  const snapshot = args.mode === 'snapshot' ? parts.similarSnapshot(args.namespace) : undefined;
  const follower = new ProfilesFollower(parts.kafka, { topic: args.topic, groupPrefix: 'bench-similar', log: silentLogger, ...(snapshot ? { snapshot } : {}) });
  let applyMs = 0;
  const apply = follower.apply.bind(follower);
  follower.apply = (k, v) => {
    const t = performance.now();
    apply(k, v);
    applyMs += performance.now() - t;
  };
  // ready (what GET /similar waits for), not start(): with nothing left to catch up on, the index
  // serves before the follower's consumer group has finished joining
  const t0 = performance.now();
  const started = follower.start();
  await Promise.race([follower.ready, started.then(() => follower.ready)]);
  const readyMs = performance.now() - t0;
  await started;
  const replayApplyMs = applyMs;
  let fedApplyMs: number | undefined;
  let startupMs = readyMs;
  let startupEstimated = false;
  if (args.mode === 'topic' && args.users > args.topicUsers) {
    applyMs = 0;
    for (let i = args.topicUsers; i < args.users; i++) follower.apply(Buffer.from(pop.userId(i)), Buffer.from(pop.profileEventJson(i)));
    fedApplyMs = applyMs;
    // the replay's time outside apply (fetching, decoding batches) scaled to the records not fetched
    const fetchPerRecord = Math.max(0, readyMs - replayApplyMs) / Math.max(1, args.topicUsers);
    startupMs = readyMs + fedApplyMs + fetchPerRecord * (args.users - args.topicUsers);
    startupEstimated = true;
  }
  const rssReadyMiB = rss();
  const st = follower.status();
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let q = 0; q < args.queries; q++) {
    const u = pop.userId((q * 7919 + 13) % args.users);
    const c = process.cpuUsage();
    const t = performance.now();
    const hits = follower.similarTo(u, 10);
    ms.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
    if (!hits || hits.length !== 10) throw new Error(`query for ${u} returned ${hits?.length ?? 'nothing'}`);
  }
  let checkedQuery: SimilarChildResult['checkedQuery'];
  if (args.mode === 'snapshot') {
    const reader = parts.reader(args.namespace);
    const checked = new CheckedSimilar(follower, (ids) => reader.existing(ids));
    const cms: number[] = [];
    for (let q = 0; q < args.queries; q++) {
      const u = pop.userId((q * 7919 + 13) % args.users);
      const t = performance.now();
      const hits = await checked.similarTo(u, 10);
      cms.push(performance.now() - t);
      if (!hits || hits.length !== 10) throw new Error(`checked query for ${u} returned ${hits?.length ?? 'nothing'}`);
    }
    checkedQuery = { p50: quantile(cms, 0.5), p99: quantile(cms, 0.99), max: Math.max(...cms), n: cms.length };
  }
  const result: SimilarChildResult = {
    mode: args.mode,
    users: args.users,
    indexedUsers: st.users,
    readyMs: Math.round(readyMs),
    replayApplyMs: Math.round(replayApplyMs),
    ...(fedApplyMs !== undefined ? { fedApplyMs: Math.round(fedApplyMs) } : {}),
    startupMs: Math.round(startupMs),
    startupEstimated,
    rssBaselineMiB,
    rssReadyMiB,
    heapUsedMiB: mib(process.memoryUsage().heapUsed),
    indexMiB: mib(st.memoryBytes),
    query: { p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), max: Math.max(...ms), n: ms.length },
    queryCpu: { p50: quantile(cpu, 0.5), p99: quantile(cpu, 0.99), max: Math.max(...cpu), n: cpu.length },
    ...(checkedQuery ? { checkedQuery } : {}),
    ...(st.snapshotLoadMs !== undefined ? { snapshotLoadMs: st.snapshotLoadMs } : {}),
  };
  await follower.stop();
  await parts.close();
  process.send!({ type: 'result', result });
}

main().catch((err: unknown) => {
  process.send!({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exitCode = 1;
});
