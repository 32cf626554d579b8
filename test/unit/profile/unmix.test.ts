import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyState, finalize, update } from '../../../src/profile/aggregate.js';
import { confidences, USER_CONFIDENCE } from '../../../src/profile/confidence.js';
import type { Observation, ProfileParams } from '../../../src/profile/types.js';
import { confusionProblem, unmixShares, type LabelConfusion } from '../../../src/profile/unmix.js';

const P: ProfileParams = { halfLifeMs: 1e12, maxTerms: 10, evidencePerLabel: 3, topK: 5, topTerms: 5 };
const labels = ['a', 'b', 'c'];
const rec = (v: number[]) => Object.fromEntries(labels.map((l, i) => [l, v[i]!]));
/** m = Cᵀθ */
const mixed = (C: number[][], theta: number[]) => C[0]!.map((_, p) => C.reduce((s, row, t) => s + row[p]! * theta[t]!, 0));

// 'b' is read as 'a' 40 % of the time; 'a' and 'c' are read well
const C: LabelConfusion = {
  labels,
  confusion: [
    [0.9, 0.05, 0.05],
    [0.4, 0.55, 0.05],
    [0.05, 0.05, 0.9],
  ],
};

describe('unmixShares', () => {
  it('with the identity confusion returns the mean itself', () => {
    const I: LabelConfusion = {
      labels,
      confusion: [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
    };
    const s = unmixShares(rec([2, 1, 1]), 4, I, { prior: 0 })!;
    expect(Array.from(s)).toEqual([0.5, 0.25, 0.25]);
  });

  it('recovers the shares behind a mean the confusion produced, where the mean ranks the wrong label first', () => {
    const theta = [0.35, 0.6, 0.05]; // the user writes mostly about b...
    const m = mixed(C.confusion as number[][], theta);
    expect(m[0]).toBeGreaterThan(m[1]!); // ...but the classifier's mean puts a first
    const s = unmixShares(rec(m.map((x) => x * 40)), 40, C, { prior: 0, tolerance: 1e-10, maxIterations: 5000 })!;
    s.forEach((v, t) => expect(v).toBeCloseTo(theta[t]!, 3));
    expect(s.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
  });

  it('a Dirichlet prior pulls a user with few comments towards equal shares, less so with many', () => {
    const m = rec([0.1, 0.1, 0.8]);
    const few = unmixShares(m, 1, C, { prior: 1 })!;
    const many = unmixShares(m, 1000, C, { prior: 1 })!;
    const none = unmixShares(m, 1, C, { prior: 0 })!;
    expect(few[2]).toBeLessThan(many[2]!);
    expect(many[2]).toBeLessThanOrEqual(none[2]! + 1e-9);
    expect(few[0]).toBeGreaterThan(none[0]!);
  });

  it('declines a state with labels the confusion does not know, no mass, or no weight', () => {
    expect(unmixShares({ a: 1, z: 1 }, 2, C, { prior: 0 })).toBeUndefined();
    expect(unmixShares({ a: 1, z: 0 }, 2, C, { prior: 0 })).toBeDefined(); // a label with no mass is harmless
    expect(unmixShares({}, 2, C, { prior: 0 })).toBeUndefined();
    expect(unmixShares(rec([1, 0, 0]), 0, C, { prior: 0 })).toBeUndefined();
  });

  it('ends at shares that explain the mean at least as well as the mean itself does (the EM never loses likelihood)', () => {
    const row = fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 });
    fc.assert(
      fc.property(fc.tuple(row, row, row), row, fc.integer({ min: 1, max: 200 }), (rows, raw, w) => {
        // diagonally dominant, row-stochastic confusion
        const conf = rows.map((r, t) => {
          const v = r.map((x, p) => (p === t ? x + 2 : x));
          const s = v.reduce((a, b) => a + b, 0);
          return v.map((x) => x / s);
        });
        const sum = raw.reduce((a, b) => a + b, 0);
        const m = raw.map((x) => x / sum);
        const shares = unmixShares(rec(m), w, { labels, confusion: conf }, { prior: 0 });
        expect(shares).toBeDefined();
        const ll = (th: ArrayLike<number>) => mixed(conf, Array.from(th)).reduce((s, q, p) => s + m[p]! * Math.log(q), 0);
        expect(ll(shares!)).toBeGreaterThanOrEqual(ll(m) - 1e-9);
        expect(Array.from(shares!).every((v) => v >= 0 && v <= 1)).toBe(true);
        expect(Array.from(shares!).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      }),
    );
  });
});

describe('confusionProblem', () => {
  it('accepts a row-stochastic square matrix and names what is wrong otherwise', () => {
    expect(confusionProblem(C)).toBeUndefined();
    expect(confusionProblem({ labels: ['a'], confusion: [[1]] })).toMatch(/at least 2/);
    expect(
      confusionProblem({
        labels: ['a', 'a'],
        confusion: [
          [1, 0],
          [0, 1],
        ],
      }),
    ).toMatch(/unique/);
    expect(confusionProblem({ labels, confusion: [[1, 0, 0]] })).toMatch(/expected 3 rows/);
    expect(
      confusionProblem({
        labels,
        confusion: [
          [1, 0],
          [0, 1],
          [0, 1],
        ],
      }),
    ).toMatch(/row 0: expected 3 values/);
    expect(
      confusionProblem({
        labels,
        confusion: [
          [0.5, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
        ],
      }),
    ).toMatch(/row 0 sums to 0.5/);
    expect(
      confusionProblem({
        labels,
        confusion: [
          [-1, 1, 1],
          [0, 1, 0],
          [0, 0, 1],
        ],
      }),
    ).toMatch(/finite and >= 0/);
  });
});

describe('finalize with unmix', () => {
  // ten comments on b, each read by the classifier as C says (40 % a, 55 % b); four on a
  const comments: Observation[] = [
    ...Array.from({ length: 10 }, (_, i): Observation => ({ eventId: `b${i}`, commentId: `b${i}`, ts: i, probs: { a: 0.4, b: 0.55, c: 0.05 }, embedding: [1, 0], terms: [] })),
    ...Array.from({ length: 4 }, (_, i): Observation => ({ eventId: `a${i}`, commentId: `a${i}`, ts: 10 + i, probs: { a: 0.9, b: 0.05, c: 0.05 }, embedding: [0, 1], terms: [] })),
  ];
  const state = comments.reduce((s, o) => update(s, o, P), emptyState(2));

  it('ranks the label the user writes about first, where the plain mean ranks the confused one first', () => {
    const plain = finalize(state, P);
    expect(plain.interests[0]!.label).toBe('a');
    const unmixed = finalize(state, P, { unmix: { confusion: C, prior: 0 } });
    expect(unmixed.interests[0]!.label).toBe('b');
    expect(unmixed.interests[0]!.share).toBeCloseTo(10 / 14, 2);
    // scores are comments attributed to each label: they add up to the decayed count
    expect(unmixed.interests.reduce((s, i) => s + i.score, 0)).toBeCloseTo(state.weight, 6);
    expect(unmixed.interests.reduce((s, i) => s + i.share, 0)).toBeCloseTo(1, 6);
    // confidence from the unmixed shares, with the fit for unmixed shares
    const expected = confidences(
      unmixed.interests.map((i) => i.share),
      state.weight,
      USER_CONFIDENCE.unmixed,
    );
    unmixed.interests.forEach((i, k) => expect(i.confidence).toBeCloseTo(expected[k]!, 12));
    // nothing else changes
    expect({ ...unmixed, interests: [] }).toEqual({ ...plain, interests: [] });
  });

  it('falls back to the plain mean for a state with labels of another classifier', () => {
    const other: LabelConfusion = {
      labels: ['x', 'y'],
      confusion: [
        [1, 0],
        [0, 1],
      ],
    };
    expect(finalize(state, P, { unmix: { confusion: other, prior: 0 } })).toEqual(finalize(state, P));
  });
});
