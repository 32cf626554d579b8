import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decayTo, emptyState, finalize, merge, observationProblem, update } from '../../../src/profile/aggregate.js';
import { confidenceFitFor, confidences, firstConfidence, USER_CONFIDENCE } from '../../../src/profile/confidence.js';
import { decayFactor } from '../../../src/profile/decay.js';
import { referenceProfile, referenceState } from '../../../src/profile/reference.js';
import type { AggregateState, DerivedProfile, Observation, ProfileParams } from '../../../src/profile/types.js';
import { isPortraitError } from '../../../src/util/errors.js';
import { BASE, DIM, fold, H, obs, observationList, PARAMS, plain, probabilities, unit, unitVector } from './gen.js';

/** The first interest's confidence for plain means, written out from docs/profile.md's formula. */
function conf1(share: number, w: number): number {
  const { intercept, share: b, weight: d } = USER_CONFIDENCE.mean;
  const x = Math.min(1 - 1e-6, Math.max(1e-6, share));
  return 1 / (1 + Math.exp(-(intercept + b * Math.log(x / (1 - x)) + d * Math.log(w))));
}

const P: ProfileParams = { halfLifeMs: 1000, maxTerms: 10, evidencePerLabel: 3, topK: 5, topTerms: 5 };

function allFinite(state: AggregateState, profile: DerivedProfile): boolean {
  const numbers = [
    state.count,
    state.firstSeen,
    state.lastSeen,
    state.weight,
    ...Object.values(state.labels),
    ...Object.values(state.terms),
    ...state.centroid,
    ...profile.interests.flatMap((i) => [i.score, i.share, i.confidence]),
    ...profile.centroid,
    ...profile.topTerms.map((t) => t.score),
  ];
  return numbers.every(Number.isFinite);
}

describe('a worked example (two events one half-life apart)', () => {
  // A at t=0: {a:1}, e0, terms x x y.  B at t=1000: {a:.5, b:.5}, e1, terms y.
  // At refTime 1000: weight .5+1, a = .5+.5, b = .5, centroid (.5, 1), x = 2*.5, y = .5+1.
  const A: Observation = { eventId: 'eA', commentId: 'cA', ts: 0, probs: { a: 1 }, embedding: unit(0, 2), terms: ['x', 'x', 'y'] };
  const B: Observation = { eventId: 'eB', commentId: 'cB', ts: 1000, probs: { a: 0.5, b: 0.5 }, embedding: unit(1, 2), terms: ['y'] };
  const expected: DerivedProfile = {
    count: 2,
    firstSeen: 0,
    lastSeen: 1000,
    interests: [
      { label: 'a', score: 1, share: 2 / 3, confidence: conf1(2 / 3, 1.5) },
      { label: 'b', score: 0.5, share: 1 / 3, confidence: Math.min(conf1(2 / 3, 1.5), ((1 - conf1(2 / 3, 1.5)) * (1 / 3)) / (1 - 2 / 3)) },
    ],
    centroid: [0.5 / Math.sqrt(1.25), 1 / Math.sqrt(1.25)],
    topTerms: [
      { term: 'y', score: 1.5 },
      { term: 'x', score: 1 },
    ],
    evidence: { a: ['cB', 'cA'], b: [] }, // B's argmax is a tie a/b: the smaller label wins
  };

  it.each([
    ['in order', [A, B]],
    ['out of order', [B, A]],
  ])('fold %s', (_name, list) => {
    const state = fold(list, P, 2);
    expect(state.refTime).toBe(1000);
    expect(state.weight).toBe(1.5);
    expect(plain(state.labels)).toEqual({ a: 1, b: 0.5 });
    expect(Array.from(state.centroid)).toEqual([0.5, 1]);
    expect(plain(state.terms)).toEqual({ x: 1, y: 1.5 });
    const profile = finalize(state, P);
    expect(profile).toEqual(expected);
  });

  it('the reference agrees', () => {
    expect(referenceProfile([A, B], 2, P)).toEqual(expected);
  });

  it('merge of the two single-event states agrees', () => {
    const merged = merge(fold([B], P, 2), fold([A], P, 2), P);
    expect(finalize(merged, P)).toEqual(expected);
  });

  it('decayTo one more half-life halves every score and the weight, keeps shares and bookkeeping', () => {
    const state = decayTo(fold([A, B], P, 2), 2000, P);
    expect(state.refTime).toBe(2000);
    expect(state.weight).toBe(0.75);
    const profile = finalize(state, P);
    expect(profile.interests.map((i) => [i.label, i.score, i.share])).toEqual([
      ['a', 0.5, 2 / 3],
      ['b', 0.25, 1 / 3],
    ]);
    expect(profile.interests[0]!.confidence).toBeCloseTo(conf1(2 / 3, 0.75), 15);
    expect([profile.count, profile.firstSeen, profile.lastSeen]).toEqual([2, 0, 1000]);
    expect(profile.centroid).toEqual(expected.centroid);
  });

  it('decayTo an earlier time changes nothing (decay never runs backwards)', () => {
    const state = fold([A, B], P, 2);
    const back = decayTo(state, 0, P);
    expect(back.refTime).toBe(1000);
    expect(finalize(back, P)).toEqual(expected);
  });

  it('decayTo on the empty state fixes the time later events are expressed at', () => {
    const state = update(decayTo(emptyState(2), 2000, P), A, P);
    expect(state.refTime).toBe(2000);
    expect(state.weight).toBe(0.25);
    expect(plain(state.labels)).toEqual({ a: 0.25 });
  });
});

describe('decayFactor', () => {
  it('is 2^(-dt/h), exactly 1 without a gap or backwards, 0 from -Infinity', () => {
    expect(decayFactor(0, 1000, 1000)).toBe(0.5);
    expect(decayFactor(0, 3000, 1000)).toBe(0.125);
    expect(decayFactor(5, 5, 1000)).toBe(1);
    expect(decayFactor(5, 0, 1000)).toBe(1);
    expect(decayFactor(-Infinity, 0, 1000)).toBe(0);
    expect(decayFactor(-Infinity, -Infinity, 1000)).toBe(1);
    expect(decayFactor(-Number.MAX_VALUE, Number.MAX_VALUE, 1e-300)).toBe(0);
  });
});

describe('far-future and far-past timestamps', () => {
  const history = [obs({ ts: BASE, probs: { a: 1 }, terms: ['old'] }), obs({ ts: BASE + H, probs: { a: 0.4, b: 0.6 }, terms: ['old'] })];
  const params = { ...PARAMS, halfLifeMs: H };

  it('a far-future event decays everything before it to zero; bookkeeping stays exact', () => {
    const future = BASE + 1e6 * H;
    const state = update(fold(history, params), obs({ ts: future, probs: { c: 1 }, embedding: unit(3), terms: ['new'], commentId: 'cf' }), params);
    expect([state.count, state.firstSeen, state.lastSeen, state.refTime]).toEqual([3, BASE, future, future]);
    expect(state.weight).toBe(1);
    expect(plain(state.labels)).toEqual({ c: 1 });
    expect(plain(state.terms)).toEqual({ new: 1 });
    expect(Array.from(state.centroid)).toEqual(Array.from(unit(3)));
    const profile = finalize(state, params);
    expect(profile.interests).toEqual([{ label: 'c', score: 1, share: 1, confidence: conf1(1, 1) }]);
    expect(allFinite(state, profile)).toBe(true);
  });

  it('a far-past event changes only the bookkeeping (and evidence, which ignores decay)', () => {
    const before = fold(history, params);
    const past = BASE - 1e6 * H;
    const after = update(before, obs({ ts: past, probs: { a: 1 }, embedding: unit(5), terms: ['ancient'], commentId: 'cp' }), params);
    expect([after.count, after.firstSeen, after.lastSeen, after.refTime]).toEqual([3, past, BASE + H, BASE + H]);
    expect(after.weight).toBe(before.weight);
    expect(plain(after.labels)).toEqual(plain(before.labels));
    expect(plain(after.terms)).toEqual(plain(before.terms));
    expect(Array.from(after.centroid)).toEqual(Array.from(before.centroid));
    expect(after.evidence['a']!.map((e) => e.commentId)).toContain('cp');
  });

  it('merging states a huge gap apart keeps only the newer one, no NaN', () => {
    const old = fold(history, params);
    const young = fold([obs({ ts: 8.64e15, probs: { z: 1 } })], params);
    for (const m of [merge(old, young, params), merge(young, old, params)]) {
      expect(m.weight).toBe(1);
      expect(plain(m.labels)).toEqual({ z: 1 });
      expect([m.count, m.firstSeen, m.lastSeen]).toEqual([3, BASE, 8.64e15]);
    }
  });

  it('extreme finite timestamps in any order and any half-life never produce NaN or Infinity', () => {
    const extremeTs = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, 8.64e15, -8.64e15, 0, Number.MIN_VALUE));
    const event = fc.record({ ts: extremeTs, probs: probabilities, embedding: unitVector(), terms: fc.array(fc.constantFrom('a', 'b'), { maxLength: 3 }) });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 12 }), fc.constantFrom(1, 1e-300, H, 1e300), (events, halfLifeMs) => {
        const params = { ...PARAMS, halfLifeMs };
        const list = events.map((e, i) => ({ ...e, eventId: `e${i}`, commentId: `c${i}` }));
        const state = fold(list, params);
        const half = Math.floor(list.length / 2);
        const merged = merge(fold(list.slice(0, half), params), fold(list.slice(half), params), params);
        for (const s of [state, merged, decayTo(state, Number.MAX_VALUE, params)]) {
          const profile = finalize(s, params);
          expect(allFinite(s, profile)).toBe(true);
          expect(s.count).toBe(list.length);
          for (const i of profile.interests) expect(i.confidence >= 0 && i.confidence <= 1).toBe(true);
          const norm = Math.hypot(...profile.centroid);
          expect(norm === 0 || Math.abs(norm - 1) < 1e-12).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('empty and faded states', () => {
  it('finalize of the empty state', () => {
    const state = emptyState(4);
    expect(state.refTime).toBe(-Infinity);
    expect(finalize(state, PARAMS)).toEqual({ count: 0, firstSeen: 0, lastSeen: 0, interests: [], centroid: [0, 0, 0, 0], topTerms: [], evidence: {} });
  });

  it('the reference agrees on the empty list', () => {
    expect(referenceProfile([], 4, PARAMS)).toEqual(finalize(emptyState(4), PARAMS));
  });

  it('a state decayed to nothing has no interests, no terms, a zero centroid, but exact bookkeeping', () => {
    const state = decayTo(fold([obs({ ts: 10, terms: ['t'] })]), 10 + 5000 * H, PARAMS);
    const profile = finalize(state, PARAMS);
    expect(profile).toEqual({ count: 1, firstSeen: 10, lastSeen: 10, interests: [], centroid: new Array(DIM).fill(0), topTerms: [], evidence: {} });
    expect(profile.centroid.every((x) => Object.is(x, 0))).toBe(true); // no -0 leaking into JSON consumers
  });

  it('a centroid that cancels to zero finalizes to zeros', () => {
    const v = unit(2);
    const minus = v.map((x) => -x);
    const profile = finalize(fold([obs({ ts: 1, embedding: v }), obs({ ts: 1, embedding: minus, commentId: 'c2' })]), PARAMS);
    expect(profile.centroid).toEqual(new Array(DIM).fill(0));
  });

  it('a tiny (subnormal) centroid still normalises to unit length', () => {
    const state = { ...emptyState(2), count: 1, weight: 1e-310, centroid: Float64Array.from([3e-310, 4e-310]) };
    const c = finalize(state, PARAMS).centroid;
    expect(c[0]).toBeCloseTo(0.6, 12);
    expect(c[1]).toBeCloseTo(0.8, 12);
  });

  it('drops labels that decay to exactly 0 (they would otherwise linger in storage)', () => {
    const later = 100 * PARAMS.halfLifeMs; // factor 2^-100: 1e-310 underflows, 1 does not
    const state = fold([obs({ ts: 0, probs: { tiny: 1e-310, big: 1 } }), obs({ ts: later, probs: { big: 1 }, commentId: 'c2' })]);
    expect(Object.keys(state.labels)).toEqual(['big']);
  });

  it('never emits -0 in the derived centroid', () => {
    const state = { ...emptyState(3), count: 1, weight: 1, centroid: Float64Array.from([-0, 1, -0]) };
    expect(finalize(state, PARAMS).centroid.map((x) => Object.is(x, -0))).toEqual([false, false, false]);
  });

  it('emptyState rejects a bad dimension', () => {
    expect(() => emptyState(-1)).toThrow(RangeError);
    expect(() => emptyState(1.5)).toThrow(RangeError);
  });
});

describe('confidence: the probability that a label is the user main topic, calibrated at user level (confidence.ts)', () => {
  it('is in [0, 1], never above the first interest, and sums to at most 1 over a profile', () => {
    fc.assert(
      fc.property(observationList(30), fc.integer({ min: 0, max: 20 * H }), (list, later) => {
        const state = fold(list, PARAMS);
        const at = Number.isFinite(state.refTime) ? decayTo(state, state.refTime + later, PARAMS) : state;
        const interests = finalize(at, PARAMS).interests;
        for (const i of interests) {
          expect(i.confidence).toBeGreaterThanOrEqual(0);
          expect(i.confidence).toBeLessThanOrEqual(interests[0]!.confidence);
        }
        expect(interests.reduce((t, i) => t + i.confidence, 0)).toBeLessThanOrEqual(1 + 1e-12);
      }),
      { numRuns: 200 },
    );
  });

  it('rises strictly with more evidence of the same mix, share unchanged', () => {
    const one = (i: number): Observation => obs({ ts: 1000, probs: { a: 0.7, b: 0.3 }, commentId: `c${i}` });
    const profiles = [1, 2, 3, 5, 8, 13].map((n) => finalize(fold(Array.from({ length: n }, (_, i) => one(i))), PARAMS));
    const confidences = profiles.map((p) => p.interests[0]!.confidence);
    for (let i = 1; i < confidences.length; i++) expect(confidences[i]).toBeGreaterThan(confidences[i - 1]!);
    for (const p of profiles) expect(p.interests[0]!.share).toBeCloseTo(0.7, 12);
    expect(confidences[0]).toBeCloseTo(conf1(0.7, 1), 12);
    // the rest is shared by the other labels in proportion to their shares
    expect(profiles[0]!.interests[1]!.confidence).toBeCloseTo(Math.min(confidences[0]!, 1 - confidences[0]!), 12);
  });

  it('falls as the evidence ages (decayTo later), towards 0 when nothing is left', () => {
    const state = fold([obs({ ts: 0, probs: { a: 0.8, b: 0.2 } }), obs({ ts: 0, probs: { a: 0.8, b: 0.2 }, commentId: 'c2' })]);
    const now = finalize(state, PARAMS).interests[0]!.confidence;
    const later = finalize(decayTo(state, 3 * H, PARAMS), PARAMS).interests[0]!.confidence;
    const gone = finalize(decayTo(state, 60 * H, PARAMS), PARAMS).interests[0]!.confidence;
    expect(now).toBeCloseTo(conf1(0.8, 2), 15);
    expect(later).toBeCloseTo(conf1(0.8, 0.25), 15);
    expect(later).toBeLessThan(now);
    expect(gone).toBeLessThan(1e-12);
  });

  it('follows the fitted formula logit(c) = a + b logit(share) + d ln W (plain means; unmixed shares have their own fit)', () => {
    const { intercept, share, weight } = USER_CONFIDENCE.mean;
    const z = intercept + share * Math.log(0.6 / 0.4) + weight * Math.log(4);
    expect(firstConfidence(0.6, 4, USER_CONFIDENCE.mean)).toBeCloseTo(1 / (1 + Math.exp(-z)), 15);
    expect(firstConfidence(0.6, 0, USER_CONFIDENCE.mean)).toBe(0);
    expect(confidences([], 3, USER_CONFIDENCE.mean)).toEqual([]);
    expect(USER_CONFIDENCE.unmixed).not.toEqual(USER_CONFIDENCE.mean);
  });

  it('an uncalibrated zero-shot taxonomy has its own fit, on the lead over the second interest: logit(c) = a + m ln(share1/share2) + d ln W', () => {
    expect(confidenceFitFor(true, 'zero-shot')).toBe(USER_CONFIDENCE.unmixed);
    expect(confidenceFitFor(false, 'zero-shot')).toBe(USER_CONFIDENCE.zeroShot);
    expect(confidenceFitFor(false, 'linear')).toBe(USER_CONFIDENCE.mean);
    expect(confidenceFitFor(false, undefined)).toBe(USER_CONFIDENCE.mean);
    const { intercept, margin, weight } = USER_CONFIDENCE.zeroShot;
    expect(USER_CONFIDENCE.zeroShot.share).toBe(0);
    const z = intercept + margin * Math.log(0.36 / 0.12) + weight * Math.log(4);
    expect(firstConfidence(0.36, 4, USER_CONFIDENCE.zeroShot, 0.12)).toBeCloseTo(1 / (1 + Math.exp(-z)), 15);
    // the same lead, however the rest is spread: the same confidence
    expect(firstConfidence(0.6, 4, USER_CONFIDENCE.zeroShot, 0.2)).toBeCloseTo(firstConfidence(0.36, 4, USER_CONFIDENCE.zeroShot, 0.12), 15);
    // finalize picks it from the classifier kind; 16 labels, a clear but thin first interest
    const probs = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`l${i}`, i === 0 ? 0.3 : i === 1 ? 0.1 : 0.6 / 14]));
    const state = fold([obs({ ts: 0, probs }), obs({ ts: 0, probs, commentId: 'c2' }), obs({ ts: 0, probs, commentId: 'c3' })]);
    const zs = finalize(state, PARAMS, { classifierKind: 'zero-shot' }).interests;
    const plainMean = finalize(state, PARAMS).interests;
    expect(zs.map((i) => i.share)).toEqual(plainMean.map((i) => i.share));
    expect(zs[0]!.confidence).toBeCloseTo(firstConfidence(0.3, 3, USER_CONFIDENCE.zeroShot, 0.1), 12);
    expect(plainMean[0]!.confidence).toBeCloseTo(firstConfidence(0.3, 3, USER_CONFIDENCE.mean), 12);
    expect(zs[0]!.confidence).toBeGreaterThan(plainMean[0]!.confidence);
    // with topK 1 the second share still comes from the state, not from the cut list
    const one = finalize(state, { ...PARAMS, topK: 1 }, { classifierKind: 'zero-shot' }).interests;
    expect(one).toHaveLength(1);
    expect(one[0]!.confidence).toBeCloseTo(zs[0]!.confidence, 12);
  });
});

describe('keys that look like Object.prototype members', () => {
  it('terms and labels named __proto__ / constructor / toString are counted like any other', () => {
    const probs = Object.fromEntries([
      ['__proto__', 0.6],
      ['constructor', 0.4],
    ]);
    const state = fold([obs({ ts: 1, probs, terms: ['constructor', '__proto__', 'toString', 'toString'] })]);
    expect(Object.getPrototypeOf(state.terms)).toBeNull();
    expect(plain(state.terms)).toEqual(
      Object.fromEntries([
        ['constructor', 1],
        ['__proto__', 1],
        ['toString', 2],
      ]),
    );
    expect(plain(state.labels)).toEqual(
      Object.fromEntries([
        ['__proto__', 0.6],
        ['constructor', 0.4],
      ]),
    );
    const profile = finalize(state, PARAMS);
    expect(profile.interests.map((i) => i.label)).toEqual(['__proto__', 'constructor']);
    expect(Object.keys(profile.evidence).sort()).toEqual(['__proto__', 'constructor']);
    expect(profile.evidence['constructor']).toEqual([]);
    expect(Object.getPrototypeOf(profile.evidence)).toBe(Object.prototype);
  });

  it('a hand-built state with ordinary objects does not read inherited members', () => {
    const state: AggregateState = { ...emptyState(1), count: 1, refTime: 0, weight: 1, labels: { constructor: 1 }, evidence: {}, terms: {} };
    expect(finalize(state, PARAMS).evidence).toEqual({ constructor: [] });
    const next = update(state, { eventId: 'e', commentId: 'c', ts: 0, probs: { toString: 1 }, embedding: [0], terms: ['valueOf'] }, PARAMS);
    expect(plain(next.labels)).toEqual({ constructor: 1, toString: 1 });
    expect(plain(next.terms)).toEqual({ valueOf: 1 });
  });
});

describe('input validation', () => {
  const state = emptyState(DIM);

  it('a non-finite timestamp is a REJECT_BAD_TIMESTAMP PortraitError', () => {
    for (const ts of [NaN, Infinity, -Infinity]) {
      expect(() => update(state, obs({ ts }), PARAMS)).toThrow();
      try {
        update(state, obs({ ts }), PARAMS);
      } catch (err) {
        expect(isPortraitError(err, 'REJECT_BAD_TIMESTAMP')).toBe(true);
      }
    }
  });

  it('bad probabilities, embeddings and dimensions are RangeErrors, reported by observationProblem', () => {
    const bad: Observation[] = [obs({ ts: 1, probs: { a: NaN } }), obs({ ts: 1, probs: { a: -0.1 } }), obs({ ts: 1, embedding: new Float64Array(DIM - 1) }), obs({ ts: 1, embedding: new Float64Array(DIM).fill(Infinity) })];
    for (const o of bad) {
      expect(observationProblem(o, DIM)).toBeTypeOf('string');
      expect(() => update(state, o, PARAMS)).toThrow(RangeError);
    }
    expect(observationProblem(obs({ ts: 1 }), DIM)).toBeUndefined();
    expect(() => merge(emptyState(2), emptyState(3), PARAMS)).toThrow(RangeError);
    for (const t of [NaN, Infinity, -Infinity]) expect(() => decayTo(state, t, PARAMS)).toThrow(RangeError);
  });

  it('unusable params are a CONFIG_INVALID PortraitError', () => {
    const bads: Array<Partial<ProfileParams>> = [{ halfLifeMs: 0 }, { halfLifeMs: Infinity }, { maxTerms: -1 }, { topK: 1.5 }];
    for (const b of bads) {
      const params = { ...PARAMS, ...b };
      for (const call of [() => update(state, obs({ ts: 1 }), params), () => merge(state, state, params), () => finalize(state, params), () => decayTo(state, 1, params)]) {
        let caught: unknown;
        try {
          call();
        } catch (err) {
          caught = err;
        }
        expect(isPortraitError(caught, 'CONFIG_INVALID')).toBe(true);
      }
    }
  });
});

describe('the reference itself', () => {
  it('uses T = max ts and applies the ideal term cap', () => {
    const list = [obs({ ts: 2000, terms: ['a'] }), obs({ ts: 0, terms: ['b', 'b', 'b', 'b', 'b'], commentId: 'x' })];
    const s = referenceState(list, DIM, { ...P, maxTerms: 1 });
    expect(s.refTime).toBe(2000);
    expect(s.weight).toBe(1.25);
    expect(plain(s.terms)).toEqual({ b: 1.25 });
  });
});
