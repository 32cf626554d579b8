import { describe, expect, it } from 'vitest';
import { AGGREGATIONS, answerOf, compareAggregations, expectedCalibrationError, LOG_FLOOR, rankedLabels, scoreUserLevel, sharpen, type UserComment } from '../../../src/eval/user-aggregations.js';

const DAY = 86_400_000;
const ctx = { halfLifeMs: 30 * DAY };
const c = (probs: Record<string, number>, ts = 0, embedding?: number[]): UserComment => ({ probs, ts, ...(embedding ? { embedding: Float32Array.from(embedding) } : {}) });

describe('user-level aggregations', () => {
  it('mean: the mean of the probabilities, older comments decayed by the half-life', () => {
    expect(AGGREGATIONS.mean!([c({ a: 1, b: 0 }), c({ a: 0, b: 1 })], ctx)).toEqual({ a: 0.5, b: 0.5 });
    // a comment one half-life older weighs half
    const d = AGGREGATIONS.mean!([c({ a: 1, b: 0 }, 0), c({ a: 0, b: 1 }, 30 * DAY)], ctx)!;
    expect(d.a).toBeCloseTo(1 / 3, 12);
    expect(d.b).toBeCloseTo(2 / 3, 12);
  });

  it('logsum: one confident comment against two lukewarm ones, where the mean and the product disagree', () => {
    const cs = [c({ a: 0.98, b: 0.02 }), c({ a: 0.4, b: 0.6 }), c({ a: 0.4, b: 0.6 })];
    expect(rankedLabels(AGGREGATIONS.mean!(cs, ctx)!)[0]).toBe('a'); // (0.98 + 0.8) / 3 = 0.593
    const d = AGGREGATIONS.logsum!(cs, ctx)!;
    // a: 0.98·0.16 = 0.157, b: 0.02·0.36 = 0.0072: the product favours a even more
    expect(d.a).toBeCloseTo((0.98 * 0.16) / (0.98 * 0.16 + 0.02 * 0.36), 9);
    // a zero probability is floored, not -Infinity
    const z = AGGREGATIONS.logsum!([c({ a: 1, b: 0 }), c({ a: 0, b: 1 }), c({ a: 0, b: 1 })], ctx)!;
    expect(z.b).toBeCloseTo(1 / (1 + LOG_FLOOR), 9);
  });

  it('majority: the decayed share of comments whose top label is each label', () => {
    const d = AGGREGATIONS.majority!([c({ a: 0.6, b: 0.4 }), c({ a: 0.6, b: 0.4 }), c({ a: 0.1, b: 0.9 })], ctx)!;
    expect(d.a).toBeCloseTo(2 / 3, 12);
    expect(d.b).toBeCloseTo(1 / 3, 12);
  });

  it('temperature: p^(1/T) renormalised per comment; T = 1 is the identity', () => {
    const h = sharpen({ a: 0.75, b: 0.25 }, 0.5);
    expect(h.a).toBeCloseTo(0.9, 12);
    expect(h.b).toBeCloseTo(0.1, 12);
    const s = sharpen({ a: 0.5, b: 0.3, c: 0.2 }, 1);
    expect(s.a).toBeCloseTo(0.5, 12);
    expect(s.c).toBeCloseTo(0.2, 12);
  });

  it('confidence: comments weighted by their top probability', () => {
    const d = AGGREGATIONS.confidence!([c({ a: 1, b: 0 }), c({ a: 0.5, b: 0.5 })], ctx)!;
    expect(d.a).toBeCloseTo((1 + 0.25) / 1.5, 12);
  });

  it('centroid: the classifier on the normalised decayed mean embedding; unmix: the confusion inverts a systematic error', () => {
    const predict = (vs: readonly Float32Array[]) => vs.map((v) => ({ a: v[0]! ** 2, b: v[1]! ** 2 }));
    const d = AGGREGATIONS.centroid!([c({ a: 1 }, 0, [1, 0]), c({ a: 1 }, 0, [0, 1]), c({ a: 1 }, 0, [1, 0])], { ...ctx, predict })!;
    expect(d.a).toBeCloseTo(0.8, 9); // mean (2/3, 1/3) normalised: squares 0.8 and 0.2
    // a classifier that reads half of b's comments as a: a user writing only b looks 50/50 to the mean
    const unmix = {
      confusion: {
        labels: ['a', 'b'],
        confusion: [
          [1, 0],
          [0.5, 0.5],
        ],
      },
      prior: 0,
    };
    const cs = [c({ a: 0.5, b: 0.5 }), c({ a: 0.5, b: 0.5 })];
    expect(rankedLabels(AGGREGATIONS.unmix!(cs, { ...ctx, unmix })!)[0]).toBe('b');
    expect(AGGREGATIONS.unmix!(cs, ctx)).toBeUndefined();
    expect(AGGREGATIONS.centroid!(cs, ctx)).toBeUndefined();
  });
});

describe('user-level scores', () => {
  it('ECE is 0 for calibrated claims and |accuracy − confidence| for one bin', () => {
    const calibrated = [...Array(8)].map((_, i) => ({ confidence: 0.75, correct: i < 6 }));
    expect(expectedCalibrationError(calibrated)).toBeCloseTo(0, 12);
    const over = [...Array(10)].map((_, i) => ({ confidence: 0.95, correct: i < 5 }));
    expect(expectedCalibrationError(over)).toBeCloseTo(0.45, 12);
    expect(expectedCalibrationError([])).toBe(0);
  });

  it('top-1 against the majority topic, top-3 recall of the topics, a user without an answer a miss at confidence 0', () => {
    const truth = [
      { userId: 'u1', majority: 'a', topics: ['a', 'b'] },
      { userId: 'u2', majority: 'b', topics: ['b', 'c', 'd'] },
      { userId: 'u3', majority: 'a', topics: ['a'] },
    ];
    const answers = new Map([
      ['u1', answerOf({ a: 0.7, b: 0.2, c: 0.1 })],
      ['u2', answerOf({ a: 0.5, b: 0.3, c: 0.1, d: 0.1 })],
    ]);
    const s = scoreUserLevel(truth, answers);
    expect(s.top1).toBeCloseTo(1 / 3, 4);
    expect(s.top3Recall).toBeCloseTo((1 + 2 / 3 + 0) / 3, 4);
    expect(s.meanConfidence).toBeCloseTo((0.7 + 0.5) / 3, 4);
  });

  it('compareAggregations scores every applicable aggregation and skips the others', () => {
    const truth = [{ userId: 'u', majority: 'a', topics: ['a'] }];
    const comments = new Map([['u', [c({ a: 0.9, b: 0.1 }), c({ a: 0.6, b: 0.4 })]]]);
    const out = compareAggregations(truth, comments, ctx);
    expect(Object.keys(out).sort()).toEqual(['confidence', 'logsum', 'majority', 'mean', 'temperature 0.25', 'temperature 0.5']);
    for (const s of Object.values(out)) expect(s.top1).toBe(1);
    expect(() => compareAggregations(truth, comments, ctx, ['nope'])).toThrow(/no aggregation named/);
  });
});
