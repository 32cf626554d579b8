/**
 * `portrait api` with api.similarSource: snapshot, on real Redis and Kafka: the similar-users
 * index starts from the snapshot the processors keep in Redis (not from the topic), then follows
 * the profiles topic; an erased user never appears in an answer, whether the index still holds
 * them (no tombstone seen yet) or a stale snapshot entry brought them in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiServer } from '../../src/api/server.js';
import { encodeProfileEvent } from '../../src/events/index.js';
import { buildProfileEvent } from '../../src/pipeline/profile-event.js';
import { emptyState, finalize, profileParams, update } from '../../src/profile/index.js';
import { RedisProfileStore, RedisSimilarSnapshot, type SimilarEntry } from '../../src/store/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { testAdmin, testKafka } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';
import { DIM, seed, SEED_USERS, type Seeded } from './api-seed.js';

let s: Seeded;
let api: ApiServer;
let store: RedisProfileStore;
let snapshot: RedisSimilarSnapshot;

const get = async (path: string) => {
  const res = await fetch(`${api.url}${path}`);
  return { status: res.status, body: (await res.json()) as { results?: { userId: string }[] } };
};
const similar = async (id: string, k = 10) => get(`/v1/users/${encodeURIComponent(id)}/similar?k=${k}`);
const ids = (r: { body: { results?: { userId: string }[] } }) => (r.body.results ?? []).map((x) => x.userId);

/** A sports fan's centroid (the seed's directions: component j of label j % 4). */
const sportsy = Array.from({ length: DIM }, (_, j) => (j % 4 === 0 ? 1 : 0.05));

async function writeUser(userId: string, version: number, ts: number): Promise<Buffer> {
  const params = profileParams(s.cfg);
  const n = Math.hypot(...sportsy);
  const state = update(emptyState(DIM), { eventId: `e-${userId}`, commentId: `c-${userId}`, ts, probs: { sports: 0.85, tech: 0.05, food: 0.05, travel: 0.05 }, embedding: sportsy.map((x) => x / n), terms: ['goal'] }, params);
  const derived = finalize(state, params);
  const enc = encodeProfileEvent(
    buildProfileEvent({ userId, version, updatedAt: ts, derived, embedder: { id: 'test/seed@fp32/cls', dim: DIM }, classifier: { kind: 'zero-shot', version: 'seed0001' }, causedBy: [`e-${userId}`], namespace: s.cfg.redis.namespace }),
  );
  if (!enc.ok) throw new Error(enc.detail);
  const res = await store.apply([{ userId, expectedVersion: 0, version, state, applied: {}, profileJson: enc.value.toString('utf8'), updatedAt: ts, centroid: derived.centroid }]);
  if (!res.get(userId)?.ok) throw new Error(`write of ${userId} failed`);
  return enc.value;
}

beforeAll(async () => {
  s = await seed(await testAdmin(), { api: { similarSource: 'snapshot' } });
  expect(s.cfg.redis.keyPrefix).toMatch(/^t-/); // the test's own prefix, never the shared one
  const ns = s.cfg.redis.namespace;
  snapshot = new RedisSimilarSnapshot(s.redis, { keyPrefix: s.cfg.redis.keyPrefix, namespace: ns, shards: s.cfg.redis.similarShards });
  store = new RedisProfileStore(s.redis, { keyPrefix: s.cfg.redis.keyPrefix, namespace: ns, userTtlSeconds: 0, similar: snapshot });
  // the snapshot the processors would have written for the seeded users (their stored states)
  const loaded = await store.load(
    SEED_USERS.map((u) => u.userId),
    DIM,
  );
  const entries: SimilarEntry[] = [...loaded].flatMap(([userId, l]) => (l.profile ? [{ userId, version: l.profile.version, centroid: finalize(l.profile.state, profileParams(s.cfg)).centroid }] : []));
  expect(entries.map((e) => e.userId)).toEqual(SEED_USERS.map((u) => u.userId));
  // a user only the snapshot knows (their profile event is not on the topic)
  await writeUser('snapshot-only', 1, Date.now());
  // a stale entry: an erased user whose profile is gone, most like the sports fans
  entries.push({ userId: 'erased-ghost', version: 9, centroid: sportsy.map((x) => x / Math.hypot(...sportsy)) });
  await snapshot.write(entries);
  api = await startApi(s.cfg, silentLogger, { port: 0, host: '127.0.0.1' });
  await api.follower!.ready;
});

afterAll(async () => {
  await api?.close();
});

describe('similar users from the Redis snapshot', () => {
  it('starts from the snapshot: users the topic never carried are indexed', async () => {
    const st = api.follower!.status();
    expect(st).toMatchObject({ ready: true, source: 'snapshot', snapshotEntries: 7, dim: DIM });
    const r = await similar('u:{42}');
    expect(r.status).toBe(200);
    // the snapshot-only user is a pure sports fan, like u:{42}: the two nearest are the sports fans
    expect(ids(r).slice(0, 2).sort()).toEqual(['fan/of %football*', 'snapshot-only']);
  });

  it('never answers with a user whose profile is gone (a stale snapshot entry), and drops them from the index', async () => {
    const r = await similar('u:{42}');
    expect(ids(r)).not.toContain('erased-ghost');
    expect(ids(r)).not.toContain('to-be-forgotten');
    expect(api.follower!.status().dropped).toBeGreaterThanOrEqual(1);
    expect((await similar('erased-ghost')).status).toBe(404);
  });

  it('forget: the user leaves the snapshot and every answer at once, before any tombstone reaches the API', async () => {
    expect(ids(await similar('u:{42}'))).toContain('chef-1');
    await store.forget('chef-1', { ts: Date.now(), offsets: {} }, `forget-chef-${Date.now()}`, Date.now());
    const left = new Set<string>();
    await snapshot.load((e) => left.add(e.userId));
    expect(left.has('chef-1')).toBe(false);
    expect(ids(await similar('u:{42}'))).not.toContain('chef-1');
    expect(ids(await similar('小明'))).not.toContain('chef-1');
    expect((await similar('chef-1')).status).toBe(404);
  });

  it('keeps following the topic after the load: a new profile event is indexed', async () => {
    const value = await writeUser('late-fan', 1, Date.now());
    const producer = testKafka().producer();
    await producer.connect();
    await producer.send({ topic: s.cfg.kafka.topics.profiles, messages: [{ key: 'late-fan', value }] });
    await producer.disconnect();
    await waitFor('late-fan in the answers', async () => ids(await similar('u:{42}')).includes('late-fan'), { timeoutMs: 20_000 });
  });
});
