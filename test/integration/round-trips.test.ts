/**
 * Redis round trips of a batch on real Redis: a batch of new users costs three (their reads, the
 * writes, their erasure suppressions read again after the first write); once each user's first read is done (the state cache
 * holds what this processor wrote), a batch costs one socket write to Redis — the compare-and-sets
 * of every user and the shared embedding cache's entries together (src/store/write-behind.ts).
 * ioredis auto-pipelines every command issued in one tick into one write, so one write is one round
 * trip. The batch has more users than the store stage folds between two yields to the event loop,
 * so the cache writes (issued when the vectors arrive) and the compare-and-sets (issued after the
 * fold) are in different ticks unless the write-behind holds the former back.
 *
 * The similar-users snapshot's entries (src/store/similar-snapshot.ts), queued when a user's
 * compare-and-set succeeded, ride in the next batch's write the same way: they add no round trip.
 *
 * The embedder and classifier are the deterministic fakes (pure logic); the store, its Lua, the
 * embedding cache and the Redis client are the real ones.
 */
import { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { SharedCachedEmbedder } from '../../src/embed/shared-cache.js';
import { CommentFlow } from '../../src/pipeline/flow.js';
import { profileParams } from '../../src/profile/index.js';
import type { InRecord } from '../../src/pipeline/stage.js';
import { StateCache } from '../../src/pipeline/state-cache.js';
import { RedisEmbeddingCache, RedisProfileStore, RedisSimilarSnapshot, WriteBehind } from '../../src/store/index.js';
import { createRedis } from '../../src/store/redis-client.js';
import { silentLogger } from '../../src/util/logger.js';
import { deleteByPrefix, registerCleanup, uniqueName } from '../helpers/services.js';
import { fakeClassifier, HashEmbedder } from '../unit/fuzz/fakes.js';

const cfg = loadConfig({ env: {} });
const T0 = Date.parse('2026-06-01T00:00:00Z');
const USERS = 40;

/** The model answers from another thread: its vectors arrive in a later macrotask, as the worker's do. */
class SlowHashEmbedder extends HashEmbedder {
  override async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const v = await super.embed(texts);
    await new Promise((r) => setTimeout(r, 5));
    return v;
  }
}

const comment = (offset: number, userId: string): InRecord => ({
  topic: 'comments',
  partition: 0,
  offset,
  key: Buffer.from(userId),
  value: Buffer.from(JSON.stringify({ type: 'comment', schemaVersion: 1, eventId: `e-${offset}`, userId, commentId: `c-${offset}`, text: `comment number ${offset} about football and phones`, ts: T0 + offset * 1000 })),
  headers: {},
});

const original = Socket.prototype.write;
afterEach(() => {
  Socket.prototype.write = original;
});

/** Count socket writes to `port` while `fn` runs. */
async function writesDuring(port: number, fn: () => Promise<unknown>): Promise<number> {
  let n = 0;
  Socket.prototype.write = function (this: Socket, ...args: unknown[]) {
    if (this.remotePort === port) n++;
    return (original as (...a: unknown[]) => boolean).apply(this, args);
  } as typeof Socket.prototype.write;
  try {
    await fn();
  } finally {
    Socket.prototype.write = original;
  }
  return n;
}

function flowOn(writeBehind: WriteBehind | undefined, withSnapshot = false) {
  // the processor's own client (auto-pipelining on), not the tests' plain one
  const redis = createRedis(cfg);
  const prefix = uniqueName('t');
  registerCleanup(async () => {
    await deleteByPrefix(redis as never, prefix);
    redis.disconnect();
  });
  const similar = withSnapshot ? new RedisSimilarSnapshot(redis, { keyPrefix: prefix, namespace: 'main', shards: 64, writeBehind }) : undefined;
  const store = new RedisProfileStore(redis, { keyPrefix: prefix, namespace: 'main', userTtlSeconds: 0, writeBehind, similar });
  const embedder = new SharedCachedEmbedder(new SlowHashEmbedder(), new RedisEmbeddingCache(redis, { keyPrefix: prefix, ttlSeconds: 60, writeBehind }), { read: false });
  const flow = new CommentFlow({
    embedder,
    classifier: () => fakeClassifier,
    store: () => store,
    params: profileParams(cfg),
    text: { maxChars: cfg.text.maxChars, maxTokens: cfg.text.maxTokens },
    decode: { maxRecordBytes: cfg.events.maxRecordBytes, maxFutureMs: cfg.events.maxFutureMs, minTs: cfg.events.minTs },
    clock: () => T0 + 86_400_000,
    log: silentLogger,
    stateCache: new StateCache(100),
  });
  return { flow, redis, prefix, similar, port: Number(new URL(cfg.redis.url).port || 6379) };
}

const batch = (from: number) => Array.from({ length: USERS }, (_, i) => comment(from + i, `u${i}`));

describe('Redis round trips per batch', () => {
  it('once the users were read, one write carries the compare-and-sets and the embedding cache entries', async () => {
    const { flow, redis, prefix, port } = flowOn(new WriteBehind(10_000));
    await redis.ping();
    const first = await writesDuring(port, () => flow.process(batch(0)));
    // the first reads, the writes, then the new users' erasure suppressions read again (a first
    // write can race an erasure processed elsewhere: src/pipeline/stages/5-store.ts)
    expect(first).toBe(3);
    const second = await writesDuring(port, () => flow.process(batch(USERS)));
    expect(second).toBe(1);
    // the cache entries were written, not just held back: both batches' texts
    const keys = await (redis as import('ioredis').Redis).keys(`${prefix}:emb:*`);
    expect(keys).toHaveLength(2 * USERS);
  });

  it('the similar-users snapshot entries ride along too: still one write per batch', async () => {
    const writeBehind = new WriteBehind(10_000);
    const { flow, redis, similar, port } = flowOn(writeBehind, true);
    await redis.ping();
    const first = await writesDuring(port, () => flow.process(batch(0)));
    expect(first).toBe(3); // reads, writes, the new users' suppressions again (as above)
    // the second batch carries the first batch's snapshot entries with its compare-and-sets
    const second = await writesDuring(port, () => flow.process(batch(USERS)));
    expect(second).toBe(1);
    const third = await writesDuring(port, () => flow.process(batch(2 * USERS)));
    expect(third).toBe(1);
    // written, not just held back: after the last flush every user is there at its latest version
    writeBehind.flush();
    const rows = new Map<string, number>();
    await similar!.load((r) => rows.set(r.userId, r.version));
    expect(rows.size).toBe(USERS);
    expect([...rows.values()].every((v) => v === 3)).toBe(true);
  });

  it('without the write-behind the cache entries cost a round trip of their own (the control)', async () => {
    const { flow, redis, port } = flowOn(undefined);
    await redis.ping();
    await flow.process(batch(0));
    const second = await writesDuring(port, () => flow.process(batch(USERS)));
    expect(second).toBe(2);
  });
});
