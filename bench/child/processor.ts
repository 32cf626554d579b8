/**
 * A Portrait processor in its own process, as `portrait run` starts it (startProcessor with the
 * config from config/default.yaml + PORTRAIT_* env + the bench's overrides), with probes for the
 * bench: per-batch stats from the runner's onBatch hook, event-loop delay, Redis/Kafka round
 * trips, memory. The parent talks to it over IPC: { cmd: 'reset' | 'report' | 'stop' }.
 *
 * Env: BENCH_OVERRIDES (JSON config overrides), BENCH_CONCURRENCY (optional: partitions consumed
 * concurrently, to explore the runner setting without editing it).
 */
import { Session } from 'node:inspector/promises';
import { Redis } from 'ioredis';
import { Probe, type ProbeSnapshot } from '../lib/probe.js';
import { quantile } from '../../src/util/stats.js';

const overrides = JSON.parse(process.env.BENCH_OVERRIDES ?? '{}') as Record<string, unknown>;
const redisPort = Number(new URL((overrides.redis as { url?: string } | undefined)?.url ?? process.env.PORTRAIT_REDIS_URL ?? 'redis://127.0.0.1:6379').port || 6379);
const kafkaPorts = (((overrides.kafka as { brokers?: string[] } | undefined)?.brokers ?? (process.env.PORTRAIT_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')) as string[]).map((b) => Number(b.split(':').pop()));
const probe = new Probe({ redisPort, kafkaPorts });
probe.instrumentIoredis(Redis as never);

const { startProcessor } = await import('../../consumers/comments.js');
const { loadConfig } = await import('../../src/config/index.js');
const { createLogger } = await import('../../src/util/logger.js');
const { CommentsRunner } = await import('../../src/kafka/runner.js');
const { createTelemetry, processorTarget } = await import('../../src/app/telemetry.js');

if (process.env.BENCH_CONCURRENCY) {
  const n = Number(process.env.BENCH_CONCURRENCY);
  const start = CommentsRunner.prototype.start;
  CommentsRunner.prototype.start = function (this: { opts: { partitionsConsumedConcurrently?: number } }) {
    this.opts.partitionsConsumedConcurrently = n;
    return start.call(this as never);
  } as typeof start;
}

export interface ChildReport {
  pid: number;
  batches: number;
  records: number;
  applied: number;
  duplicates: number;
  rejected: number;
  users: number;
  profiles: number;
  firstBatchAt: number;
  lastBatchAt: number;
  recordsInFirstBatch: number;
  stageMs: { decode: number; embed: number; classify: number; store: number; total: number };
  batchMs: { p50: number; p99: number };
  recordsPerBatch: number;
  probe: ProbeSnapshot;
  /** model requests since reset, and the share of the time from reset to the last batch with one outstanding (the worker had work) */
  embed: { requests: number; texts: number; busyShare: number };
}

const cfg = loadConfig({ overrides });
const log = createLogger(process.env.BENCH_LOG_LEVEL ?? 'warn');

let acc = fresh();
let resetAt = Date.now();
function fresh() {
  return {
    batches: 0,
    records: 0,
    applied: 0,
    duplicates: 0,
    rejected: 0,
    users: 0,
    profiles: 0,
    firstBatchAt: 0,
    lastBatchAt: 0,
    recordsInFirstBatch: 0,
    stage: { decode: 0, embed: 0, classify: 0, store: 0, total: 0 },
    ms: [] as number[],
  };
}

// as `portrait run` does (src/cli/commands/run.ts): telemetry on (lag poller, stats publisher), no HTTP port
const telemetry = createTelemetry(cfg, log, { groupId: cfg.kafka.groupId });
const proc = await startProcessor(cfg, log, {
  hooks: {
    onRetry: telemetry.hooks.onRetry,
    onBatch: (out, info) => {
      telemetry.hooks.onBatch(out, info);
      const now = Date.now();
      if (acc.batches === 0) {
        acc.firstBatchAt = now;
        acc.recordsInFirstBatch = out.stats.records;
      }
      acc.lastBatchAt = now;
      acc.batches++;
      acc.records += out.stats.records;
      acc.applied += out.stats.applied;
      acc.duplicates += out.stats.duplicates;
      acc.rejected += Object.values(out.stats.rejected).reduce((a, b) => a + b, 0);
      acc.users += out.stats.users;
      acc.profiles += out.profiles.length;
      // decode and preprocess in one bucket, as in the earlier runs of docs/performance.md
      acc.stage.decode += out.timings.decode + out.timings.preprocess;
      acc.stage.embed += out.timings.embed;
      acc.stage.classify += out.timings.classify;
      acc.stage.store += out.timings.store;
      acc.stage.total += info.ms;
      acc.ms.push(info.ms);
    },
  },
});

await telemetry.attach(processorTarget(proc));

/** The model's end of the embedder chain (the decorators keep theirs in `inner`). */
function modelStats(): { requests: number; texts: number; busyMs: number } {
  for (let e: unknown = proc.embedder; e; e = (e as { inner?: unknown }).inner) {
    const s = (e as { stats?: { requests?: number; busyMs?: number; texts?: number } }).stats;
    if (s && s.busyMs !== undefined) return { requests: s.requests ?? 0, texts: s.texts ?? 0, busyMs: s.busyMs };
  }
  return { requests: 0, texts: 0, busyMs: 0 };
}
let model0 = modelStats();

/** Nearest-rank percentile `p` (0-100), to 0.1 ms; 0 when there are none. */
function pct(xs: number[], p: number): number {
  return xs.length === 0 ? 0 : Math.round(quantile(xs, p / 100) * 10) / 10;
}

function report(): ChildReport {
  const r2 = (x: number) => Math.round(x * 10) / 10;
  return {
    pid: process.pid,
    batches: acc.batches,
    records: acc.records,
    applied: acc.applied,
    duplicates: acc.duplicates,
    rejected: acc.rejected,
    users: acc.users,
    profiles: acc.profiles,
    firstBatchAt: acc.firstBatchAt,
    lastBatchAt: acc.lastBatchAt,
    recordsInFirstBatch: acc.recordsInFirstBatch,
    stageMs: { decode: r2(acc.stage.decode), embed: r2(acc.stage.embed), classify: r2(acc.stage.classify), store: r2(acc.stage.store), total: r2(acc.stage.total) },
    batchMs: { p50: pct(acc.ms, 50), p99: pct(acc.ms, 99) },
    recordsPerBatch: acc.batches ? r2(acc.records / acc.batches) : 0,
    probe: probe.snapshot(),
    embed: (() => {
      const m = modelStats();
      const span = Math.max(1, (acc.lastBatchAt || Date.now()) - resetAt);
      return { requests: m.requests - model0.requests, texts: m.texts - model0.texts, busyShare: Math.round(((m.busyMs - model0.busyMs) / span) * 1000) / 1000 };
    })(),
  };
}

// 'profile-start' / 'profile-stop': a V8 CPU profile of this (main) thread, sent back whole
let profiler: Session | undefined;
async function profileStart(): Promise<void> {
  profiler = new Session();
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.setSamplingInterval', { interval: 500 });
  await profiler.post('Profiler.start');
}
async function profileStop(): Promise<unknown> {
  if (!profiler) return null;
  const { profile } = await profiler.post('Profiler.stop');
  profiler.disconnect();
  profiler = undefined;
  return profile;
}

process.on('message', (m: { cmd: string; id?: number }) => {
  if (m.cmd === 'profile-start') {
    void profileStart().then(() => process.send!({ type: 'ack', id: m.id }));
  } else if (m.cmd === 'profile-stop') {
    void profileStop().then((profile) => process.send!({ type: 'profile', id: m.id, profile }));
  } else if (m.cmd === 'reset') {
    acc = fresh();
    probe.reset();
    resetAt = Date.now();
    model0 = modelStats();
    process.send!({ type: 'ack', id: m.id });
  } else if (m.cmd === 'report') {
    process.send!({ type: 'report', id: m.id, report: report() });
  } else if (m.cmd === 'stop') {
    telemetry
      .stop()
      .then(() => proc.stop())
      .then(
        () => {
          process.send!({ type: 'stopped', id: m.id }, () => process.exit(0));
        },
        (err: unknown) => {
          process.send!({ type: 'error', message: String(err) }, () => process.exit(1));
        },
      );
  }
});
process.on('disconnect', () => {
  // the parent went away: stop cleanly
  void telemetry
    .stop()
    .then(() => proc.stop())
    .finally(() => process.exit(0));
});
void proc.runner.done.then((err) => {
  if (err) {
    process.send?.({ type: 'error', message: String(err) });
    process.exit(1);
  }
});
process.send!({ type: 'ready', pid: process.pid });
