/**
 * The int8 similar-users index against a float64 reference: exact cosine top-k on the original
 * vectors. Both kernels (WebAssembly SIMD and plain JS) give identical int8 dot products.
 */
import { describe, expect, it } from 'vitest';
import { SimilarIndex } from '../../../src/similar/index.js';
import { createMemory, instantiateScan, quantizeInto, scanJs, wasmSimdAvailable } from '../../../src/util/int8.js';

import { mulberry32 as rng } from '../../../src/util/random.js';

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

function unit(v: number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** Users around a few topic directions, like real centroids (clustered, not uniform). */
function clusteredUsers(n: number, dim: number, seed: number): Map<string, number[]> {
  const r = rng(seed);
  const topics = Array.from({ length: 8 }, () => unit(Array.from({ length: dim }, () => gaussian(r))));
  const users = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const t = topics[i % topics.length]!;
    users.set(`user-${i}`, unit(t.map((x) => x + 0.08 * gaussian(r))));
  }
  return users;
}

function cosine(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s / (Math.hypot(...a) * Math.hypot(...b));
}

function referenceTopK(users: Map<string, number[]>, userId: string, k: number): { userId: string; score: number }[] {
  const q = users.get(userId)!;
  return [...users]
    .filter(([u]) => u !== userId)
    .map(([u, v]) => ({ userId: u, score: cosine(q, v) }))
    .sort((a, b) => b.score - a.score || (a.userId < b.userId ? -1 : 1))
    .slice(0, k);
}

describe('int8 kernel', () => {
  it('WebAssembly SIMD is available on this Node', () => {
    expect(wasmSimdAvailable).toBe(true);
  });

  it('the SIMD and JavaScript kernels compute the same dot products', () => {
    const r = rng(1);
    const dim = 64;
    const n = 37;
    const mem = createMemory(1);
    const q = new Int16Array(mem.buffer, 0, dim);
    const rows = new Int8Array(mem.buffer, 256, n * dim);
    const out = new Int32Array(mem.buffer, 256 + n * dim, n);
    for (let i = 0; i < dim; i++) q[i] = Math.round(r() * 254 - 127);
    for (let i = 0; i < rows.length; i++) rows[i] = Math.round(r() * 254 - 127);
    instantiateScan(mem)!(0, 256, n, dim, 256 + n * dim);
    const ref = new Int32Array(n);
    scanJs(q, rows, n, dim, ref);
    expect([...out]).toEqual([...ref]);
    // and the reference is the plain sum
    let s = 0;
    for (let j = 0; j < dim; j++) s += q[j]! * rows[j]!;
    expect(ref[0]).toBe(s);
  });
});

describe('quantizeInto', () => {
  it('scales the largest component to ±127 and returns 1/‖q‖', () => {
    const out = new Int8Array(4);
    const inv = quantizeInto([0.5, -0.3, 0, 0.1], out);
    expect([...out]).toEqual([127, -76, 0, 25]);
    expect(inv).toBeCloseTo(1 / Math.hypot(127, 76, 0, 25), 12);
  });

  it('returns 0 for a zero or non-finite vector', () => {
    expect(quantizeInto([0, 0, 0], new Int8Array(3))).toBe(0);
    expect(quantizeInto([0.1, Number.NaN], new Int8Array(2))).toBe(0);
  });
});

describe.each([
  ['wasm-simd', false],
  ['js', true],
] as const)('SimilarIndex (%s kernel)', (kernel, noWasm) => {
  const dim = 512;
  const users = clusteredUsers(600, dim, 42);
  const index = new SimilarIndex({ dim, initialCapacity: 16, noWasm });
  for (const [u, v] of users) index.upsert(u, v, 1);

  it('uses the intended kernel and grew past its initial capacity', () => {
    expect(index.kernel).toBe(kernel);
    expect(index.size).toBe(600);
  });

  it('scores are the float cosine within 0.01', () => {
    for (const u of ['user-0', 'user-17', 'user-599']) {
      const got = index.similarTo(u, 20)!;
      for (const h of got) expect(Math.abs(h.score - cosine(users.get(u)!, users.get(h.userId)!))).toBeLessThan(0.01);
    }
  });

  it('top-10 matches the float reference (recall ≥ 0.9, never the user itself)', () => {
    let hits = 0;
    let total = 0;
    for (let i = 0; i < 600; i += 37) {
      const u = `user-${i}`;
      const got = index.similarTo(u, 10)!.map((h) => h.userId);
      const want = referenceTopK(users, u, 10).map((h) => h.userId);
      expect(got).toHaveLength(10);
      expect(got).not.toContain(u);
      hits += got.filter((g) => want.includes(g)).length;
      total += 10;
    }
    expect(hits / total).toBeGreaterThanOrEqual(0.9);
  });

  it('results are sorted best first', () => {
    const got = index.similarTo('user-3', 50)!;
    for (let i = 1; i < got.length; i++) expect(got[i - 1]!.score).toBeGreaterThanOrEqual(got[i]!.score);
  });
});

describe('SimilarIndex updates', () => {
  it('finds exact neighbours on well-separated data and follows upserts and removals', () => {
    const idx = new SimilarIndex({ dim: 3 }); // not a multiple of 8: zero-padded rows
    idx.upsert('a', [1, 0, 0]);
    idx.upsert('b', [0.9, 0.1, 0]);
    idx.upsert('c', [0, 1, 0]);
    idx.upsert('d', [-1, 0, 0]);
    expect(idx.similarTo('a', 3)!.map((h) => h.userId)).toEqual(['b', 'c', 'd']);
    expect(idx.similarTo('a', 1)![0]!.score).toBeCloseTo(0.9 / Math.hypot(0.9, 0.1), 2);
    expect(idx.similarTo('d', 1)![0]!.userId).toBe('c'); // orthogonal beats opposite
    // move b away, remove c: the last row moves into c's slot and is still found
    idx.upsert('b', [0, 0, 1], 2);
    expect(idx.version('b')).toBe(2);
    expect(idx.remove('c')).toBe(true);
    expect(idx.remove('c')).toBe(false);
    expect(idx.size).toBe(3);
    expect(idx.similarTo('a', 10)!.map((h) => h.userId)).toEqual(['b', 'd']);
    expect(idx.similarTo('d', 10)!.map((h) => h.userId)).toEqual(['b', 'a']);
    expect(idx.similarTo('c', 10)).toBeUndefined();
  });

  it('a zero centroid removes the user; a wrong dimension throws', () => {
    const idx = new SimilarIndex({ dim: 2 });
    expect(idx.upsert('z', [0, 0])).toBe(false);
    expect(idx.has('z')).toBe(false);
    idx.upsert('x', [1, 0]);
    idx.upsert('y', [0, 1]);
    expect(idx.upsert('x', [0, 0])).toBe(false);
    expect(idx.has('x')).toBe(false);
    expect(idx.similarTo('y', 5)).toEqual([]);
    expect(() => idx.upsert('w', [1, 0, 0])).toThrow(RangeError);
  });

  it('ties are broken by user id; k larger than the index returns everyone else', () => {
    const idx = new SimilarIndex({ dim: 2 });
    for (const u of ['q', 'c', 'a', 'b']) idx.upsert(u, u === 'q' ? [1, 0] : [0.6, 0.8]);
    expect(idx.similarTo('q', 100)!.map((h) => h.userId)).toEqual(['a', 'b', 'c']);
    expect(idx.nearest([0.6, 0.8], 2).map((h) => h.userId)).toEqual(['a', 'b']);
  });
});
