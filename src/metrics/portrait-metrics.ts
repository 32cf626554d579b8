/**
 * Portrait's Prometheus metrics and the helpers the processor calls. Every metric is registered on
 * the registry passed in (src/metrics/registry.ts), never on prom-client's global one.
 *
 * Wiring (consumers/comments.ts, src/cli/commands/run.ts):
 *   hooks.onBatch = (out, info) => metrics.observeBatch(out, info)
 *   hooks.onRetry = (err, attempt) => metrics.observeRetry(err, attempt)
 *   metrics.setModels({ embedder: embedder.id, classifierKind: c.kind, classifierVersion: c.version })
 *   metrics.trackEmbedCache(() => (embedder instanceof CachedEmbedder ? embedder.stats : undefined))
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { classifyError, isPortraitError } from '../util/errors.js';
import type { ModelVersions, PartitionLag, ProcSnapshot } from './snapshot.js';
import { STAGES, type Stage, type StageDurations } from './stages.js';
import { LatencyWindow, RateWindow } from './window.js';

/** What observeBatch reads from a BatchOutput (src/pipeline/stage.ts); the optional fields are extensions. */
export interface BatchLike {
  profiles: readonly unknown[];
  deadLetters: readonly unknown[];
  stats: {
    records: number;
    applied?: number;
    duplicates?: number;
    redelivered?: number;
    repeated?: number;
    suppressed?: number;
    fenced?: number;
    staleIncarnations?: number;
    conflicts?: number;
    spread?: number;
    rejected: Readonly<Record<string, number>>;
  };
  /** ms per stage (BatchOutput.timings) */
  timings?: StageDurations;
  /**
   * For every comment folded into a published profile: its event time (`ts`) and its Kafka record
   * timestamp, epoch ms (extension: the processor fills it, see docs/api.md "Wiring").
   */
  folded?: { eventTs: readonly number[]; recordTs: readonly number[] };
}

/** RunnerHooks.onBatch's info, plus optional extensions. */
export interface BatchInfo {
  partition: number;
  lastOffset: number;
  /** process + produce, ms */
  ms: number;
  topic?: string;
  /** time spent in producer.sendBatch, ms */
  produceMs?: number;
  /** profile records published again after the chunk's because another writer moved the store on (src/pipeline/confirm.ts) */
  republished?: number;
}

export interface PortraitMetricsOptions {
  /** topic label of events in when BatchInfo has none */
  commentsTopic: string;
  clock?: () => number;
}

export type ErrorComponent = 'redis' | 'kafka' | 'embed' | 'store' | 'other';

/** Which dependency an error came from, for the error and retry counters (src/util/errors.ts: classifyError). */
export function componentOf(err: unknown): ErrorComponent {
  return classifyError(err).component ?? 'other';
}

function codeOf(err: unknown): string {
  if (isPortraitError(err)) return err.code;
  const name = (err as { name?: unknown })?.name;
  return typeof name === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(name) ? name : 'UNKNOWN';
}

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400];
const STAGE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class PortraitMetrics {
  readonly eventsIn: Counter<'topic'>;
  readonly applied: Counter;
  readonly duplicates: Counter;
  readonly skipped: Counter<'reason'>;
  readonly incarnations: Counter<'topic'>;
  readonly staleIncarnations: Counter;
  readonly epochs: Counter<'kind'>;
  readonly rewinds: Counter<'reason'>;
  readonly fenced: Counter;
  readonly spread: Counter;
  readonly republished: Counter;
  readonly profilesOut: Counter;
  readonly deadLetters: Counter<'reason'>;
  readonly conflicts: Counter;
  readonly batchRecords: Histogram;
  readonly batchDuration: Histogram;
  readonly stageDuration: Histogram<'stage'>;
  readonly eventToProfile: Histogram;
  readonly ingestToProfile: Histogram;
  readonly lag: Gauge<'group' | 'topic' | 'partition'>;
  readonly modelInfo: Gauge<'embedder' | 'classifier_kind' | 'classifier_version'>;
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;
  readonly errors: Counter<'component' | 'code'>;
  readonly retries: Counter<'component'>;

  private readonly clock: () => number;
  private readonly totals = { eventsIn: 0, applied: 0, duplicates: 0, profilesOut: 0, deadLetters: 0, batches: 0, retries: 0, errors: 0 };
  private readonly rates = { eventsIn: new RateWindow(), profilesOut: new RateWindow(), deadLetters: new RateWindow() };
  private readonly windows = {
    eventToProfile: new LatencyWindow(),
    ingestToProfile: new LatencyWindow(),
    batch: new LatencyWindow(),
    stages: Object.fromEntries(STAGES.map((s) => [s, new LatencyWindow()])) as Record<Stage, LatencyWindow>,
  };
  private models: ModelVersions | null = null;
  private lastLag: ProcSnapshot['lag'] = null;
  private cacheSource: (() => { hits: number; misses: number } | undefined) | undefined;
  private cacheSeen = { hits: 0, misses: 0 };

  constructor(
    registry: Registry,
    private readonly opts: PortraitMetricsOptions,
  ) {
    this.clock = opts.clock ?? Date.now;
    const registers = [registry];
    this.eventsIn = new Counter({ name: 'portrait_events_in_total', help: 'Records read from the input topic', labelNames: ['topic'], registers });
    this.applied = new Counter({ name: 'portrait_events_applied_total', help: 'Comments folded into a profile', registers });
    this.duplicates = new Counter({ name: 'portrait_events_duplicate_total', help: 'Comments skipped because already applied: a redelivered offset or a repeated event id', registers });
    this.skipped = new Counter({
      name: 'portrait_events_skipped_total',
      help: 'Comments not folded, by reason: redelivered (offset already applied in this topic incarnation), repeated (event id folded before at another offset), suppressed (an erasure covers it)',
      labelNames: ['reason'],
      registers,
    });
    this.incarnations = new Counter({
      name: 'portrait_topic_incarnations_total',
      help: 'New incarnations (topic IDs) of an input topic met: the topic was recreated, mirrored or its broker started on fresh storage',
      labelNames: ['topic'],
      registers,
    });
    this.staleIncarnations = new Counter({ name: 'portrait_stale_incarnation_offsets_total', help: "Users' applied offsets of an older incarnation of a topic dropped (first event of the new incarnation per user and partition)", registers });
    this.epochs = new Counter({ name: 'portrait_state_epochs_total', help: 'State epochs this processor came to write in, by how each began (fresh, adopted, lost: Redis lost the state)', labelNames: ['kind'], registers });
    this.rewinds = new Counter({ name: 'portrait_partition_rewinds_total', help: 'Partitions rewound because the state in Redis did not cover the events before a chunk, by reason', labelNames: ['reason'], registers });
    this.fenced = new Counter({ name: 'portrait_states_fenced_total', help: 'User states of an older state epoch not trusted and rebuilt', registers });
    this.spread = new Counter({
      name: 'portrait_spread_user_writes_total',
      help: 'Profile writes of users whose comments came from more than one partition of the comments topic: a producer not keying by userId with murmur2 (docs/events.md, Partitioning)',
      registers,
    });
    this.republished = new Counter({
      name: 'portrait_profiles_republished_total',
      help: "Profile events published again after a chunk's because another writer of the same user moved the store on meanwhile (two instances on one user, a rebalance): the topic's last record per user is the stored one",
      registers,
    });
    for (const reason of ['redelivered', 'repeated', 'suppressed']) this.skipped.inc({ reason }, 0);
    this.profilesOut = new Counter({ name: 'portrait_profile_events_out_total', help: 'Profile events published', registers });
    this.deadLetters = new Counter({ name: 'portrait_dead_letters_total', help: 'Records sent to the dead-letter topic, by reason code', labelNames: ['reason'], registers });
    this.conflicts = new Counter({ name: 'portrait_store_conflicts_total', help: 'Profile compare-and-set conflicts resolved by re-reading', registers });
    this.batchRecords = new Histogram({ name: 'portrait_batch_records', help: 'Records per processed batch', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], registers });
    this.batchDuration = new Histogram({ name: 'portrait_batch_duration_seconds', help: 'Process + produce time of a batch', buckets: STAGE_BUCKETS, registers });
    this.stageDuration = new Histogram({ name: 'portrait_stage_duration_seconds', help: 'Time per pipeline stage per batch (decode includes preprocessing; produce = until acknowledged)', labelNames: ['stage'], buckets: STAGE_BUCKETS, registers });
    this.eventToProfile = new Histogram({ name: 'portrait_event_to_profile_seconds', help: 'Event time (ts) to its profile event acknowledged', buckets: LATENCY_BUCKETS, registers });
    this.ingestToProfile = new Histogram({ name: 'portrait_ingest_to_profile_seconds', help: 'Kafka record timestamp to its profile event acknowledged', buckets: LATENCY_BUCKETS, registers });
    this.lag = new Gauge({ name: 'portrait_consumer_lag', help: 'Records not yet committed by the consumer group, per partition', labelNames: ['group', 'topic', 'partition'], registers, aggregator: 'max' });
    this.modelInfo = new Gauge({ name: 'portrait_model_info', help: 'Embedder and classifier in use (value 1)', labelNames: ['embedder', 'classifier_kind', 'classifier_version'], registers });
    const self = this;
    this.cacheHits = new Counter({
      name: 'portrait_embed_cache_hits_total',
      help: 'Embedding cache hits',
      registers,
      collect() {
        self.syncCache();
      },
    });
    this.cacheMisses = new Counter({ name: 'portrait_embed_cache_misses_total', help: 'Embedding cache misses (texts embedded)', registers });
    this.errors = new Counter({ name: 'portrait_errors_total', help: 'Errors by dependency and code', labelNames: ['component', 'code'], registers });
    this.retries = new Counter({ name: 'portrait_retries_total', help: 'Batches retried after a retriable failure, by dependency', labelNames: ['component'], registers });
  }

  /** Record one processed and published batch (RunnerHooks.onBatch). */
  observeBatch(out: BatchLike, info: BatchInfo): void {
    const now = this.clock();
    const s = out.stats;
    const topic = info.topic ?? this.opts.commentsTopic;
    this.eventsIn.inc({ topic }, s.records);
    this.applied.inc(s.applied ?? 0);
    this.duplicates.inc(s.duplicates ?? 0);
    if (s.redelivered) this.skipped.inc({ reason: 'redelivered' }, s.redelivered);
    if (s.repeated) this.skipped.inc({ reason: 'repeated' }, s.repeated);
    if (s.suppressed) this.skipped.inc({ reason: 'suppressed' }, s.suppressed);
    if (s.fenced) this.fenced.inc(s.fenced);
    if (s.staleIncarnations) this.staleIncarnations.inc(s.staleIncarnations);
    if (s.spread) this.spread.inc(s.spread);
    if (info.republished) this.republished.inc(info.republished);
    this.profilesOut.inc(out.profiles.length);
    this.conflicts.inc(s.conflicts ?? 0);
    for (const [reason, n] of Object.entries(s.rejected)) this.deadLetters.inc({ reason }, n);
    this.batchRecords.observe(s.records);
    this.batchDuration.observe(info.ms / 1000);
    this.windows.batch.record(info.ms, now);
    const stages: StageDurations = { ...out.timings, ...(info.produceMs !== undefined ? { produce: info.produceMs } : {}) };
    for (const stage of STAGES) {
      const ms = stages[stage];
      if (ms === undefined) continue;
      this.stageDuration.observe({ stage }, ms / 1000);
      this.windows.stages[stage].record(ms, now);
    }
    for (const ts of out.folded?.eventTs ?? []) {
      const ms = Math.max(0, now - ts);
      this.eventToProfile.observe(ms / 1000);
      this.windows.eventToProfile.record(ms, now);
    }
    for (const ts of out.folded?.recordTs ?? []) {
      const ms = Math.max(0, now - ts);
      this.ingestToProfile.observe(ms / 1000);
      this.windows.ingestToProfile.record(ms, now);
    }
    const dl = out.deadLetters.length;
    this.totals.eventsIn += s.records;
    this.totals.applied += s.applied ?? 0;
    this.totals.duplicates += s.duplicates ?? 0;
    this.totals.profilesOut += out.profiles.length;
    this.totals.deadLetters += dl;
    this.totals.batches++;
    this.rates.eventsIn.add(s.records, now);
    this.rates.profilesOut.add(out.profiles.length, now);
    this.rates.deadLetters.add(dl, now);
  }

  /** What the continuity guard met (src/pipeline/continuity.ts: ContinuityEvents). */
  readonly continuity = {
    onEpoch: (_ns: string, epoch: { kind: string }) => this.epochs.inc({ kind: epoch.kind }),
    onRewind: (_topic: string, _partition: number, reason: string) => this.rewinds.inc({ reason }),
    onIncarnation: (topic: string, _topicId: string, previous: string | undefined) => {
      if (previous !== undefined) this.incarnations.inc({ topic });
    },
  };

  /** A batch failed retriably and will be retried (RunnerHooks.onRetry). */
  observeRetry(err: unknown, _attempt?: number): void {
    const component = componentOf(err);
    this.retries.inc({ component });
    this.totals.retries++;
    this.observeError(err, component);
  }

  /** Count an error (a failed lag poll, a failed stats publish, a batch failure). */
  observeError(err: unknown, component: ErrorComponent = componentOf(err)): void {
    this.errors.inc({ component, code: codeOf(err) });
    this.totals.errors++;
  }

  setModels(m: ModelVersions): void {
    this.models = { ...m };
    this.modelInfo.reset();
    this.modelInfo.set({ embedder: m.embedder, classifier_kind: m.classifierKind, classifier_version: m.classifierVersion }, 1);
  }

  /** Read the embedding cache counters (CachedEmbedder.stats, cumulative) at each scrape and snapshot. */
  trackEmbedCache(source: () => { hits: number; misses: number } | undefined): void {
    this.cacheSource = source;
  }

  private syncCache(): { hits: number; misses: number } | undefined {
    const st = this.cacheSource?.();
    if (!st) return undefined;
    // counters only go up: add what is new since the last look (a reset of the source restarts the baseline)
    const dh = st.hits - this.cacheSeen.hits;
    const dm = st.misses - this.cacheSeen.misses;
    if (dh > 0) this.cacheHits.inc(dh);
    if (dm > 0) this.cacheMisses.inc(dm);
    this.cacheSeen = { hits: st.hits, misses: st.misses };
    return st;
  }

  /** Replace the lag gauge with a fresh poll (src/metrics/lag.ts). */
  setLag(group: string, rows: readonly PartitionLag[]): void {
    this.lag.reset();
    for (const r of rows) this.lag.set({ group, topic: r.topic, partition: String(r.partition) }, r.lag);
    this.lastLag = { at: this.clock(), total: rows.reduce((n, r) => n + r.lag, 0), partitions: rows.map((r) => ({ ...r })) };
  }

  /** The live stats snapshot (src/metrics/publisher.ts publishes it). */
  snapshot(ids: { instanceId: string; namespace: string; groupId: string; startedAt: number }): ProcSnapshot {
    const now = this.clock();
    const cache = this.syncCache();
    return {
      v: 1,
      ...ids,
      at: now,
      totals: { ...this.totals },
      rates: { eventsIn: this.rates.eventsIn.rate(now), profilesOut: this.rates.profilesOut.rate(now), deadLetters: this.rates.deadLetters.rate(now) },
      lag: this.lastLag,
      latency: {
        eventToProfile: this.windows.eventToProfile.percentiles(now),
        ingestToProfile: this.windows.ingestToProfile.percentiles(now),
        batch: this.windows.batch.percentiles(now),
        stages: Object.fromEntries(STAGES.map((s) => [s, this.windows.stages[s].percentiles(now)])),
      },
      models: this.models,
      cache: cache ? { hits: cache.hits, misses: cache.misses, hitRate: cache.hits + cache.misses > 0 ? cache.hits / (cache.hits + cache.misses) : null } : null,
    };
  }
}
