import { describe, expect, it } from 'vitest';
import { ProfilesFollower } from '../../../consumers/profiles.js';
import type { KafkaClient } from '../../../src/kafka/types.js';
import { CheckedSimilar } from '../../../src/similar/checked.js';
import { SimilarIndex } from '../../../src/similar/index.js';
import { silentLogger } from '../../../src/util/logger.js';

/** An index of users on a line of angles: u0 is nearest to u1, then u2, … */
function source(n: number) {
  const idx = new SimilarIndex({ dim: 2 });
  for (let i = 0; i < n; i++) idx.upsert(`u${i}`, [Math.cos(i / 100), Math.sin(i / 100)]);
  const dropped: string[] = [];
  return {
    idx,
    dropped,
    src: {
      status: () => ({ ready: true, users: idx.size, profiles: 0, tombstones: 0, skipped: 0, dim: 2, kernel: idx.kernel, memoryBytes: 0 }),
      similarTo: (u: string, k: number) => idx.similarTo(u, k),
      drop: (u: string) => {
        dropped.push(u);
        idx.remove(u);
      },
    },
  };
}

describe('CheckedSimilar: erased users never appear', () => {
  it('leaves out candidates without a profile, drops them from the index, and still answers k', async () => {
    const { src, dropped, idx } = source(50);
    const gone = new Set(['u1', 'u3', 'u4']);
    let calls = 0;
    const checked = new CheckedSimilar(src, async (ids) => {
      calls++;
      return ids.map((u) => !gone.has(u));
    });
    const r = (await checked.similarTo('u0', 5))!;
    expect(r.map((h) => h.userId)).toEqual(['u2', 'u5', 'u6', 'u7', 'u8']);
    expect(calls).toBe(1); // the slack covered the three missing ones: one round trip
    expect(dropped.sort()).toEqual(['u1', 'u3', 'u4']);
    expect(idx.has('u1')).toBe(false);
  });

  it('asks the index for more when too many candidates are gone', async () => {
    const { src } = source(100);
    const gone = new Set(Array.from({ length: 30 }, (_, i) => `u${i + 1}`));
    const checked = new CheckedSimilar({ status: src.status, similarTo: src.similarTo }, async (ids) => ids.map((u) => !gone.has(u)));
    const r = (await checked.similarTo('u0', 3))!;
    expect(r.map((h) => h.userId)).toEqual(['u31', 'u32', 'u33']);
  });

  it('answers nothing (404) for a queried user whose profile is gone, and fewer when the index runs out', async () => {
    const { src } = source(5);
    expect(await new CheckedSimilar(src, async (ids) => ids.map((u) => u !== 'u0')).similarTo('u0', 3)).toBeUndefined();
    const r = await new CheckedSimilar(src, async (ids) => ids.map((u) => u !== 'u2')).similarTo('u1', 10);
    expect(r!.map((h) => h.userId).sort()).toEqual(['u3', 'u4']);
    expect(await new CheckedSimilar(src, async (ids) => ids.map(() => true)).similarTo('nobody', 3)).toBeUndefined();
  });
});

describe('ProfilesFollower from a snapshot (no broker)', () => {
  const profile = (version: number, c: number[]) => Buffer.from(JSON.stringify({ version, centroid: c, embedder: { dim: c.length } }));

  it('loads snapshot entries, and while catching up skips topic records older than the entry', () => {
    const f = new ProfilesFollower({} as KafkaClient, { topic: 't', groupPrefix: 'g', log: silentLogger, snapshot: { load: async () => ({ entries: 0 }) } });
    f.applyEntry({ userId: 'a', version: 5, row: Int8Array.from([127, 0]) });
    f.applyEntry({ userId: 'b', version: 1, row: Int8Array.from([0, 127]) });
    // the overlap replayed after the load: a's version 4 is older than the snapshot's 5
    f.apply(Buffer.from('a'), profile(4, [0, 1]));
    f.apply(Buffer.from('b'), profile(2, [1, 0.1]));
    f.apply(Buffer.from('c'), profile(1, [1, 0]));
    expect(f.status()).toMatchObject({ users: 3, older: 1, profiles: 2, source: 'snapshot' });
    // a kept its snapshot centroid (along x), so c (along x) is its nearest
    expect(f.similarTo('a', 1)![0]!.userId).toBe('c');
    f.apply(Buffer.from('a'), null);
    expect(f.similarTo('a', 1)).toBeUndefined();
    f.drop('b');
    expect(f.status()).toMatchObject({ users: 1, dropped: 1 });
  });
});
