/**
 * The similar-users snapshot on real Redis (src/store/similar-snapshot.ts): a successful profile
 * write puts the user's centroid in its shard, a newer version replaces an older one and never the
 * other way round, a lost compare-and-set writes nothing, and forget removes the user from every
 * namespace's snapshot, even with a write of the user still held back in the write-behind.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { emptyState } from '../../src/profile/index.js';
import { encodeSimilarEntry, RedisProfileStore, RedisSimilarSnapshot, WriteBehind, type ProfileWrite } from '../../src/store/index.js';
import { createRedis } from '../../src/store/redis-client.js';
import { deleteByPrefix, uniqueName } from '../helpers/services.js';

const cfg = loadConfig({ env: {} });
const redis = createRedis(cfg);
const prefix = uniqueName('sim');
afterAll(async () => {
  await deleteByPrefix(redis as never, prefix);
  redis.disconnect();
});

const dim = 8;
const unit = (k: number) => Array.from({ length: dim }, (_, i) => (i === k % dim ? 0.8 : 0.6 / Math.sqrt(dim - 1)));

function write(userId: string, expectedVersion: number, version: number, centroid: number[]): ProfileWrite {
  return { userId, expectedVersion, version, state: emptyState(dim), applied: {}, profileJson: JSON.stringify({ userId, version }), updatedAt: 1, centroid };
}

function setup(ns = 'main', writeBehind = new WriteBehind(10_000)) {
  const similar = new RedisSimilarSnapshot(redis, { keyPrefix: prefix, namespace: ns, shards: 16, writeBehind });
  const store = new RedisProfileStore(redis, { keyPrefix: prefix, namespace: ns, userTtlSeconds: 0, writeBehind, similar });
  return { similar, store, writeBehind };
}

async function entries(similar: RedisSimilarSnapshot): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  await similar.load((r) => out.set(r.userId, r.version));
  return out;
}

describe('similar-users snapshot on Redis', () => {
  it('a successful write puts the centroid, quantised with its version, in the user’s shard', async () => {
    const { similar, store, writeBehind } = setup('w1');
    const res = await store.apply([write('alice', 0, 1, unit(1)), write('bob', 0, 1, unit(2))]);
    expect(res.get('alice')).toEqual({ ok: true, version: 1 });
    writeBehind.flush();
    const raw = await (redis as import('ioredis').Redis).hgetBuffer(similar.keyOf('alice'), 'alice');
    expect(raw?.equals(encodeSimilarEntry(1, unit(1)))).toBe(true);
    expect(await entries(similar)).toEqual(
      new Map([
        ['alice', 1],
        ['bob', 1],
      ]),
    );
  });

  it('a lost compare-and-set writes nothing; a newer version replaces, an older one never does', async () => {
    const { similar, store, writeBehind } = setup('w2');
    await store.apply([write('carol', 0, 1, unit(1))]);
    // a stale writer (expected version 0 again) loses its compare-and-set: its centroid stays out
    const lost = await store.apply([write('carol', 0, 1, unit(5))]);
    expect(lost.get('carol')?.ok).toBe(false);
    writeBehind.flush();
    const row = async () => {
      let got: Int8Array | undefined;
      let version = 0;
      await similar.load((r) => {
        if (r.userId === 'carol') {
          got = Int8Array.from(r.row);
          version = r.version;
        }
      });
      return { version, strongest: got ? got.indexOf(Math.max(...got)) : -1 };
    };
    expect(await row()).toEqual({ version: 1, strongest: 1 });
    // out of order: version 3 lands before a late version 2
    expect(await similar.write([{ userId: 'carol', version: 3, centroid: unit(3) }])).toEqual([1]);
    expect(await similar.write([{ userId: 'carol', version: 2, centroid: unit(2) }])).toEqual([0]);
    expect(await similar.write([{ userId: 'carol', version: 3, centroid: unit(6) }])).toEqual([0]);
    expect(await row()).toEqual({ version: 3, strongest: 3 });
  });

  it('forget removes the user from every namespace’s snapshot, a held-back write included', async () => {
    const writeBehind = new WriteBehind(10_000);
    const a = setup('fa', writeBehind);
    const b = setup('fb', writeBehind);
    await a.store.registerNamespace();
    await b.store.registerNamespace();
    await b.store.apply([write('dave', 0, 1, unit(1)), write('erin', 0, 1, unit(2))]);
    writeBehind.flush();
    await a.store.apply([write('dave', 0, 1, unit(1))]);
    // dave's entry in namespace fa is still held back when his erasure is processed
    expect(writeBehind.pending).toBe(1);
    await a.store.forget('dave', { ts: 10, offsets: {} }, uniqueName('forget'), 10);
    expect(await entries(a.similar)).toEqual(new Map());
    expect(await entries(b.similar)).toEqual(new Map([['erin', 1]]));
    // nothing is left to bring him back later
    writeBehind.flush();
    expect(await entries(a.similar)).toEqual(new Map());
  });

  it('reports which users still have a profile (what the API filters erased users with)', async () => {
    const { store } = setup('x1');
    await store.apply([write('frank', 0, 1, unit(1))]);
    expect(await store.existing(['frank', 'nobody', 'frank'])).toEqual([true, false, true]);
  });
});
