/**
 * Live processor stats for GET /v1/stats and the processors' series for GET /metrics, read from
 * the snapshots every processor publishes (src/metrics/publisher.ts), kept in Redis by
 * src/store/processor-stats.ts (`<prefix>:<ns>:proc:{<instance>}`, found with SCAN on every master).
 */
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { parseSnapshot, type ModelVersions, type PartitionLag, type Percentiles, type ProcSnapshot } from '../metrics/index.js';
import type { NamespaceSpan } from '../store/namespaces.js';
import type { ProcessorStatsStore } from '../store/types.js';

export interface StatsView {
  namespace: string;
  at: number;
  /** live processor instances (published within their TTL) */
  instances: { instanceId: string; groupId: string; at: number; startedAt: number; rates: ProcSnapshot['rates']; totals: ProcSnapshot['totals'] }[];
  /** per second, summed over instances */
  throughput: ProcSnapshot['rates'];
  totals: ProcSnapshot['totals'];
  /** the freshest lag poll per consumer group */
  lag: { groupId: string; at: number; total: number; partitions: PartitionLag[] }[];
  /** ms over the last minute; each percentile is the worst instance's (conservative), counts are summed */
  latency: { eventToProfile: Percentiles; ingestToProfile: Percentiles; batch: Percentiles; stages: Record<string, Percentiles> };
  models: ModelVersions[];
  cache: { hits: number; misses: number; hitRate: number | null };
}

const EMPTY_P: Percentiles = { p50: 0, p95: 0, p99: 0, max: 0, count: 0 };

function worst(ps: (Percentiles | undefined)[]): Percentiles {
  const live = ps.filter((p): p is Percentiles => p !== undefined && p.count > 0);
  if (live.length === 0) return { ...EMPTY_P };
  return {
    p50: Math.max(...live.map((p) => p.p50)),
    p95: Math.max(...live.map((p) => p.p95)),
    p99: Math.max(...live.map((p) => p.p99)),
    max: Math.max(...live.map((p) => p.max)),
    count: live.reduce((n, p) => n + p.count, 0),
  };
}

/** Pure: one view over the live snapshots of a namespace. */
export function combineStats(namespace: string, snaps: readonly ProcSnapshot[], now: number): StatsView {
  const sum = <K extends string>(pick: (s: ProcSnapshot) => Record<K, number>, keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, snaps.reduce((n, s) => n + (pick(s)[k] ?? 0), 0)])) as Record<K, number>;
  const lagByGroup = new Map<string, StatsView['lag'][number]>();
  for (const s of snaps) {
    if (!s.lag) continue;
    const cur = lagByGroup.get(s.groupId);
    if (!cur || s.lag.at > cur.at) lagByGroup.set(s.groupId, { groupId: s.groupId, ...s.lag });
  }
  const models = new Map<string, ModelVersions>();
  for (const s of snaps) if (s.models) models.set(JSON.stringify(s.models), s.models);
  const stageNames = [...new Set(snaps.flatMap((s) => Object.keys(s.latency.stages ?? {})))];
  const hits = snaps.reduce((n, s) => n + (s.cache?.hits ?? 0), 0);
  const misses = snaps.reduce((n, s) => n + (s.cache?.misses ?? 0), 0);
  return {
    namespace,
    at: now,
    instances: [...snaps].sort((a, b) => a.instanceId.localeCompare(b.instanceId)).map((s) => ({ instanceId: s.instanceId, groupId: s.groupId, at: s.at, startedAt: s.startedAt, rates: s.rates, totals: s.totals })),
    throughput: sum((s) => s.rates, ['eventsIn', 'profilesOut', 'deadLetters'] as const),
    totals: sum((s) => s.totals, ['eventsIn', 'applied', 'duplicates', 'profilesOut', 'deadLetters', 'batches', 'retries', 'errors'] as const),
    lag: [...lagByGroup.values()].sort((a, b) => a.groupId.localeCompare(b.groupId)),
    latency: {
      eventToProfile: worst(snaps.map((s) => s.latency.eventToProfile)),
      ingestToProfile: worst(snaps.map((s) => s.latency.ingestToProfile)),
      batch: worst(snaps.map((s) => s.latency.batch)),
      stages: Object.fromEntries(stageNames.map((st) => [st, worst(snaps.map((s) => s.latency.stages?.[st as keyof ProcSnapshot['latency']['stages']]))])),
    },
    models: [...models.values()],
    cache: { hits, misses, hitRate: hits + misses > 0 ? hits / (hits + misses) : null },
  };
}

type MetricJson = MetricObjectWithValues<MetricValue<string>> & { aggregator?: string };

/**
 * Pure: the processors' series as Prometheus text, each labelled with its `processor` (its instance id; not `instance`, which Prometheus sets to the scraped target); series the
 * processors share (lag per partition, aggregator 'max') are merged instead. Only portrait_* series.
 */
export async function processorMetricsText(perInstance: readonly { instanceId: string; metrics: MetricJson[] }[]): Promise<string> {
  const arr = perInstance.map(({ instanceId, metrics }) =>
    metrics
      .filter((m) => typeof m?.name === 'string' && m.name.startsWith('portrait_') && Array.isArray(m.values))
      .map((m) => ({
        ...m,
        aggregator: m.aggregator === 'max' ? 'max' : 'sum',
        values: m.aggregator === 'max' ? m.values : m.values.map((v) => ({ ...v, labels: { ...v.labels, processor: instanceId } })),
      })),
  );
  if (arr.length === 0) return '';
  return AggregatorRegistry.aggregate(arr as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
}

/** The live processors' stats of a namespace, combined (the store reads every live snapshot). */
export class StatsReader {
  constructor(private readonly store: Pick<ProcessorStatsStore, 'read'>) {}

  async snapshots(namespace: string): Promise<ProcSnapshot[]> {
    const rows = await this.store.read(namespace, ['stats']);
    return rows.map(([s]) => parseSnapshot(s)).filter((s): s is ProcSnapshot => s !== null);
  }

  async stats(namespace: string, now = Date.now()): Promise<StatsView> {
    return combineStats(namespace, await this.snapshots(namespace), now);
  }

  async metricsText(namespace: string): Promise<string> {
    const rows = await this.store.read(namespace, ['stats', 'metrics']);
    const per: { instanceId: string; metrics: MetricJson[] }[] = [];
    for (const [s, m] of rows) {
      const snap = parseSnapshot(s);
      if (!snap || !m) continue;
      try {
        const metrics = JSON.parse(m) as unknown;
        if (Array.isArray(metrics)) per.push({ instanceId: snap.instanceId, metrics: metrics as MetricJson[] });
      } catch {
        // a corrupt value: skip this instance
      }
    }
    return processorMetricsText(per);
  }
}

/** GET /v1/namespaces: every namespace and the history its profiles cover. */
export interface NamespacesView {
  at: number;
  namespaces: { namespace: string; active: boolean; profiles: number; oldestFirstSeen: string | null; newestLastSeen: string | null }[];
}

/** Namespace spans read every profile: computed at most once per `maxAgeMs`, one computation at a time. */
export class NamespaceSpans {
  private last: { at: number; view: Promise<NamespacesView> } | undefined;

  constructor(
    private readonly source: { names(): Promise<{ namespace: string; active: boolean }[]>; span(ns: string): Promise<NamespaceSpan> },
    private readonly maxAgeMs = 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  view(): Promise<NamespacesView> {
    const now = this.clock();
    if (this.last && now - this.last.at < this.maxAgeMs) return this.last.view;
    const view = this.compute(now);
    this.last = { at: now, view };
    view.catch(() => {
      if (this.last?.view === view) this.last = undefined;
    });
    return view;
  }

  private async compute(at: number): Promise<NamespacesView> {
    const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
    const out: NamespacesView['namespaces'] = [];
    for (const n of await this.source.names()) {
      const s = await this.source.span(n.namespace);
      out.push({ namespace: n.namespace, active: n.active, profiles: s.profiles, oldestFirstSeen: iso(s.oldestFirstSeen), newestLastSeen: iso(s.newestLastSeen) });
    }
    return { at, namespaces: out };
  }
}
