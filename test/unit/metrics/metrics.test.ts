/** Portrait's metric helpers on a fresh registry: what a batch, a retry, the cache and the lag become. */
import { describe, expect, it } from 'vitest';
import { computeLag } from '../../../src/metrics/lag.js';
import { componentOf, createRegistry, PortraitMetrics } from '../../../src/metrics/index.js';
import { PortraitError } from '../../../src/util/errors.js';

function setup(now = { t: 1_000_000 }) {
  const registry = createRegistry({ defaultMetrics: false });
  const metrics = new PortraitMetrics(registry, { commentsTopic: 'comments', clock: () => now.t });
  return { registry, metrics, now };
}

const batch = (over: object = {}) => ({
  profiles: [{}, {}],
  deadLetters: [{}],
  stats: { records: 5, applied: 3, duplicates: 1, conflicts: 1, rejected: { REJECT_INVALID_JSON: 1 } },
  timings: { decode: 2, embed: 40, classify: 1, store: 5 },
  folded: { eventTs: [1_000_000 - 1500, 1_000_000 - 500], recordTs: [1_000_000 - 200] },
  ...over,
});

describe('PortraitMetrics', () => {
  it('a batch feeds the counters and histograms', async () => {
    const { registry, metrics } = setup();
    metrics.observeBatch(batch(), { partition: 2, lastOffset: 9, ms: 60, produceMs: 8 });
    const text = await registry.metrics();
    expect(text).toContain('portrait_events_in_total{topic="comments"} 5');
    expect(text).toContain('portrait_events_applied_total 3');
    expect(text).toContain('portrait_events_duplicate_total 1');
    expect(text).toContain('portrait_profile_events_out_total 2');
    expect(text).toContain('portrait_dead_letters_total{reason="REJECT_INVALID_JSON"} 1');
    expect(text).toContain('portrait_store_conflicts_total 1');
    expect(text).toContain('portrait_batch_records_bucket{le="8"} 1');
    expect(text).toContain('portrait_stage_duration_seconds_sum{stage="embed"} 0.04');
    expect(text).toContain('portrait_stage_duration_seconds_count{stage="produce"} 1');
    expect(text).toContain('portrait_event_to_profile_seconds_count 2');
    expect(text).toContain('portrait_event_to_profile_seconds_sum 2');
    expect(text).toContain('portrait_ingest_to_profile_seconds_sum 0.2');
    expect(text).toContain('portrait_batch_duration_seconds_sum 0.06');
  });

  it('counts the writes of users seen on more than one partition (a producer not on murmur2)', async () => {
    const { registry, metrics } = setup();
    metrics.observeBatch(batch(), { partition: 2, lastOffset: 9, ms: 60 });
    expect(await registry.metrics()).toContain('portrait_spread_user_writes_total 0');
    metrics.observeBatch(batch({ stats: { records: 5, rejected: {}, spread: 2 } }), { partition: 2, lastOffset: 9, ms: 60 });
    metrics.observeBatch(batch({ stats: { records: 5, rejected: {}, spread: 1 } }), { partition: 5, lastOffset: 3, ms: 60 });
    expect(await registry.metrics()).toContain('portrait_spread_user_writes_total 3');
  });

  it('counts the profile events published again because another writer moved the store on', async () => {
    const { registry, metrics } = setup();
    metrics.observeBatch(batch(), { partition: 2, lastOffset: 9, ms: 60, republished: 0 });
    expect(await registry.metrics()).toContain('portrait_profiles_republished_total 0');
    metrics.observeBatch(batch(), { partition: 2, lastOffset: 9, ms: 60, republished: 3 });
    expect(await registry.metrics()).toContain('portrait_profiles_republished_total 3');
  });

  it('works with only what BatchOutput has today (no folded times, no produce time)', async () => {
    const { registry, metrics } = setup();
    metrics.observeBatch({ profiles: [], deadLetters: [], stats: { records: 1, rejected: {} } }, { partition: 0, lastOffset: 0, ms: 1, topic: 'other' });
    const text = await registry.metrics();
    expect(text).toContain('portrait_events_in_total{topic="other"} 1');
    expect(text).toContain('portrait_event_to_profile_seconds_count 0');
  });

  it('retries and errors are counted by dependency', async () => {
    const { registry, metrics } = setup();
    metrics.observeRetry(new PortraitError('REDIS_UNAVAILABLE', 'down'), 1);
    metrics.observeRetry(Object.assign(new Error('broker gone'), { name: 'KafkaJSConnectionError' }), 2);
    metrics.observeError(new Error('lag poll'), 'kafka');
    const text = await registry.metrics();
    expect(text).toContain('portrait_retries_total{component="redis"} 1');
    expect(text).toContain('portrait_retries_total{component="kafka"} 1');
    expect(text).toContain('portrait_errors_total{component="redis",code="REDIS_UNAVAILABLE"} 1');
    expect(text).toContain('portrait_errors_total{component="kafka",code="KafkaJSConnectionError"} 1');
    expect(text).toContain('portrait_errors_total{component="kafka",code="Error"} 1');
  });

  it('model versions are an info gauge; a swap replaces the series', async () => {
    const { registry, metrics } = setup();
    metrics.setModels({ embedder: 'bge@q8/cls', classifierKind: 'zero-shot', classifierVersion: 'a1' });
    metrics.setModels({ embedder: 'bge@q8/cls', classifierKind: 'rf', classifierVersion: 'b2' });
    const text = await registry.metrics();
    expect(text).toContain('portrait_model_info{embedder="bge@q8/cls",classifier_kind="rf",classifier_version="b2"} 1');
    expect(text).not.toContain('classifier_version="a1"');
  });

  it('the embedding cache counters follow CachedEmbedder.stats at each scrape', async () => {
    const { registry, metrics } = setup();
    const stats = { hits: 0, misses: 0 };
    metrics.trackEmbedCache(() => stats);
    Object.assign(stats, { hits: 3, misses: 1 });
    expect(await registry.metrics()).toContain('portrait_embed_cache_hits_total 3');
    Object.assign(stats, { hits: 10, misses: 2 });
    const text = await registry.metrics();
    expect(text).toContain('portrait_embed_cache_hits_total 10');
    expect(text).toContain('portrait_embed_cache_misses_total 2');
  });

  it('lag per partition replaces the previous poll', async () => {
    const { registry, metrics } = setup();
    metrics.setLag('g', [
      { topic: 'comments', partition: 0, end: 10, committed: 4, lag: 6 },
      { topic: 'comments', partition: 1, end: 5, committed: 5, lag: 0 },
    ]);
    metrics.setLag('g', [{ topic: 'comments', partition: 0, end: 12, committed: 12, lag: 0 }]);
    const text = await registry.metrics();
    expect(text).toContain('portrait_consumer_lag{group="g",topic="comments",partition="0"} 0');
    expect(text).not.toContain('partition="1"');
  });

  it('the snapshot has rates, lag, percentiles, models and the cache hit rate', () => {
    const { metrics, now } = setup();
    const stats = { hits: 3, misses: 1 };
    metrics.trackEmbedCache(() => stats);
    metrics.setModels({ embedder: 'e', classifierKind: 'zero-shot', classifierVersion: 'v' });
    metrics.observeBatch(batch(), { partition: 0, lastOffset: 4, ms: 60, produceMs: 8 });
    now.t += 1000;
    metrics.observeBatch(batch(), { partition: 0, lastOffset: 9, ms: 40 });
    metrics.setLag('g', [{ topic: 'comments', partition: 0, end: 10, committed: 7, lag: 3 }]);
    const s = metrics.snapshot({ instanceId: 'i', namespace: 'main', groupId: 'g', startedAt: 0 });
    expect(s.totals).toMatchObject({ eventsIn: 10, applied: 6, profilesOut: 4, deadLetters: 2, batches: 2 });
    expect(s.rates.eventsIn).toBeCloseTo(10, 5); // 10 events over the 1 s since the first batch
    expect(s.lag).toMatchObject({ total: 3, partitions: [{ partition: 0, lag: 3 }] });
    expect(s.latency.eventToProfile).toMatchObject({ count: 4, p50: 1500, max: 2500 }); // 1500, 500, then 2500, 1500 a second later
    expect(s.latency.stages.embed).toMatchObject({ count: 2, p50: 40 });
    expect(s.latency.stages.produce).toMatchObject({ count: 1, p50: 8 });
    expect(s.models).toEqual({ embedder: 'e', classifierKind: 'zero-shot', classifierVersion: 'v' });
    expect(s.cache).toEqual({ hits: 3, misses: 1, hitRate: 0.75 });
    expect(JSON.stringify(s).length).toBeLessThan(2048);
  });
});

describe('componentOf', () => {
  it('names the dependency behind an error', () => {
    expect(componentOf(new PortraitError('REDIS_UNAVAILABLE'))).toBe('redis');
    expect(componentOf(new PortraitError('EMBED_FAILED'))).toBe('embed');
    expect(componentOf(new PortraitError('STORE_CONFLICT'))).toBe('store');
    expect(componentOf(Object.assign(new Error('x'), { name: 'KafkaJSNumberOfRetriesExceeded' }))).toBe('kafka');
    expect(componentOf(new Error('Connection is closed.'))).toBe('redis');
    expect(componentOf('weird')).toBe('other');
  });
});

describe('computeLag', () => {
  it('end minus committed; a partition never committed counts from its low watermark', () => {
    const rows = computeLag(
      'comments',
      [
        { partition: 1, high: '50', low: '10' },
        { partition: 0, high: '100', low: '0' },
        { partition: 2, high: '7', low: '7' },
      ],
      [
        { partition: 0, offset: '90' },
        { partition: 1, offset: '-1' },
      ],
    );
    expect(rows).toEqual([
      { topic: 'comments', partition: 0, end: 100, committed: 90, lag: 10 },
      { topic: 'comments', partition: 1, end: 50, committed: -1, lag: 40 },
      { topic: 'comments', partition: 2, end: 7, committed: -1, lag: 0 },
    ]);
  });
});
