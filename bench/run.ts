/**
 * `npm run bench`: Portrait's performance suite, measured in one run on one machine with one model
 * file, thread setting and data set. Writes bench/results/<timestamp>.json and prints a table.
 * docs/performance.md explains every figure and how to read it.
 *
 *   (a) ceiling   raw onnxruntime-node inference of the int8 model, tokenisation included
 *   (b) pipeline  the full processor (child process) through the real broker and Redis: backlog
 *                 drain with cold caches, then latency at 50% and 80% of that throughput
 *   (c) naive     the seed method's shape: one message at a time, no batching
 *   (d) rebuild   replay into a fresh namespace with a cold, then a warm shared embedding cache
 *   (e) scale     two processors in one group, the second joining mid-stream; no double count
 *   (f) soak      optional (--soak <minutes>): lag and RSS under 80% load
 *   (g) similar   optional (--only similar): the similar-users index at --similar-users sizes
 *                 (simulated population): memory, start-up and query time per API process
 *   (h) long      what a long comment costs: model time and CPU per event of ~3,000 characters
 *                 (chunked, and cut at text.maxChars) against a short one, text and embed stages only
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { CeilingResult } from './child/ceiling.js';
import type { LongCostResult } from './child/long.js';
import { BenchChild } from './lib/child.js';
import { baseline } from './lib/baseline.js';
import { load1, machine } from './lib/machine.js';
import { drain, latency, type DrainResult, type ProcessorSetup } from './lib/pipeline.js';
import { warmRebuild } from './lib/replay.js';
import { scaleOut } from './lib/scaleout.js';
import { similarPhase } from './lib/similar.js';
import { soak } from './lib/soak.js';
import { sleep, Stack } from './lib/stack.js';
import { printTable, targets, type Results, type Target } from './lib/report.js';
import { loadConfig, projectPath } from '../src/config/index.js';
import { stepLog } from '../src/util/progress.js';

const PHASES = ['ceiling', 'pipeline', 'profile', 'latency', 'naive', 'rebuild', 'scale', 'soak', 'similar', 'long'] as const;
type Phase = (typeof PHASES)[number];

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    events: { type: 'string' },
    'ceiling-texts': { type: 'string' },
    'latency-seconds': { type: 'string' },
    'naive-events': { type: 'string' },
    'naive-train-rows': { type: 'string' },
    'scale-events': { type: 'string' },
    'profile-events': { type: 'string' },
    soak: { type: 'string' },
    'soak-load': { type: 'string' },
    'similar-users': { type: 'string' },
    'similar-topic-users': { type: 'string' },
    'similar-queries': { type: 'string' },
    'similar-designs': { type: 'string' },
    'similar-shards': { type: 'string' },
    'long-events': { type: 'string' },
    'long-chars': { type: 'string' },
    only: { type: 'string' },
    skip: { type: 'string' },
    concurrency: { type: 'string' },
    set: { type: 'string', multiple: true },
    throughput: { type: 'string' },
    'wait-quiet': { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (flags.help) {
  process.stdout.write(`npm run bench -- [options]

  --quick                  small sizes (about 4 minutes): a smoke run, not a measurement
  --events <n>             backlog for the drain (b) and the rebuild (d)        default 6000 (quick 2000)
  --ceiling-texts <n>      texts per ceiling variant (a)                         default 1024 (quick 512)
  --latency-seconds <s>    measured seconds per load level (b)                   default 20 (quick 10)
  --naive-events <n>       backlog for the naive baseline (c)                    default 1000 (quick 300)
  --naive-train-rows <n>   rows the naive random forest is trained on            default 300
  --scale-events <n>       backlog for the scale-out run (e)                      default 6000 (quick 2400)
  --soak <minutes>         run the soak (f) for this long (default: off)
  --soak-load <share>      soak load as a share of the drain throughput          default 0.8
  --profile-events <n>     backlog of the profiled drain (profile): a CPU profile of the processor's
                           main thread, written beside the results                default 3000 (quick 1000)
  --similar-users <n,m>    population sizes of the similar phase (g), only run with --only similar
                                                                         default 100000,1000000
  --similar-topic-users <n> most profile events written to the topic per size; larger sizes are
                           fed in-process and their start-up estimated   default 100000
  --similar-queries <n>    similar-users queries timed per size and design default 300
  --similar-designs <a,b>  topic (replay the profiles topic), snapshot (load the Redis snapshot)
                                                                         default topic,snapshot
  --similar-shards <n>     shards of the snapshot (redis.similarShards)   default 1024
  --long-events <n>        long comments per language in the long phase (h)      default 16 (quick 8)
  --long-chars <n>         characters of a long comment (h)                      default 3000
  --only <a,b>|--skip <a,b> phases: ${PHASES.join(', ')}
  --throughput <n>         events/s to base the latency and soak loads on when the drain is skipped
  --concurrency <n>        override the runner's partitions consumed concurrently (exploration)
  --set <path=value>       config override for the processors, e.g. --set embedder.batchSize=32
  --wait-quiet <load>      wait up to 10 minutes for the 1-minute load average to drop to <load>
  --out <file>             JSON output (default bench/results/<timestamp>.json)

Kafka and Redis come from the config (PORTRAIT_KAFKA_BROKERS, PORTRAIT_REDIS_URL); every topic,
group and key prefix the bench creates is random and deleted at the end.
`);
  process.exit(0);
}

const quick = flags.quick ?? false;
const num = (v: string | undefined, d: number) => (v === undefined ? d : Number(v));
const opts = {
  events: num(flags.events, quick ? 2000 : 6000),
  ceilingTexts: num(flags['ceiling-texts'], quick ? 512 : 1024),
  latencySeconds: num(flags['latency-seconds'], quick ? 10 : 20),
  naiveEvents: num(flags['naive-events'], quick ? 300 : 1000),
  naiveTrainRows: num(flags['naive-train-rows'], 300),
  scaleEvents: num(flags['scale-events'], quick ? 2400 : 6000),
  profileEvents: num(flags['profile-events'], quick ? 1000 : 3000),
  soakMinutes: num(flags.soak, 0),
  soakLoad: num(flags['soak-load'], 0.8),
  similarUsers: (flags['similar-users'] ?? '100000,1000000').split(',').map(Number),
  similarTopicUsers: num(flags['similar-topic-users'], 100_000),
  similarQueries: num(flags['similar-queries'], 300),
  similarDesigns: (flags['similar-designs'] ?? 'topic,snapshot').split(',') as ('topic' | 'snapshot')[],
  similarShards: num(flags['similar-shards'], 1024),
  longEvents: num(flags['long-events'], quick ? 8 : 16),
  longChars: num(flags['long-chars'], 3000),
};
const only = flags.only ? new Set(flags.only.split(',')) : undefined;
const skip = new Set((flags.skip ?? '').split(',').filter(Boolean));
for (const p of [...(only ?? []), ...skip]) if (!(PHASES as readonly string[]).includes(p)) throw new Error(`unknown phase ${p}; phases: ${PHASES.join(', ')}`);
// opt-in phases: the soak runs when given minutes, the similar phase only when named in --only
const want = (p: Phase) => (p === 'soak' ? opts.soakMinutes > 0 && !skip.has(p) : p === 'similar' ? only?.has(p) === true : (!only || only.has(p)) && !skip.has(p));

function setOverrides(list: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of list) {
    const i = item.indexOf('=');
    if (i < 0) throw new Error(`--set expects path=value, got ${item}`);
    const path = item.slice(0, i).split('.');
    const raw = item.slice(i + 1);
    let v: unknown = raw;
    try {
      v = JSON.parse(raw);
    } catch {
      /* a string */
    }
    let o = out;
    path.slice(0, -1).forEach((k) => (o = (o[k] ??= {}) as Record<string, unknown>));
    o[path[path.length - 1]!] = v;
  }
  return out;
}

const setup: ProcessorSetup = {
  overrides: setOverrides(flags.set ?? []),
  ...(flags.concurrency ? { concurrency: Number(flags.concurrency) } : {}),
};

const log = stepLog('');

async function ceiling(cfg: ReturnType<typeof loadConfig>): Promise<CeilingResult> {
  const child = new BenchChild(
    'ceiling.ts',
    {
      BENCH_ARGS: JSON.stringify({
        n: opts.ceilingTexts,
        batchSizes: [8, 16, 32],
        infoBatchSizes: [1],
        // the processors' setting (config, env, --set): the ceiling is the model on the same threads
        threads: cfg.embedder.threads,
        modelDir: projectPath(cfg.embedder.modelDir),
        model: cfg.embedder.model,
      }),
    },
    'ceiling',
  );
  try {
    return (await child.waitFor('result', 900_000)).result as CeilingResult;
  } finally {
    await child.exit;
  }
}

/** (h): the text and embed stages on long comments against short ones, in a child of its own. */
async function longCost(cfg: ReturnType<typeof loadConfig>): Promise<LongCostResult> {
  const child = new BenchChild(
    'long.ts',
    {
      BENCH_ARGS: JSON.stringify({
        short: 128,
        long: opts.longEvents,
        longChars: opts.longChars,
        batch: 16,
        threads: cfg.embedder.threads,
        batchSize: cfg.embedder.batchSize,
        modelDir: projectPath(cfg.embedder.modelDir),
        model: cfg.embedder.model,
        maxChars: cfg.text.maxChars,
        maxChunks: cfg.text.maxChunks,
      }),
    },
    'long',
  );
  try {
    return (await child.waitFor('result', 900_000)).result as LongCostResult;
  } finally {
    await child.exit;
  }
}

async function main(): Promise<void> {
  const cfg = loadConfig({ overrides: setup.overrides });
  const info = machine();
  if (flags['wait-quiet']) {
    const limit = Number(flags['wait-quiet']);
    const until = Date.now() + 600_000;
    while (load1() > limit && Date.now() < until) {
      log(`waiting for a quiet machine: load ${load1()} > ${limit}`);
      await sleep(30_000);
    }
    info.loadAvgStart = machine().loadAvgStart;
  }
  log(`portrait bench: ${info.nproc} × ${info.cpuModel}, ${info.memGiB} GiB, load ${info.loadAvgStart.join(' ')}`);
  const stack = new Stack(cfg.kafka.brokers, cfg.redis.url);
  await stack.connect();
  // Ctrl-C: children stop when their IPC channel closes; topics, groups and keys are deleted here
  process.once('SIGINT', () => {
    log('interrupted: deleting the bench topics, groups and keys');
    void stack.cleanup().finally(() => process.exit(130));
  });
  const started = Date.now();
  const resultFile = flags.out ?? fileURLToPath(new URL(`./results/${new Date(started).toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url));
  mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  const loads: Record<string, number> = {};
  const results: Results = {};
  const errors: Record<string, string> = {};
  const phase = async <T>(name: Phase, label: string, fn: () => Promise<T>): Promise<T | undefined> => {
    if (!want(name)) return undefined;
    log(`${label} (load ${load1()})`);
    const t0 = Date.now();
    try {
      const r = await fn();
      loads[name] = load1();
      log(`  done in ${Math.round((Date.now() - t0) / 1000)} s`);
      return r;
    } catch (err) {
      errors[name] = err instanceof Error ? err.message : String(err);
      log(`  FAILED: ${errors[name]}`);
      return undefined;
    }
  };
  let drainTopic: { comments: string; profiles: string } | undefined;
  try {
    results.ceiling = await phase('ceiling', '(a) ceiling: raw onnxruntime-node, batch 8/16/32', () => ceiling(cfg));
    results.pipeline = await phase('pipeline', `(b) pipeline: drain a backlog of ${opts.events} events`, async () => {
      const r = await drain(stack, opts.events, setup, 6, log);
      drainTopic = r.topics;
      return r;
    });
    // a second, smaller drain with the sampling profiler on (not the measured one: sampling costs CPU)
    results.profile = await phase('profile', `(b) profiled drain of ${opts.profileEvents} events: where the processor's main thread spends its time`, async () => {
      const file = resultFile.replace(/\.json$/, '.processor.cpuprofile');
      const r = await drain(stack, opts.profileEvents, setup, 6, log, { file });
      return { events: opts.profileEvents, eventsPerSecond: r.eventsPerSecond, file: file.replace(/^.*\//, ''), ...r.profile! };
    });
    const tput = flags.throughput ? Number(flags.throughput) : results.pipeline?.eventsPerSecond;
    if (want('latency')) {
      if (!tput) errors.latency = 'no throughput to base the load on (run the pipeline phase or pass --throughput)';
      else {
        results.latency = {};
        for (const share of [0.5, 0.8]) {
          const r = await phase('latency', `(b) latency at ${share * 100}% load (${Math.round(tput * share)} events/s, ${opts.latencySeconds} s)`, () => latency(stack, tput * share, share, opts.latencySeconds, setup, 3, log));
          if (r) results.latency[share === 0.5 ? 'at50' : 'at80'] = r;
        }
      }
    }
    results.naive = await phase('naive', `(c) naive baseline: ${opts.naiveEvents} events one at a time`, () => baseline(stack, opts.naiveEvents, { modelDir: projectPath(cfg.embedder.modelDir), model: cfg.embedder.model }, opts.naiveTrainRows, log));
    results.rebuild = await phase('rebuild', '(d) warm-cache rebuild: replay twice', async () => {
      const topics = drainTopic ?? (await drain(stack, opts.events, setup, 6, log)).topics;
      if (!topics) throw new Error('no drained topic to replay');
      return warmRebuild(stack, topics, log);
    });
    results.scale = await phase('scale', `(e) scale-out: 2 processors, 6 partitions, ${opts.scaleEvents} events`, () => scaleOut(stack, opts.scaleEvents, setup, log));
    if (want('soak')) {
      if (!tput) errors.soak = 'no throughput to base the load on (run the pipeline phase or pass --throughput)';
      else results.soak = await phase('soak', `(f) soak: ${opts.soakMinutes} min at ${opts.soakLoad * 100}% load`, () => soak(stack, tput * opts.soakLoad, opts.soakMinutes, setup, log));
    }
    results.similar = await phase('similar', `(g) similar users: ${opts.similarUsers.join(', ')} simulated users`, () =>
      similarPhase(stack, { sizes: opts.similarUsers, topicUsers: opts.similarTopicUsers, queries: opts.similarQueries, dim: 512, shards: opts.similarShards, designs: opts.similarDesigns, redisUrl: cfg.redis.url, brokers: cfg.kafka.brokers }, log),
    );
    results.long = await phase('long', `(h) long comments: ${opts.longEvents} of ~${opts.longChars} characters per language against short ones`, () => longCost(cfg));
  } finally {
    await stack.cleanup().catch((err: unknown) => log(`cleanup: ${String(err)}`));
  }
  info.loadAvgEnd = machine().loadAvgStart;
  const checks: Target[] = targets(results);
  const out = {
    startedAt: new Date(started).toISOString(),
    seconds: Math.round((Date.now() - started) / 1000),
    machine: info,
    loadAfterPhase: loads,
    options: { ...opts, setup },
    config: { embedder: cfg.embedder, kafka: { maxBatchSize: cfg.kafka.maxBatchSize, maxBytesPerPartition: cfg.kafka.maxBytesPerPartition, partitions: cfg.kafka.partitions } },
    results: stripTopics(results),
    targets: checks,
    errors,
  };
  const file = resultFile;
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  printTable(out.results, checks, info, out.seconds);
  process.stdout.write(`\nwrote ${file}\n`);
  if (Object.keys(errors).length > 0) {
    process.stdout.write(
      `phases that failed: ${Object.entries(errors)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ')}\n`,
    );
    process.exitCode = 1;
  }
}

function stripTopics<T extends { pipeline?: DrainResult }>(r: T): T {
  if (!r.pipeline) return r;
  const { topics: _t, ...rest } = r.pipeline;
  return { ...r, pipeline: rest as DrainResult };
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
