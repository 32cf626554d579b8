/**
 * The processor's state cache on real Redis: a cached state saves the read before the fold, and is
 * never trusted past a change made by someone else, even one that ends at the same version (a user
 * erased and rebuilt by another instance: the ABA case the write token exists for).
 *
 * The embedder and classifier are the deterministic fakes (pure logic); the store, its Lua and the
 * compare-and-set are the real ones.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { ProfileEvent } from '../../src/events/index.js';
import { CommentFlow } from '../../src/pipeline/flow.js';
import type { InRecord } from '../../src/pipeline/stage.js';
import { StateCache } from '../../src/pipeline/state-cache.js';
import { decodeRecent, idDigest } from '../../src/pipeline/fold.js';
import { Keys } from '../../src/store/keys.js';
import { RedisProfileStore, type ProfileStore } from '../../src/store/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { testRedis } from '../helpers/services.js';
import { fakeClassifier, HashEmbedder } from '../unit/fuzz/fakes.js';

const cfg = loadConfig({ env: {} });
const T0 = Date.parse('2026-06-01T00:00:00Z');
const TOPIC = 'comments';

function makeProcessor(store: ProfileStore, cache?: StateCache): CommentFlow {
  const p = cfg.profile;
  return new CommentFlow({
    embedder: new HashEmbedder(),
    classifier: () => fakeClassifier,
    store: () => store,
    params: { halfLifeMs: p.halfLifeDays * 86_400_000, maxTerms: p.maxTerms, evidencePerLabel: p.evidencePerLabel, topK: p.topK, topTerms: p.topTerms },
    text: { maxChars: cfg.text.maxChars, maxTokens: cfg.text.maxTokens },
    decode: { maxRecordBytes: cfg.events.maxRecordBytes, maxFutureMs: cfg.events.maxFutureMs, minTs: cfg.events.minTs },
    clock: () => T0 + 86_400_000,
    log: silentLogger,
    ...(cache ? { stateCache: cache } : {}),
  });
}

const comment = (offset: number, userId: string, commentId: string, text: string): InRecord => ({
  topic: TOPIC,
  partition: 0,
  offset,
  key: Buffer.from(userId),
  value: Buffer.from(JSON.stringify({ type: 'comment', schemaVersion: 1, eventId: `e-${commentId}`, userId, commentId, text, ts: T0 + offset * 1000 })),
  headers: {},
});
const forget = (offset: number, userId: string): InRecord => ({
  topic: TOPIC,
  partition: 0,
  offset,
  key: Buffer.from(userId),
  value: Buffer.from(JSON.stringify({ type: 'forget', schemaVersion: 1, eventId: `f-${offset}`, userId, ts: T0 + offset * 1000 })),
  headers: {},
});

/** Counts the users each load() asked Redis for. */
function counting(store: RedisProfileStore): { store: ProfileStore; loaded: string[] } {
  const loaded: string[] = [];
  const wrapped = Object.create(store) as ProfileStore;
  wrapped.load = (ids, dim) => {
    loaded.push(...ids);
    return store.load(ids, dim);
  };
  return { store: wrapped, loaded };
}

const evidenceIds = (p: ProfileEvent) => Object.values(p.evidence).flat().sort();

describe('state cache with a token-checked compare-and-set', () => {
  it('skips the read for users it wrote last and still counts every comment once', async () => {
    const { redis, prefix } = testRedis();
    const real = new RedisProfileStore(redis, { keyPrefix: prefix, namespace: 'main', userTtlSeconds: 0 });
    const { store, loaded } = counting(real);
    const proc = makeProcessor(store, new StateCache(100));
    await proc.process([comment(0, 'u1', 'c0', 'football match tonight'), comment(1, 'u2', 'c1', 'new phone review')]);
    expect(loaded.sort()).toEqual(['u1', 'u2']);
    loaded.length = 0;
    const out = await proc.process([comment(2, 'u1', 'c2', 'the league table'), comment(3, 'u2', 'c3', 'laptop benchmarks')]);
    expect(loaded).toEqual([]); // both states came from the cache
    expect(out.stats).toMatchObject({ applied: 2, conflicts: 0 });
    const p1 = (await real.getProfile('u1')) as ProfileEvent;
    expect(p1.version).toBe(2);
    expect(p1.commentCount).toBe(2);
  });

  it('refuses a cached state after another instance erased and rebuilt the user to the same version', async () => {
    const { redis, prefix } = testRedis();
    const storeA = new RedisProfileStore(redis, { keyPrefix: prefix, namespace: 'main', userTtlSeconds: 0 });
    const storeB = new RedisProfileStore(redis, { keyPrefix: prefix, namespace: 'main', userTtlSeconds: 0 });
    const a = makeProcessor(storeA, new StateCache(100));
    const b = makeProcessor(storeB); // another instance (e.g. after a rebalance), no cache

    await a.process([comment(0, 'u', 'before-erasure', 'my private diary entry')]); // A caches version 1
    // B takes the partition: erases the user, then a new comment rebuilds them to version 1 again
    await b.process([forget(1, 'u'), comment(2, 'u', 'after-erasure', 'travel plans for summer')]);
    const rebuilt = (await storeB.getProfile('u')) as ProfileEvent;
    expect(rebuilt.version).toBe(1);

    // A gets the partition back with a stale cached version 1: the token differs, so its write fails,
    // it re-reads, and the erased comment stays gone
    const out = await a.process([comment(3, 'u', 'later', 'hiking in the alps')]);
    expect(out.stats.conflicts).toBe(1);
    const p = (await storeA.getProfile('u')) as ProfileEvent;
    expect(p.version).toBe(2);
    expect(p.commentCount).toBe(2);
    expect(evidenceIds(p)).toEqual(['after-erasure', 'later']);
  });

  it('keeps the recent event ids in Redis: an event produced twice is counted once, by another instance too', async () => {
    const { redis, prefix } = testRedis();
    const store = new RedisProfileStore(redis, { keyPrefix: prefix, namespace: 'main', userTtlSeconds: 0 });
    await makeProcessor(store).process([comment(0, 'u', 'c0', 'football match tonight'), comment(1, 'u', 'c1', 'the league table')]);
    // the same two events again at new offsets (a producer that retried), read by a fresh instance
    // (no cache: the ids come from the user's hash), with a new one between them
    const out = await makeProcessor(store).process([comment(7, 'u', 'c1', 'the league table'), comment(8, 'u', 'c2', 'new phone review'), comment(9, 'u', 'c0', 'football match tonight')]);
    expect(out.stats).toMatchObject({ applied: 1, duplicates: 2 });
    const p = (await store.getProfile('u')) as ProfileEvent;
    expect(p.commentCount).toBe(3);
    expect(p.causedBy).toEqual(['e-c2']);
    const stored = await redis.hget(new Keys(prefix, 'main').profile('u'), 'ids');
    expect(decodeRecent(stored ?? '')).toEqual(['e-c0', 'e-c1', 'e-c2'].map(idDigest));
  });

  it('times a repeat inside one batch by its first delivery, the one that was counted', async () => {
    const { redis, prefix } = testRedis();
    const store = new RedisProfileStore(redis, { keyPrefix: prefix, namespace: 'main', userTtlSeconds: 0 });
    // c0 at offset 0 (ts T0) and again at offset 5 (ts T0 + 5 s): the latency metrics must see T0
    const out = await makeProcessor(store).process([comment(0, 'u', 'c0', 'football match tonight'), comment(1, 'u', 'c1', 'the league table'), comment(5, 'u', 'c0', 'football match tonight')]);
    expect(out.stats).toMatchObject({ applied: 2, duplicates: 1 });
    expect(out.folded.eventTs.sort()).toEqual([T0, T0 + 1000]);
  });
});
