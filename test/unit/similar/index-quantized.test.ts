import { describe, expect, it } from 'vitest';
import { SimilarIndex } from '../../../src/similar/index.js';
import { decodeSimilarEntry, encodeSimilarEntry } from '../../../src/store/similar-snapshot.js';
import { mulberry32 } from '../../../src/util/random.js';

describe('SimilarIndex.upsertQuantized (rows from the similar-users snapshot)', () => {
  const dim = 64;
  const r = mulberry32(3);
  const vecs = Array.from({ length: 300 }, () => {
    const v = Array.from({ length: dim }, () => r() - 0.5);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  });

  it('answers like an index built from the float centroids (same neighbours, scores within 0.01)', () => {
    const fromFloat = new SimilarIndex({ dim, initialCapacity: 16 });
    const fromSnapshot = new SimilarIndex({ dim, initialCapacity: 16 });
    vecs.forEach((v, i) => {
      fromFloat.upsert(`u${i}`, v, 1);
      const e = decodeSimilarEntry(`u${i}`, encodeSimilarEntry(1, v), dim)!;
      fromSnapshot.upsertQuantized(e.userId, e.row, e.version);
    });
    expect(fromSnapshot.size).toBe(300);
    for (const q of ['u0', 'u17', 'u299']) {
      const a = fromFloat.similarTo(q, 10)!;
      const b = fromSnapshot.similarTo(q, 10)!;
      expect(b.map((h) => h.userId).slice(0, 5)).toEqual(a.map((h) => h.userId).slice(0, 5));
      b.forEach((h, i) => expect(Math.abs(h.score - a[i]!.score)).toBeLessThan(0.01));
    }
  });

  it('replaces a row in place, keeps the version, and removes a user on an all-zero row', () => {
    const idx = new SimilarIndex({ dim: 4 });
    idx.upsertQuantized('a', Int8Array.from([127, 0, 0, 0]), 1);
    idx.upsertQuantized('b', Int8Array.from([0, 127, 0, 0]), 1);
    idx.upsertQuantized('a', Int8Array.from([0, 120, 5, 0]), 2);
    expect(idx.size).toBe(2);
    expect(idx.version('a')).toBe(2);
    expect(idx.similarTo('a', 1)![0]!.score).toBeGreaterThan(0.99);
    expect(idx.upsertQuantized('a', new Int8Array(4), 3)).toBe(false);
    expect(idx.has('a')).toBe(false);
    expect(() => idx.upsertQuantized('c', new Int8Array(3))).toThrow(RangeError);
  });
});
