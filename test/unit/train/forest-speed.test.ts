import fc from 'fast-check';
import { RandomForestClassifier } from 'ml-random-forest';
import { describe, expect, it } from 'vitest';
import { binOf, binRows, quantileEdges, rawThreshold, withDistinctSplits } from '../../../src/train/forest-speed.js';
import { clusters } from '../classify/fixtures.js';

describe('bounded forest training', () => {
  it('binning: "bin < v" and "x < rawThreshold(v)" agree for every split value the library can produce', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 5, maxLength: 60 }), fc.integer({ min: 2, max: 12 }), (xs, bins) => {
        const edges = quantileEdges(
          xs.map((x) => [x]),
          bins,
        )[0]!;
        for (let i = 1; i < edges.length; i++) expect(edges[i]!).toBeGreaterThan(edges[i - 1]!);
        const binsSeen = xs.map((x) => binOf(edges, x));
        const maxBin = Math.max(...binsSeen);
        // the library splits at midpoints of neighbouring distinct values, or at a value itself
        for (let twice = 1; twice <= 2 * maxBin; twice++) {
          const v = twice / 2;
          const t = rawThreshold(edges, v);
          for (const x of xs) expect(binOf(edges, x) < v).toBe(x < t);
        }
      }),
    );
  });

  it('quantile edges split the values into bins of similar size', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => [Math.sin(i) * 10]);
    const edges = quantileEdges(xs, 10)[0]!;
    expect(edges).toHaveLength(9);
    const counts = new Array<number>(10).fill(0);
    for (const r of binRows(xs, [edges])) counts[r[0]!]!++;
    for (const c of counts) expect(c).toBeGreaterThanOrEqual(95);
  });

  it('proposing each threshold once gives the very same trees, with far fewer candidates', () => {
    const { X, y } = clusters(4, 40, 10, 0.9, 5, 6);
    const rows = binRows(X, quantileEdges(X, 8));
    const yi = y.map((l) => l.charCodeAt(6) - 97);
    const train = () => {
      const rf = new RandomForestClassifier({ nEstimators: 6, maxFeatures: 0.5, seed: 9, noOOB: true, useSampleBagging: true, replacement: false, treeOptions: { maxDepth: 8, minNumSamples: 3, gainThreshold: 0.01 } });
      rf.train(rows, yi);
      return JSON.stringify(rf.toJSON());
    };
    const plain = train();
    expect(withDistinctSplits(train)).toBe(plain);
    // and the library's own method is restored afterwards
    const tiny = new RandomForestClassifier({ nEstimators: 1, seed: 1, noOOB: true, useSampleBagging: false });
    tiny.train([[0], [1], [0], [1]], [0, 1, 0, 1]);
    const proto = Object.getPrototypeOf((tiny as unknown as { estimators: Array<{ root: object }> }).estimators[0]!.root) as { featureSplit: (this: unknown, x: number[], y: number[]) => number[] };
    const x = [0, 0, 0, 1, 1, 1];
    const labels = [0, 1, 0, 1, 0, 1];
    const node = { splitFunction: 'mean' };
    expect(proto.featureSplit.call(node, x, labels)).toEqual([0, 0, 0.5, 1, 1]);
    expect(withDistinctSplits(() => proto.featureSplit.call(node, x, labels))).toEqual([0, 0.5, 1]);
    expect(proto.featureSplit.call(node, x, labels)).toHaveLength(5);
  });
});
