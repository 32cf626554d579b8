/**
 * (b) the full pipeline through the real broker and Redis, one processor child per measurement so
 * every measurement starts with cold embedding caches (a fresh key prefix, an empty in-process LRU).
 */
import { writeFileSync } from 'node:fs';
import type { ChildReport } from '../child/processor.js';
import { summariseProfile, type CpuProfile, type CpuProfileSummary } from './cpu-profile.js';
import { BenchChild } from './child.js';
import { texts } from './corpus.js';
import { encodeCost, sizes, type EncodeCost, type ProfileEventSizes } from './profile-events.js';
import { makeEvents, percentile, ProfileCollector, produceBacklog, produceSteady, sleep, type Stack, uid } from './stack.js';

export interface ProcessorSetup {
  /** extra config overrides (e.g. { embedder: { batchSize: 32 } }) */
  overrides?: Record<string, unknown>;
  /** partitions consumed concurrently (exploration knob; default: the runner's own) */
  concurrency?: number;
}

export interface Instance {
  child: BenchChild;
  groupId: string;
  prefix: string;
}

export function processorOverrides(stack: Stack, topics: { comments: string; profiles: string }, groupId: string, prefix: string, setup: ProcessorSetup): Record<string, unknown> {
  const o = setup.overrides ?? {};
  const kafka = (o.kafka ?? {}) as Record<string, unknown>;
  const redis = (o.redis ?? {}) as Record<string, unknown>;
  return {
    ...o,
    kafka: { ...kafka, brokers: stack.brokers, groupId, topics: { comments: topics.comments, profiles: topics.profiles, deadLetter: '' } },
    redis: { ...redis, url: stack.redisUrl, keyPrefix: prefix },
    metrics: { ...((o.metrics ?? {}) as object), port: 0 },
    log: { level: 'warn' },
  };
}

export async function startInstance(stack: Stack, topics: { comments: string; profiles: string }, setup: ProcessorSetup, shared?: { groupId: string; prefix: string }, label = 'processor'): Promise<Instance> {
  const groupId = shared?.groupId ?? stack.group('proc');
  const prefix = shared?.prefix ?? stack.prefix();
  const env: Record<string, string> = { BENCH_OVERRIDES: JSON.stringify(processorOverrides(stack, topics, groupId, prefix, setup)) };
  if (setup.concurrency) env.BENCH_CONCURRENCY = String(setup.concurrency);
  const child = new BenchChild('processor.ts', env, label);
  await child.waitFor('ready', 180_000);
  return { child, groupId, prefix };
}

export interface DrainResult {
  events: number;
  users: number;
  partitions: number;
  produceSeconds: number;
  /** events / (last batch − first batch), first batch's events excluded */
  eventsPerSecond: number;
  /** events / (processor ready → last batch), start-up of the consumer group included */
  eventsPerSecondFromStart: number;
  seconds: number;
  batches: number;
  recordsPerBatch: number;
  batchMs: { p50: number; p99: number };
  stageShare: { decode: number; embed: number; classify: number; store: number; publishAndCommit: number };
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  rssPeakMiB: number;
  /** CPU time of the processor process (all threads) per 1000 events, ms: less sensitive to a busy machine than events/s */
  cpuMsPer1k: number;
  /** the same CPU by thread (bench/lib/probe.ts threadCpu): main thread, model threads (embedding worker + onnxruntime pool), other */
  cpuMsPer1kByThread: { main: number; model: number; other: number };
  /** model calls: requests, texts per request, and the share of the drain with one outstanding (1 = the model never waited for the pipeline) */
  embed: { requests: number; textsPerRequest: number; busyShare: number };
  /** roundTripsPerBatch: Redis socket writes per batch, the once-a-second active-namespace poll excluded */
  redis: {
    roundTripsPerBatch: number;
    /** the same without the round trips that read users' stored states (first reads; re-reads after a lost race) */
    roundTripsPerBatchAfterReads: number;
    /** round trips that read stored states, in all */
    readRoundTrips: number;
    backgroundPolls: number;
    commandsPerBatch: number;
    byCommand: Record<string, number>;
  };
  kafkaWritesPerBatch: number;
  applied: number;
  rejected: number;
  /**
   * the profile events the drain published, read back by a profile collector after the processor
   * stopped: value bytes, and the encode cost per event of each centroid encoding over the run's
   * own profiles (a micro-benchmark in the bench process)
   */
  profileEvents?: ProfileEventSizes & { encode: EncodeCost };
  /**
   * with kafka.featureLog on: the feature log the drain wrote (read back after the processor
   * stopped): records, key and value bytes, and bytes (key + value) per folded comment
   */
  featureLog?: FeatureLogSizes;
  /** the drained topic (reused by the rebuild phase; not written to the JSON) */
  topics?: { comments: string; profiles: string };
}

function stageShare(r: ChildReport): DrainResult['stageShare'] {
  const t = r.stageMs.total || 1;
  const f = (x: number) => Math.round((x / t) * 1000) / 1000;
  const inPipe = r.stageMs.decode + r.stageMs.embed + r.stageMs.classify + r.stageMs.store;
  return { decode: f(r.stageMs.decode), embed: f(r.stageMs.embed), classify: f(r.stageMs.classify), store: f(r.stageMs.store), publishAndCommit: f(Math.max(0, t - inPipe)) };
}

function perThousand(t: { main: number; model: number; other: number }, n: number) {
  const f = (x: number) => Math.round((x / Math.max(1, n)) * 1000);
  return { main: f(t.main), model: f(t.model), other: f(t.other) };
}

function perBatch(r: ChildReport) {
  const b = r.batches || 1;
  const round = (x: number) => Math.round((x / b) * 100) / 100;
  return {
    redis: {
      roundTripsPerBatch: round(r.probe.redis.writes - r.probe.redis.background),
      roundTripsPerBatchAfterReads: round(r.probe.redis.writes - r.probe.redis.background - r.probe.redis.reads),
      readRoundTrips: r.probe.redis.reads,
      backgroundPolls: r.probe.redis.background,
      commandsPerBatch: round(r.probe.redis.commands),
      byCommand: r.probe.redis.byCommand,
    },
    kafkaWritesPerBatch: round(r.probe.kafka.writes),
  };
}

/** Produce a backlog of n unique comments, then start a processor with cold caches and time the drain. */
export async function drain(stack: Stack, n: number, setup: ProcessorSetup, partitions = 6, log: (s: string) => void = () => {}, profile?: { file: string }): Promise<DrainResult & { profile?: CpuProfileSummary }> {
  const topics = await stack.topic('drain', partitions);
  const run = uid('d');
  const events = makeEvents(texts(n), run, { perUser: 10 });
  const producer = await stack.producer();
  const produceSeconds = await produceBacklog(producer, topics.comments, events);
  await producer.disconnect();
  log(`  backlog of ${n} events produced in ${produceSeconds.toFixed(1)} s; starting the processor`);
  const inst = await startInstance(stack, topics, setup);
  const readyAt = Date.now();
  try {
    await inst.child.request('reset');
    if (profile) await inst.child.request('profile-start');
    for (;;) {
      const r = await inst.child.report();
      if (r.records >= n) break;
      if (inst.child.error) throw new Error(inst.child.error);
      if (Date.now() - readyAt > 600_000) throw new Error(`drain did not finish: ${r.records}/${n}`);
      await sleep(250);
    }
    const r = await inst.child.report();
    let summary: CpuProfileSummary | undefined;
    if (profile) {
      const p = (await inst.child.request('profile-stop', 120_000)).profile as CpuProfile;
      writeFileSync(profile.file, JSON.stringify(p));
      summary = summariseProfile(p);
    }
    const mem = inst.child.memory();
    const span = (r.lastBatchAt - r.firstBatchAt) / 1000;
    const result: DrainResult & { profile?: CpuProfileSummary } = {
      events: n,
      users: new Set(events.map((e) => e.userId)).size,
      partitions,
      produceSeconds: Math.round(produceSeconds * 100) / 100,
      eventsPerSecond: Math.round((r.records - r.recordsInFirstBatch) / Math.max(span, 1e-3)),
      eventsPerSecondFromStart: Math.round(r.records / ((r.lastBatchAt - readyAt) / 1000)),
      seconds: Math.round(span * 100) / 100,
      batches: r.batches,
      recordsPerBatch: r.recordsPerBatch,
      batchMs: r.batchMs,
      stageShare: stageShare(r),
      eventLoopDelayMs: { p50: r.probe.eventLoopDelayMs.p50, p99: r.probe.eventLoopDelayMs.p99, max: r.probe.eventLoopDelayMs.max },
      rssPeakMiB: mem.hwm,
      cpuMsPer1k: Math.round((r.probe.cpuMs / Math.max(1, r.records)) * 1000),
      cpuMsPer1kByThread: perThousand(r.probe.threadCpuMs, r.records),
      embed: { requests: r.embed.requests, textsPerRequest: Math.round((r.embed.texts / Math.max(1, r.embed.requests)) * 10) / 10, busyShare: r.embed.busyShare },
      ...perBatch(r),
      applied: r.applied,
      rejected: r.rejected,
      topics,
      ...(summary ? { profile: summary } : {}),
    };
    await inst.child.stop();
    result.profileEvents = await profileEvents(stack, topics.profiles, log);
    const features = await featureLogSizes(stack, `${topics.comments}.features`, r.applied, log);
    if (features) result.featureLog = features;
    return result;
  } finally {
    await inst.child.stop();
  }
}

/** Read a drained profiles topic back (the processor stopped, so nothing competes for the cores): sizes and encode cost. */
async function profileEvents(stack: Stack, topic: string, log: (s: string) => void): Promise<DrainResult['profileEvents']> {
  const collector = new ProfileCollector(stack, topic, { keepValues: true });
  try {
    await collector.start();
    if (!(await collector.waitForEnd(60_000))) log(`  profile events: read ${collector.records} before the timeout, not the whole topic`);
  } finally {
    await collector.stop();
  }
  const s = sizes(collector.values);
  const encode = encodeCost(collector.values);
  const e = encode.byEncoding;
  log(`  profile events: ${s.events}, value bytes p50 ${s.valueBytes.p50} max ${s.valueBytes.max}; build+serialize µs/event: decimal ${e.decimal.usPerEvent}, compact ${e.compact.usPerEvent}, none ${e.none.usPerEvent}`);
  return { ...s, encode };
}

export interface FeatureLogSizes {
  topic: string;
  /** records read (one per folded comment) */
  records: number;
  valueBytes: { p50: number; p90: number; max: number };
  keyBytes: { p50: number; max: number };
  /** key + value bytes of all records ÷ comments the drain folded: what the log adds per event */
  bytesPerEvent: number;
}

/** The feature log a drain wrote, when the processor had kafka.featureLog on (undefined: no such topic). */
async function featureLogSizes(stack: Stack, topic: string, folded: number, log: (s: string) => void): Promise<FeatureLogSizes | undefined> {
  if (!(await stack.admin.listTopics()).includes(topic)) return undefined;
  const collector = new ProfileCollector(stack, topic);
  try {
    await collector.start();
    if (!(await collector.waitForEnd(60_000))) log(`  feature log: read ${collector.records} before the timeout, not the whole topic`);
  } finally {
    await collector.stop();
  }
  const v = collector.valueBytes;
  const k = collector.keyBytes;
  const total = v.reduce((a, b) => a + b, 0) + k.reduce((a, b) => a + b, 0);
  const s: FeatureLogSizes = {
    topic,
    records: v.length,
    valueBytes: { p50: percentile(v, 50), p90: percentile(v, 90), max: percentile(v, 100) },
    keyBytes: { p50: percentile(k, 50), max: percentile(k, 100) },
    bytesPerEvent: Math.round(total / Math.max(1, folded)),
  };
  log(`  feature log: ${s.records} records for ${folded} folded comments, value bytes p50 ${s.valueBytes.p50} max ${s.valueBytes.max}, ${s.bytesPerEvent} bytes per event with the key`);
  return s;
}

export interface LatencyResult {
  loadShare: number;
  targetRate: number;
  achievedRate: number;
  events: number;
  seconds: number;
  /** event send → profile record timestamp (set by the processor's producer) */
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** event send → profile event consumed by the bench */
  endToEndMs: { p50: number; p99: number };
  missing: number;
  /** value bytes of the profile events the collector read */
  profileEventBytes: { p50: number; max: number };
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  rssPeakMiB: number;
  batches: number;
  recordsPerBatch: number;
  redis: { roundTripsPerBatch: number; commandsPerBatch: number };
  lagAtEnd: number;
}

/** Steady load at a share of the measured throughput: event → profile latency, event-loop delay, RSS. */
export async function latency(stack: Stack, rate: number, share: number, seconds: number, setup: ProcessorSetup, warmupSeconds = 3, log: (s: string) => void = () => {}): Promise<LatencyResult> {
  const topics = await stack.topic(`lat${Math.round(share * 100)}`, 6);
  const inst = await startInstance(stack, topics, setup);
  const collector = new ProfileCollector(stack, topics.profiles);
  try {
    await collector.start();
    await stack.waitForGroupStable(inst.groupId, 1);
    await sleep(500);
    const n = Math.round(rate * (seconds + warmupSeconds));
    const run = uid('l');
    const events = makeEvents(texts(n), run, { perUser: 10, ts: () => Date.now() });
    const producer = await stack.producer();
    // warm-up events are produced, processed and measured like the rest, then dropped from the stats
    const warm = Math.round(rate * warmupSeconds);
    let resetDone = false;
    log(`  steady ${Math.round(rate)} events/s for ${seconds + warmupSeconds} s (${warmupSeconds} s warm-up)`);
    const res = await produceSteady(producer, topics.comments, events, rate, {
      onTick: (sent) => {
        if (!resetDone && sent >= warm) {
          resetDone = true;
          void inst.child.request('reset');
        }
      },
    });
    await producer.disconnect();
    const measured = events.slice(warm).map((e) => e.eventId);
    const missing = await collector.waitFor(measured, 60_000);
    const r = await inst.child.report();
    const mem = inst.child.memory();
    const { lag } = await stack.lag(inst.groupId, topics.comments);
    const lat: number[] = [];
    const e2e: number[] = [];
    for (const id of measured) {
      const s = collector.seen.get(id);
      const t = res.sentAt.get(id);
      if (!s || t === undefined) continue;
      lat.push(s.recordTs - t);
      e2e.push(s.consumedAt - t);
    }
    if (process.env.BENCH_LATENCY_DUMP) {
      // debugging: every measured event's send time and latency, to look for periodic stalls
      const rows = measured.map((id) => `${res.sentAt.get(id)},${(collector.seen.get(id)?.recordTs ?? NaN) - (res.sentAt.get(id) ?? NaN)}`);
      (await import('node:fs')).writeFileSync(`${process.env.BENCH_LATENCY_DUMP}-${Math.round(share * 100)}.csv`, `sentAt,latencyMs\n${rows.join('\n')}\n`);
    }
    const warmEnd = res.sentAt.get(events[warm]?.eventId ?? '') ?? 0;
    const lastSent = Math.max(...res.sentAt.values());
    return {
      loadShare: share,
      targetRate: Math.round(rate),
      achievedRate: Math.round(measured.length / Math.max(1e-3, (lastSent - warmEnd) / 1000)),
      events: measured.length,
      seconds,
      latencyMs: { p50: percentile(lat, 50), p90: percentile(lat, 90), p99: percentile(lat, 99), max: percentile(lat, 100) },
      endToEndMs: { p50: percentile(e2e, 50), p99: percentile(e2e, 99) },
      missing,
      profileEventBytes: { p50: percentile(collector.valueBytes, 50), max: percentile(collector.valueBytes, 100) },
      eventLoopDelayMs: { p50: r.probe.eventLoopDelayMs.p50, p99: r.probe.eventLoopDelayMs.p99, max: r.probe.eventLoopDelayMs.max },
      rssPeakMiB: mem.hwm,
      batches: r.batches,
      recordsPerBatch: r.recordsPerBatch,
      redis: { roundTripsPerBatch: Math.round(((r.probe.redis.writes - r.probe.redis.background) / Math.max(1, r.batches)) * 100) / 100, commandsPerBatch: Math.round((r.probe.redis.commands / Math.max(1, r.batches)) * 100) / 100 },
      lagAtEnd: lag,
    };
  } finally {
    await collector.stop();
    await inst.child.stop();
  }
}
