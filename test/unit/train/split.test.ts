import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stratifiedCap, stratifiedFolds, stratifiedHoldout } from '../../../src/train/split.js';

const labels = (counts: Record<string, number>) => Object.entries(counts).flatMap(([l, n]) => Array<string>(n).fill(l));
const count = (y: readonly string[], idx: readonly number[]) => {
  const out: Record<string, number> = {};
  for (const i of idx) out[y[i]!] = (out[y[i]!] ?? 0) + 1;
  return out;
};

describe('stratified sampling', () => {
  const y = labels({ a: 50, b: 20, c: 5, d: 1 });

  it('hold-out keeps each class share, never takes all of a class, and is seeded', () => {
    const h = stratifiedHoldout(y, 0.2, 1);
    expect(count(y, h.test)).toEqual({ a: 10, b: 4, c: 1 });
    expect(h.train.length + h.test.length).toBe(y.length);
    expect(new Set([...h.train, ...h.test]).size).toBe(y.length);
    expect(stratifiedHoldout(y, 0.2, 1)).toEqual(h);
    expect(stratifiedHoldout(y, 0.2, 2).test).not.toEqual(h.test);
    expect(h.test).toEqual([...h.test].sort((p, q) => p - q));
  });

  it('folds partition the rows, sizes differ by at most one, classes spread evenly', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('x', 'y', 'z'), { minLength: 6, maxLength: 80 }), fc.integer({ min: 2, max: 6 }), fc.integer(), (ys, k, seed) => {
        fc.pre(k <= ys.length);
        const folds = stratifiedFolds(ys, k, seed);
        const all = folds.flat();
        expect(all.sort((p, q) => p - q)).toEqual(ys.map((_, i) => i));
        const sizes = folds.map((f) => f.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        for (const l of new Set(ys)) {
          const per = folds.map((f) => f.filter((i) => ys[i] === l).length);
          expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
        }
      }),
    );
  });

  it('a row cap keeps every class and the shares (largest remainder), or everything when under the cap', () => {
    const keep = stratifiedCap(y, 38, 3);
    expect(keep).toHaveLength(38);
    // one each (4), the other 34 shared by the spare rows 49:19:4:0 of 72 -> 23.1, 8.97, 1.89 -> 23, 9, 2
    expect(count(y, keep)).toEqual({ a: 24, b: 10, c: 3, d: 1 });
    expect(stratifiedCap(y, 500, 3)).toEqual(y.map((_, i) => i));
    expect(() => stratifiedCap(y, 3, 3)).toThrow(/below the number of classes/);
  });
});
