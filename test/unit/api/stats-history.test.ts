/** Pure parts of the stats and history readers: combining snapshots, re-labelling processor series, history entries. */
import { describe, expect, it } from 'vitest';
import { historyEntry } from '../../../src/api/history.js';
import { combineStats, NamespaceSpans, processorMetricsText } from '../../../src/api/stats.js';
import type { NamespaceSpan } from '../../../src/store/namespaces.js';
import { createRegistry, PortraitMetrics, type ProcSnapshot } from '../../../src/metrics/index.js';
import { fakeProfile } from './fakes.js';

const P = (p50: number, p95: number, count: number) => ({ p50, p95, p99: p95, max: p95, count });

function snap(id: string, over: Partial<ProcSnapshot> = {}): ProcSnapshot {
  return {
    v: 1,
    instanceId: id,
    namespace: 'main',
    groupId: 'g',
    startedAt: 0,
    at: 1000,
    totals: { eventsIn: 10, applied: 8, duplicates: 0, profilesOut: 5, deadLetters: 2, batches: 1, retries: 0, errors: 0 },
    rates: { eventsIn: 100, profilesOut: 50, deadLetters: 1 },
    lag: null,
    latency: { eventToProfile: P(100, 400, 10), ingestToProfile: P(80, 300, 10), batch: P(20, 30, 1), stages: { embed: P(10, 20, 1) } },
    models: { embedder: 'bge@q8/cls', classifierKind: 'zero-shot', classifierVersion: 'v1' },
    cache: { hits: 3, misses: 1, hitRate: 0.75 },
    ...over,
  };
}

describe('combineStats', () => {
  it('sums rates and totals, keeps the freshest lag per group, the worst percentiles, distinct models', () => {
    const lagA = { at: 500, total: 9, partitions: [{ topic: 't', partition: 0, end: 10, committed: 1, lag: 9 }] };
    const lagB = { at: 900, total: 4, partitions: [{ topic: 't', partition: 0, end: 10, committed: 6, lag: 4 }] };
    const v = combineStats(
      'main',
      [snap('b', { lag: lagA }), snap('a', { lag: lagB, latency: { eventToProfile: P(200, 300, 5), ingestToProfile: P(0, 0, 0), batch: P(1, 1, 1), stages: {} }, models: { embedder: 'bge@q8/cls', classifierKind: 'rf', classifierVersion: 'v2' } })],
      2000,
    );
    expect(v.instances.map((i) => i.instanceId)).toEqual(['a', 'b']);
    expect(v.throughput).toEqual({ eventsIn: 200, profilesOut: 100, deadLetters: 2 });
    expect(v.totals.eventsIn).toBe(20);
    expect(v.lag).toEqual([{ groupId: 'g', ...lagB }]);
    expect(v.latency.eventToProfile).toEqual({ p50: 200, p95: 400, p99: 400, max: 400, count: 15 });
    expect(v.latency.ingestToProfile.count).toBe(10);
    expect(v.latency.stages.embed).toEqual(P(10, 20, 1));
    expect(v.models.map((m) => m.classifierKind).sort()).toEqual(['rf', 'zero-shot']);
    expect(v.cache).toEqual({ hits: 6, misses: 2, hitRate: 0.75 });
  });

  it('is all zeros with no live processor', () => {
    const v = combineStats('main', [], 1);
    expect(v.instances).toEqual([]);
    expect(v.throughput.eventsIn).toBe(0);
    expect(v.cache.hitRate).toBeNull();
    expect(v.latency.eventToProfile.count).toBe(0);
  });
});

describe('processorMetricsText', () => {
  it('labels each processor series with its instance and merges the shared lag gauge', async () => {
    const perInstance = [];
    for (const [id, n, lag] of [
      ['p1', 3, 7],
      ['p2', 5, 9],
    ] as const) {
      const reg = createRegistry({ defaultMetrics: true });
      const m = new PortraitMetrics(reg, { commentsTopic: 'comments' });
      m.observeBatch({ profiles: [], deadLetters: [], stats: { records: n, rejected: {} } }, { partition: 0, lastOffset: 1, ms: 5 });
      m.setLag('g', [{ topic: 'comments', partition: 0, end: 10, committed: 10 - lag, lag }]);
      perInstance.push({ instanceId: id, metrics: await reg.getMetricsAsJSON() });
    }
    const text = await processorMetricsText(perInstance);
    expect(text).toContain('portrait_events_in_total{topic="comments",processor="p1"} 3');
    expect(text).toContain('portrait_events_in_total{topic="comments",processor="p2"} 5');
    expect(text).toMatch(/portrait_batch_records_bucket\{le="4",processor="p1"\} 1/);
    expect(text).toContain('portrait_consumer_lag{group="g",topic="comments",partition="0"} 9');
    expect(text).not.toContain('process_cpu'); // the API exposes its own process metrics
    expect(await processorMetricsText([])).toBe('');
  });
});

describe('historyEntry', () => {
  it('keeps versions, top interests and terms, never the centroid or evidence', () => {
    const p = { ...fakeProfile('u'), version: 7, topTerms: Array.from({ length: 8 }, (_, i) => ({ term: `t${i}`, score: 8 - i })) };
    const e = historyEntry(p);
    expect(e).toEqual({
      version: 7,
      updatedAt: p.updatedAt,
      commentCount: 3,
      interests: [
        { label: 'sports', score: 2.1, share: 0.7 },
        { label: 'tech', score: 0.9, share: 0.3 },
      ],
      topTerms: ['t0', 't1', 't2', 't3', 't4'],
      classifier: { kind: 'zero-shot', version: 'abc' },
      embedder: 'test-embedder',
    });
    expect(JSON.stringify(e).length).toBeLessThan(400);
  });
});

describe('namespace spans for GET /v1/namespaces', () => {
  it('computes at most once per max age, in names order, and does not keep a failure', async () => {
    let now = 1_000;
    let calls = 0;
    let fail = false;
    const source = {
      names: async () => {
        calls++;
        if (fail) throw new Error('redis down');
        return [
          { namespace: 'main', active: true },
          { namespace: 'rebuild', active: false },
        ];
      },
      span: async (ns: string): Promise<NamespaceSpan> =>
        ns === 'main' ? { namespace: ns, profiles: 2, oldestFirstSeen: Date.UTC(2026, 0, 1), newestLastSeen: Date.UTC(2026, 1, 1) } : { namespace: ns, profiles: 0, oldestFirstSeen: undefined, newestLastSeen: undefined },
    };
    const spans = new NamespaceSpans(source, 60_000, () => now);
    const first = await spans.view();
    expect(first).toEqual({
      at: 1_000,
      namespaces: [
        { namespace: 'main', active: true, profiles: 2, oldestFirstSeen: '2026-01-01T00:00:00.000Z', newestLastSeen: '2026-02-01T00:00:00.000Z' },
        { namespace: 'rebuild', active: false, profiles: 0, oldestFirstSeen: null, newestLastSeen: null },
      ],
    });
    now += 59_999;
    expect(await spans.view()).toBe(first);
    expect(calls).toBe(1);
    now += 1;
    fail = true;
    await expect(spans.view()).rejects.toThrow('redis down');
    fail = false;
    expect((await spans.view()).at).toBe(now);
    expect(calls).toBe(3);
  });
});
