import { describe, expect, it } from 'vitest';
import { balanceBias, measureConfusion } from '../../../src/train/zero-shot-calibration.js';

describe('zero-shot calibration', () => {
  it('measures the confusion per true label, with one perfect pseudo-row per label', () => {
    const c = measureConfusion(
      { labels: ['a', 'b'] },
      [
        [0.8, 0.2],
        [0.6, 0.4],
        [0.3, 0.7],
      ],
      [0, 0, 1],
    );
    expect(c.rows).toEqual([2, 1]);
    // a: (1 + 0.8 + 0.6) / 3, (0 + 0.2 + 0.4) / 3; b: (0.3 + 0) / 2, (0.7 + 1) / 2
    expect(c.matrix[0]![0]).toBeCloseTo(0.8, 6);
    expect(c.matrix[0]![1]).toBeCloseTo(0.2, 6);
    expect(c.matrix[1]).toEqual([0.15, 0.85]);
  });
});

describe('balanceBias (a label bias per language, without the labels)', () => {
  const softmaxMean = (sims: number[][], b: number[], t: number) => {
    const m = new Array<number>(b.length).fill(0);
    for (const s of sims) {
      const e = s.map((v, j) => Math.exp((v - b[j]!) / t));
      const z = e.reduce((a, x) => a + x, 0);
      e.forEach((x, j) => (m[j]! += x / z / sims.length));
    }
    return m;
  };
  // 3 labels, 30 rows, 10 per label; label 0 is a hub: every row is 0.12 nearer to it than it should be (the rows of the other labels go to it)
  const sims = Array.from({ length: 30 }, (_, i) => [0, 1, 2].map((j) => (j === i % 3 ? 0.6 : 0.5) + (j === 0 ? 0.12 : 0) + 0.01 * Math.sin(i * 7 + j)));

  it('takes the hub down so that every label gets 1/k of the probability, centred', () => {
    const t = 0.05;
    expect(softmaxMean(sims, [0, 0, 0], t)[0]).toBeGreaterThan(0.6);
    const b = balanceBias(sims, t);
    expect(b).toHaveLength(3);
    expect(b[0]).toBeGreaterThan(0.06);
    expect(b[0]).toBeGreaterThan(b[1]!);
    expect(b[0]).toBeGreaterThan(b[2]!);
    expect(Math.abs(b.reduce((a, x) => a + x, 0))).toBeLessThan(1e-5);
    for (const m of softmaxMean(sims, b, t)) expect(m).toBeCloseTo(1 / 3, 3);
    // every row of the hub's neighbours is labelled right after the bias, not before
    const argmax = (s: number[], off: number[]) => s.map((v, j) => v - off[j]!).reduce((best, v, j, a) => (v > a[best]! ? j : best), 0);
    expect(sims.filter((s, i) => argmax(s, [0, 0, 0]) !== i % 3).length).toBeGreaterThan(0);
    expect(sims.filter((s, i) => argmax(s, b) !== i % 3)).toEqual([]);
  });

  it('leaves balanced scores alone, is deterministic, and has nothing to fit on no rows', () => {
    const even = Array.from({ length: 30 }, (_, i) => [0, 1, 2].map((j) => (j === i % 3 ? 0.6 : 0.5)));
    for (const x of balanceBias(even, 0.05)) expect(Math.abs(x)).toBeLessThan(1e-4);
    expect(balanceBias(sims, 0.05)).toEqual(balanceBias(sims, 0.05));
    expect(balanceBias([], 0.05)).toEqual([]);
  });
});
