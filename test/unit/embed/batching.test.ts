import { describe, expect, it } from 'vitest';
import { planBatches } from '../../../src/embed/batching.js';

const cost = (lens: number[], batches: [number, number][], overhead: number) => batches.reduce((c, [s, e]) => c + (e - s) * lens[e - 1]! + overhead, 0);

/** Every split of n sorted items into contiguous batches of at most max: the least cost. */
function bruteForce(lens: number[], max: number, overhead: number): number {
  const n = lens.length;
  let best = Infinity;
  const walk = (i: number, acc: number) => {
    if (i === n) return void (best = Math.min(best, acc));
    for (let k = 1; k <= max && i + k <= n; k++) walk(i + k, acc + k * lens[i + k - 1]! + overhead);
  };
  walk(0, 0);
  return best;
}

describe('planBatches', () => {
  it('returns nothing for no texts', () => {
    expect(planBatches([], 8)).toEqual([]);
  });

  it('covers every text once, in order, with at most maxBatch per batch', () => {
    const lens = Array.from({ length: 64 }, (_, i) => 5 + Math.floor(i * 0.7)).sort((a, b) => a - b);
    const b = planBatches(lens, 8);
    expect(b[0]![0]).toBe(0);
    expect(b[b.length - 1]![1]).toBe(64);
    for (let i = 1; i < b.length; i++) expect(b[i]![0]).toBe(b[i - 1]![1]);
    for (const [s, e] of b) expect(e - s).toBeGreaterThan(0);
    for (const [s, e] of b) expect(e - s).toBeLessThanOrEqual(8);
  });

  it('fills batches when lengths are equal, and cuts at a jump in length', () => {
    expect(planBatches(Array(8).fill(10), 4, 12)).toEqual([
      [0, 4],
      [4, 8],
    ]);
    expect(planBatches(Array(8).fill(10), 8, 12)).toEqual([[0, 8]]);
    expect(planBatches([5, 5, 5, 5, 60], 8, 12)).toEqual([
      [0, 4],
      [4, 5],
    ]);
  });

  it('finds the least-cost split (checked against brute force)', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let t = 0; t < 200; t++) {
      const n = 1 + Math.floor(rnd() * 9);
      const lens = Array.from({ length: n }, () => 3 + Math.floor(rnd() * 60)).sort((a, b) => a - b);
      const max = 1 + Math.floor(rnd() * 5);
      const overhead = Math.floor(rnd() * 40);
      const plan = planBatches(lens, max, overhead);
      expect(cost(lens, plan, overhead)).toBe(bruteForce(lens, max, overhead));
    }
  });
});
