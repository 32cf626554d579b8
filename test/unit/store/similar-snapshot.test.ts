import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Keys, similarShardOf } from '../../../src/store/keys.js';
import { decodeSimilarEntry, encodeSimilarEntry } from '../../../src/store/similar-snapshot.js';
import { dequantize, quantize } from '../../../src/util/int8.js';

const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

describe('similar-users snapshot: keys and shards', () => {
  it('names one hash tag per shard of a namespace', () => {
    const k = new Keys('portrait', 'main');
    expect(k.similarShard(17)).toBe('portrait:main:sim:{17}');
    expect(k.similarShard(0, 'rebuild')).toBe('portrait:rebuild:sim:{0}');
    // every key of a namespace still matches its pattern (namespace deletion finds the shards)
    expect(k.similarShard(5).startsWith(k.nsPrefix)).toBe(true);
  });

  it('puts a user in one shard in range, the same one every time', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), fc.integer({ min: 1, max: 16384 }), (u, n) => {
        const s = similarShardOf(u, n);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThan(n);
        expect(similarShardOf(u, n)).toBe(s);
      }),
    );
  });

  it('spreads users evenly over the shards (no shard above twice its share)', () => {
    const counts = new Array<number>(1024).fill(0);
    for (let i = 0; i < 200_000; i++) counts[similarShardOf(`user-${i}`, 1024)]!++;
    expect(Math.max(...counts)).toBeLessThan((2 * 200_000) / 1024);
    expect(Math.min(...counts)).toBeGreaterThan(200_000 / 1024 / 2);
  });
});

describe('similar-users snapshot: entry codec', () => {
  it("stores '<version>:' then the embedding cache's int8 record (quantize), about 520 bytes at dim 512", () => {
    const v = unit(Array.from({ length: 512 }, (_, i) => Math.sin(i)));
    const e = encodeSimilarEntry(42, v);
    expect(e.subarray(0, 3).toString('latin1')).toBe('42:');
    expect(e.subarray(3).equals(quantize(v))).toBe(true);
    expect(e.length).toBe(3 + 4 + 512);
  });

  it('decodes what it encodes: version, scale and the int8 row', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 64 }), (version, xs) => {
        fc.pre(xs.some((x) => Math.abs(x) > 1e-3)); // a unit centroid, not a denormal (its float32 scale would be 0)
        const e = encodeSimilarEntry(version, xs);
        const d = decodeSimilarEntry('u', e, xs.length)!;
        expect(d.version).toBe(version);
        const back = dequantize(quantize(xs), xs.length)!;
        for (let i = 0; i < xs.length; i++) expect(d.row[i]! * d.scale).toBeCloseTo(back[i]!, 6);
      }),
    );
  });

  it('rejects what is not an entry of this dimension', () => {
    const e = encodeSimilarEntry(3, [0.6, 0.8]);
    expect(decodeSimilarEntry('u', e, 3)).toBeUndefined();
    expect(decodeSimilarEntry('u', Buffer.from('garbage'))).toBeUndefined();
    expect(decodeSimilarEntry('u', Buffer.concat([Buffer.from('x:'), e.subarray(2)]))).toBeUndefined();
    expect(() => encodeSimilarEntry(0, [1])).toThrow(RangeError);
  });
});
