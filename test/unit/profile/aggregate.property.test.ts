/**
 * The chronon habit: the incremental, mergeable aggregate agrees with the naive reference on
 * generated event sequences, in any order and any split.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decayTo, emptyState, finalize, merge, update } from '../../../src/profile/aggregate.js';
import { referenceProfile, referenceState } from '../../../src/profile/reference.js';
import type { AggregateState } from '../../../src/profile/types.js';
import { BASE, centroidScale, close, deepFreezeState, DIM, expectProfilesClose, expectStatesClose, fold, H, observationList, PARAMS, snapshot } from './gen.js';

const RUNS = { numRuns: 300 };

/** A list and a permutation of it. */
const listAndShuffle = observationList().chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length })));

describe('incremental fold equals the naive reference', () => {
  it('state and derived profile', () => {
    fc.assert(
      fc.property(observationList(), (list) => {
        const state = fold(list);
        expectStatesClose(state, referenceState(list, DIM, PARAMS));
        expectProfilesClose(finalize(state, PARAMS), referenceProfile(list, DIM, PARAMS), centroidScale(state));
      }),
      RUNS,
    );
  });

  it('state and derived profile with the confidence fit of an uncalibrated zero-shot taxonomy', () => {
    fc.assert(
      fc.property(observationList(), (list) => {
        const state = fold(list);
        expectProfilesClose(finalize(state, PARAMS, { classifierKind: 'zero-shot' }), referenceProfile(list, DIM, PARAMS, undefined, 'zero-shot'), centroidScale(state));
      }),
      RUNS,
    );
  });

  it('top-K cut: every listed interest is at least as strong as the reference K-th, evidence only for them', () => {
    const params = { ...PARAMS, topK: 2, topTerms: 3 };
    fc.assert(
      fc.property(observationList(), (list) => {
        const actual = finalize(fold(list, params), params);
        const expected = referenceProfile(list, DIM, params);
        expect(actual.interests.length).toBe(expected.interests.length);
        for (const i of actual.interests) {
          const share = expected.interests.find((e) => e.label === i.label)?.share;
          // shares are of the total over all labels, not only the listed ones
          if (share !== undefined) expect(close(i.share, share)).toBe(true);
        }
        const kth = expected.interests.at(-1)?.score ?? 0;
        for (const i of actual.interests) expect(close(i.score, kth) || i.score >= kth).toBe(true);
        const kthTerm = expected.topTerms.at(-1)?.score ?? 0;
        expect(actual.topTerms.length).toBe(expected.topTerms.length);
        for (const t of actual.topTerms) expect(close(t.score, kthTerm) || t.score >= kthTerm).toBe(true);
        expect(Object.keys(actual.evidence).sort()).toEqual(actual.interests.map((i) => i.label).sort());
      }),
      RUNS,
    );
  });

  it('decayTo a later time equals the reference evaluated at that time', () => {
    fc.assert(
      fc.property(observationList(), fc.integer({ min: 0, max: 5 * H }), (list, later) => {
        const state = fold(list);
        const t = (list.length === 0 ? 0 : state.refTime) + later;
        const decayed = decayTo(state, t, PARAMS);
        expectStatesClose(decayed, referenceState(list, DIM, PARAMS, t));
        expectProfilesClose(finalize(decayed, PARAMS), referenceProfile(list, DIM, PARAMS, t), centroidScale(decayed));
      }),
      RUNS,
    );
  });
});

describe('order independence', () => {
  it('any permutation folds to the same state and profile', () => {
    fc.assert(
      fc.property(listAndShuffle, ([list, shuffled]) => {
        const a = fold(list);
        const b = fold(shuffled);
        expectStatesClose(b, a);
        expectProfilesClose(finalize(b, PARAMS), finalize(a, PARAMS), centroidScale(a));
      }),
      RUNS,
    );
  });

  it('merging the folds of any split (any merge tree) equals the fold of the whole', () => {
    fc.assert(
      fc.property(observationList(), fc.boolean(), fc.integer({ min: 0, max: 3 }), (list, balanced, rotate) => {
        const parts = [0, 1, 2, 3].map((g) => fold(list.filter((o) => o.group === (g + rotate) % 4)));
        const [p0, p1, p2, p3] = parts as [AggregateState, AggregateState, AggregateState, AggregateState];
        const merged = balanced ? merge(merge(p0, p1, PARAMS), merge(p2, p3, PARAMS), PARAMS) : merge(p0, merge(p1, merge(p2, p3, PARAMS), PARAMS), PARAMS);
        const whole = fold(list);
        expectStatesClose(merged, whole);
        expectStatesClose(merged, referenceState(list, DIM, PARAMS));
        expectProfilesClose(finalize(merged, PARAMS), finalize(whole, PARAMS), centroidScale(whole));
      }),
      RUNS,
    );
  });

  it('merge is exactly commutative and has the empty state as exact identity', () => {
    fc.assert(
      fc.property(observationList(20), observationList(20), (xs, ys) => {
        const a = fold(xs);
        const b = fold(ys);
        expect(snapshot(merge(a, b, PARAMS))).toEqual(snapshot(merge(b, a, PARAMS)));
        expect(snapshot(merge(a, emptyState(DIM), PARAMS))).toEqual(snapshot(a));
        expect(snapshot(merge(emptyState(DIM), a, PARAMS))).toEqual(snapshot(a));
      }),
      RUNS,
    );
  });

  it('update equals merging a single-observation state', () => {
    fc.assert(
      fc.property(observationList(20), (list) => {
        const [last, ...rest] = list.slice().reverse();
        fc.pre(last !== undefined);
        const before = fold(rest.reverse());
        const viaUpdate = update(before, last!, PARAMS);
        const viaMerge = merge(before, update(emptyState(DIM), last!, PARAMS), PARAMS);
        expectStatesClose(viaMerge, viaUpdate);
      }),
      RUNS,
    );
  });
});

describe('purity', () => {
  it('update, merge, decayTo and finalize never mutate their inputs', () => {
    fc.assert(
      fc.property(observationList(15), observationList(15), (xs, ys) => {
        const a = fold(xs);
        const b = fold(ys);
        const [sa, sb] = [snapshot(a), snapshot(b)];
        const o = ys[0] ?? xs[0];
        const so = o === undefined ? undefined : { ...o, probs: { ...o.probs }, terms: [...o.terms], embedding: Array.from(o.embedding) };
        deepFreezeState(a);
        deepFreezeState(b);
        if (o !== undefined) {
          Object.freeze(o.probs);
          Object.freeze(o.terms);
          Object.freeze(o);
          update(a, o, PARAMS);
        }
        merge(a, b, PARAMS);
        decayTo(a, (Number.isFinite(a.refTime) ? a.refTime : BASE) + 12_345, PARAMS);
        finalize(a, PARAMS);
        expect(snapshot(a)).toEqual(sa);
        expect(snapshot(b)).toEqual(sb);
        if (o !== undefined) expect({ ...o, embedding: Array.from(o.embedding) }).toEqual(so);
      }),
      { numRuns: 100 },
    );
  });

  it('the returned state shares no mutable container with its input', () => {
    const s = fold([{ eventId: 'e', commentId: 'c', ts: 1, probs: { a: 1 }, embedding: new Float64Array(DIM).fill(0.25), terms: ['t'] }]);
    for (const next of [update(s, { eventId: 'e2', commentId: 'c2', ts: 0, probs: { b: 1 }, embedding: new Float64Array(DIM), terms: [] }, PARAMS), merge(s, emptyState(DIM), PARAMS), decayTo(s, 0, PARAMS)]) {
      expect(next).not.toBe(s);
      expect(next.labels).not.toBe(s.labels);
      expect(next.terms).not.toBe(s.terms);
      expect(next.centroid).not.toBe(s.centroid);
      expect(next.evidence).not.toBe(s.evidence);
      expect(next.evidence['a']).not.toBe(s.evidence['a']);
      expect(next.evidence['a']![0]).not.toBe(s.evidence['a']![0]);
    }
  });
});
