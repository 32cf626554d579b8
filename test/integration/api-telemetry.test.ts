/**
 * A processor's telemetry on the real stack: lag polled from Kafka, the stats snapshot published to
 * Redis and read back through the API's reader, the processor's own /metrics and /readyz.
 */
import { describe, expect, it } from 'vitest';
import { StatsReader } from '../../src/api/stats.js';
import { loadConfig } from '../../src/config/index.js';
import { createTelemetry } from '../../src/app/telemetry.js';
import { Keys } from '../../src/store/index.js';
import { RedisProcessorStats } from '../../src/store/processor-stats.js';
import { Parts } from '../../src/app/parts.js';
import { silentLogger } from '../../src/util/logger.js';
import { freePort } from '../helpers/faults.js';
import { brokers, createTestTopics, redisUrl, registerCleanup, testAdmin, testKafka, testRedis, uniqueName } from '../helpers/services.js';

describe('processor telemetry', () => {
  it('polls lag, publishes stats to Redis and serves /metrics and /readyz with the model probe', async () => {
    const admin = await testAdmin();
    const [comments, profiles, dlq] = await createTestTopics(admin, 'tele', 2, 3);
    const { prefix } = testRedis();
    const groupId = uniqueName('tele-group');
    const producer = testKafka().producer();
    await producer.connect();
    await producer.send({ topic: comments!, messages: Array.from({ length: 5 }, (_, i) => ({ key: `u${i}`, value: '{}' })) });
    await producer.disconnect();

    const port = await freePort();
    const cfg = loadConfig({
      env: {},
      overrides: {
        kafka: { brokers: brokers(), topics: { comments, profiles, deadLetter: dlq } },
        redis: { url: redisUrl(), keyPrefix: prefix },
        metrics: { port, lagIntervalMs: 200, publishIntervalMs: 200 },
      },
    });
    const parts = new Parts(cfg, silentLogger);
    registerCleanup(() => parts.close());
    const { redis } = parts;
    const telemetry = createTelemetry(cfg, silentLogger, { groupId, instanceId: 'tele-1' });
    registerCleanup(() => telemetry.stop());
    telemetry.hooks.onBatch(
      { profiles: [{}], deadLetters: [], stats: { records: 3, applied: 3, rejected: {} }, timings: { decode: 1, embed: 2, classify: 1, store: 1 }, folded: { eventTs: [Date.now() - 100], recordTs: [Date.now() - 50] } },
      { partition: 0, lastOffset: 2, ms: 5, produceMs: 1 },
    );
    const loaded = { dim: 0 };
    const { port: bound } = await telemetry.attach({
      embedder: {
        id: 'test-embedder',
        get dim() {
          return loaded.dim;
        },
        stats: { hits: 2, misses: 2 },
      },
      classifier: () => ({ kind: 'zero-shot', version: 'v1' }),
      parts,
      namespace: () => 'main',
      ping: () => redis.ping(),
    });
    expect(bound).toBe(port);
    const base = `http://127.0.0.1:${port}`;

    // the model is not loaded yet: not ready, and says why
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(((await notReady.json()) as { error: { message: string } }).error.message).toContain('model');
    loaded.dim = 8;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    // lag of a group that never committed: everything in the topic
    await expect
      .poll(
        async () =>
          (await (await fetch(`${base}/metrics`)).text())
            .match(/portrait_consumer_lag\{[^}]*\} (\d+)/g)
            ?.map((l) => Number(l.split(' ')[1]))
            .reduce((a, b) => a + b, 0),
        { timeout: 20_000 },
      )
      .toBe(5);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('portrait_model_info{embedder="test-embedder",classifier_kind="zero-shot",classifier_version="v1"} 1');
    expect(text).toContain('portrait_embed_cache_hits_total 2');
    expect(text).toContain('process_cpu_user_seconds_total');

    // the snapshot as the API reads it
    const reader = new StatsReader(new RedisProcessorStats(redis, prefix));
    await expect.poll(async () => (await reader.stats('main')).lag[0]?.total, { timeout: 20_000 }).toBe(5);
    const view = await reader.stats('main');
    expect(view.instances.map((i) => i.instanceId)).toEqual(['tele-1']);
    expect(view.totals.eventsIn).toBe(3);
    expect(view.cache.hitRate).toBe(0.5);
    expect(await reader.metricsText('main')).toContain('portrait_events_in_total{topic="' + comments + '",processor="tele-1"} 3');

    await telemetry.stop();
    expect(await redis.exists(new Keys(prefix, 'main').proc('tele-1'))).toBe(0);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
