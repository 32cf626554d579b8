/**
 * `portrait api` on the real stack: profiles written through the store and the profiles topic,
 * a processor's stats published to Redis; the API answers profile, similar, history, stats,
 * readyz and metrics over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiServer } from '../../src/api/server.js';
import { createRegistry, PortraitMetrics, StatsPublisher } from '../../src/metrics/index.js';
import { RedisProcessorStats } from '../../src/store/processor-stats.js';
import { silentLogger } from '../../src/util/logger.js';
import { testAdmin } from '../helpers/services.js';
import { seed, SEED_USERS, type Seeded } from './api-seed.js';

let s: Seeded;
let api: ApiServer;
let publisher: StatsPublisher;

const get = async (path: string) => {
  const res = await fetch(`${api.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};
const user = (id: string, what: string) => `/v1/users/${encodeURIComponent(id)}/${what}`;

beforeAll(async () => {
  s = await seed(await testAdmin());
  // a processor's live stats, as `portrait run` publishes them
  const registry = createRegistry();
  const metrics = new PortraitMetrics(registry, { commentsTopic: s.cfg.kafka.topics.comments });
  metrics.setModels({ embedder: 'test/seed@fp32/cls', classifierKind: 'zero-shot', classifierVersion: 'seed0001' });
  metrics.observeBatch(
    { profiles: [{}, {}], deadLetters: [{}], stats: { records: 12, applied: 11, rejected: { REJECT_SCHEMA: 1 } }, timings: { decode: 1, embed: 30, classify: 1, store: 4 }, folded: { eventTs: [Date.now() - 800], recordTs: [Date.now() - 300] } },
    { partition: 0, lastOffset: 11, ms: 40, produceMs: 5 },
  );
  metrics.setLag('portrait-processor', [{ topic: s.cfg.kafka.topics.comments, partition: 0, end: 20, committed: 12, lag: 8 }]);
  publisher = new StatsPublisher(new RedisProcessorStats(s.redis, s.cfg.redis.keyPrefix), () => metrics.snapshot({ instanceId: 'proc-a', namespace: 'main', groupId: 'portrait-processor', startedAt: Date.now() - 60_000 }), {
    namespace: s.cfg.redis.namespace,
    instanceId: 'proc-a',
    registry,
  });
  await publisher.publish();

  api = await startApi(s.cfg, silentLogger, { port: 0, host: '127.0.0.1' });
  await api.follower!.ready;
});

afterAll(async () => {
  await publisher?.stop();
  await api?.close();
});

describe('portrait api on real Redis and Kafka', () => {
  it('GET profile answers the stored profile event, odd ids included; 404 otherwise', async () => {
    for (const u of SEED_USERS.filter((x) => x.userId !== 'to-be-forgotten')) {
      const r = await get(user(u.userId, 'profile'));
      expect(r.status, u.userId).toBe(200);
      expect(r.body).toEqual(JSON.parse(JSON.stringify(s.profiles.get(u.userId))));
    }
    expect((await get(user('nobody', 'profile'))).status).toBe(404);
    expect((await get('/v1/users/a%00b/profile')).status).toBe(400);
  });

  it('GET similar ranks users by centroid from the profiles topic; a tombstoned user is gone', async () => {
    expect(api.follower!.status()).toMatchObject({ ready: true, users: 4, tombstones: 1, dim: 16, kernel: 'wasm-simd' });
    const r = await get(`${user('u:{42}', 'similar')}?k=3`);
    expect(r.status).toBe(200);
    expect(r.body.results.map((x: { userId: string }) => x.userId)[0]).toBe('fan/of %football*');
    expect(r.body.results).toHaveLength(3);
    expect((await get(user('to-be-forgotten', 'similar'))).status).toBe(404);
  });

  it('GET history lists every version newest first', async () => {
    const r = await get(user('u:{42}', 'history'));
    expect(r.status).toBe(200);
    expect(r.body.versions.map((v: { version: number }) => v.version)).toEqual([4, 3, 2, 1]);
    expect(r.body.versions[0].interests[0].label).toBe('sports');
  });

  it('GET stats shows the live processor: throughput, lag per partition, latency, models', async () => {
    const r = await get('/v1/stats');
    expect(r.status).toBe(200);
    expect(r.body.instances.map((i: { instanceId: string }) => i.instanceId)).toEqual(['proc-a']);
    expect(r.body.totals.eventsIn).toBe(12);
    expect(r.body.throughput.eventsIn).toBeGreaterThan(0);
    expect(r.body.lag[0]).toMatchObject({ groupId: 'portrait-processor', total: 8, partitions: [{ partition: 0, lag: 8 }] });
    expect(r.body.latency.eventToProfile.count).toBe(1);
    expect(r.body.models).toEqual([{ embedder: 'test/seed@fp32/cls', classifierKind: 'zero-shot', classifierVersion: 'seed0001' }]);
  });

  it('GET namespaces lists each namespace with the span of comments its profiles cover', async () => {
    const present = (await Promise.all([...s.profiles.keys()].map((u) => get(user(u, 'profile'))))).filter((r) => r.status === 200).map((r) => r.body);
    expect(present.length).toBeGreaterThan(0);
    const r = await get('/v1/namespaces');
    expect(r.status).toBe(200);
    expect(r.body.namespaces).toEqual([
      {
        namespace: 'main',
        active: true,
        profiles: present.length,
        oldestFirstSeen: present.map((p) => p.firstSeen as string).sort()[0],
        newestLastSeen: present
          .map((p) => p.lastSeen as string)
          .sort()
          .at(-1),
      },
    ]);
    expect(r.body.at).toBeLessThanOrEqual(Date.now());
    // computed at most once a minute: a second call answers from the same computation
    expect((await get('/v1/namespaces')).body.at).toBe(r.body.at);
  });

  it('GET readyz is ready with Kafka and Redis up; /metrics carries the processor series', async () => {
    const r = await get('/readyz');
    expect(r.status).toBe(200);
    expect(r.body.checks).toEqual([
      { name: 'redis', ok: true },
      { name: 'kafka', ok: true },
    ]);
    const text = await (await fetch(`${api.url}/metrics`)).text();
    expect(text).toContain('portrait_events_in_total{topic="' + s.cfg.kafka.topics.comments + '",processor="proc-a"} 12');
    expect(text).toContain('portrait_dead_letters_total{reason="REJECT_SCHEMA",processor="proc-a"} 1');
    expect(text).toContain('portrait_api_similar_index_users{role="api"} 4');
  });

  it('a stopped processor leaves the stats at once', async () => {
    await publisher.stop();
    expect((await get('/v1/stats')).body.instances).toEqual([]);
  });
});

describe('portrait api with Redis unreachable', () => {
  it('answers 503 UNAVAILABLE (never 500) and /readyz names redis', async () => {
    const { loadConfig } = await import('../../src/config/index.js');
    const cfg = loadConfig({ env: {}, overrides: { kafka: { brokers: s.cfg.kafka.brokers, topics: s.cfg.kafka.topics }, redis: { url: 'redis://127.0.0.1:1', keyPrefix: s.cfg.redis.keyPrefix }, api: { similarIndex: false } } });
    const down = await startApi(cfg, silentLogger, { port: 0, host: '127.0.0.1' });
    try {
      const ready = await fetch(`${down.url}/readyz`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { checks: { name: string; ok: boolean }[] };
      expect(body.checks).toEqual([expect.objectContaining({ name: 'redis', ok: false }), { name: 'kafka', ok: true }]);
      for (const path of [user('u:{42}', 'profile'), user('u:{42}', 'history'), '/v1/stats']) {
        const res = await fetch(`${down.url}${path}`);
        expect(res.status, path).toBe(503);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAVAILABLE');
      }
      expect((await fetch(`${down.url}/healthz`)).status).toBe(200);
    } finally {
      await down.close();
    }
  });
});
