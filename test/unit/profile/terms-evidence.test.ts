import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyState, finalize, merge, update } from '../../../src/profile/aggregate.js';
import type { AggregateState, ProfileParams } from '../../../src/profile/types.js';
import { DIM, fold, obs, observationList, PARAMS, plain } from './gen.js';

const capped = (maxTerms: number): ProfileParams => ({ ...PARAMS, maxTerms });

/** The maxTerms highest entries of a record, ties by term ascending: the spec of the cap. */
function topOf(rec: Record<string, number>, max: number): Record<string, number> {
  const entries = Object.keys(rec).map((k) => [k, rec[k]!] as const);
  entries.sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return Object.fromEntries(entries.slice(0, max));
}

describe('term cap', () => {
  it('keeps the highest decayed counts', () => {
    const s = fold([obs({ ts: 0, terms: ['a', 'a', 'a', 'b', 'b', 'c'] })], capped(2));
    expect(plain(s.terms)).toEqual({ a: 3, b: 2 });
  });

  it('breaks ties by term, whatever the order the terms arrived in', () => {
    for (const terms of [
      ['d', 'c', 'b'],
      ['b', 'c', 'd'],
      ['c', 'd', 'b'],
    ]) {
      expect(plain(fold([obs({ ts: 0, terms })], capped(2)).terms)).toEqual({ b: 1, c: 1 });
    }
  });

  it('lets recent terms displace old ones as the old ones decay', () => {
    const s = fold([obs({ ts: 0, terms: ['old', 'old'] }), obs({ ts: 2 * PARAMS.halfLifeMs, terms: ['new'], commentId: 'c2' })], capped(1));
    expect(plain(s.terms)).toEqual({ new: 1 }); // old = 2 * 1/4 = 0.5 < 1
  });

  it('maxTerms 0 keeps no terms', () => {
    expect(plain(fold([obs({ ts: 0, terms: ['a'] })], capped(0)).terms)).toEqual({});
  });

  it('each update and merge keeps exactly the top maxTerms of what an uncapped step would hold', () => {
    const big = capped(1000);
    fc.assert(
      fc.property(observationList(20), fc.integer({ min: 0, max: 5 }), (list, max) => {
        const params = capped(max);
        let state = emptyState(DIM);
        for (const o of list) {
          const next = update(state, o, params);
          expect(plain(next.terms)).toEqual(topOf(update(state, o, big).terms, max));
          state = next;
        }
        const half = Math.floor(list.length / 2);
        const [a, b] = [fold(list.slice(0, half), params), fold(list.slice(half), params)];
        expect(plain(merge(a, b, params).terms)).toEqual(topOf(merge(a, b, big).terms, max));
      }),
      { numRuns: 200 },
    );
  });

  it('is the one order-dependent part: an evicted term loses its history', () => {
    // all at one time, so no decay: x x | y | y y
    const x2 = obs({ ts: 0, terms: ['x', 'x'], commentId: '1' });
    const y1 = obs({ ts: 0, terms: ['y'], commentId: '2' });
    const y2 = obs({ ts: 0, terms: ['y', 'y'], commentId: '3' });
    expect(plain(fold([x2, y1, y2], capped(1)).terms)).toEqual({ x: 2 }); // y:1 evicted, then y:2 loses the tie
    expect(plain(fold([y1, y2, x2], capped(1)).terms)).toEqual({ y: 3 }); // the exact answer
  });
});

describe('evidence', () => {
  const K = (evidencePerLabel: number): ProfileParams => ({ ...PARAMS, evidencePerLabel });
  const ids = (s: AggregateState, label: string): string[] | undefined => s.evidence[label]?.map((e) => e.commentId);

  it('keeps the newest K by event time, newest first, in any arrival order', () => {
    const list = [10, 40, 20, 30].map((ts) => obs({ ts, commentId: `c${ts}` }));
    for (const order of [list, [...list].reverse(), [list[2]!, list[0]!, list[3]!, list[1]!]]) {
      expect(ids(fold(order, K(2)), 'a')).toEqual(['c40', 'c30']);
    }
  });

  it('an out-of-order older comment does not displace newer evidence', () => {
    const s = fold([obs({ ts: 50, commentId: 'n1' }), obs({ ts: 60, commentId: 'n2' }), obs({ ts: 1, commentId: 'old' })], K(2));
    expect(ids(s, 'a')).toEqual(['n2', 'n1']);
  });

  it('breaks equal times by commentId (larger first) and keeps one entry per commentId', () => {
    const s = fold([obs({ ts: 5, commentId: 'c1' }), obs({ ts: 5, commentId: 'c3' }), obs({ ts: 5, commentId: 'c2' }), obs({ ts: 5, commentId: 'c3' })], K(3));
    expect(ids(s, 'a')).toEqual(['c3', 'c2', 'c1']);
  });

  it('goes to the argmax label only; argmax ties go to the smaller label; no argmax, no evidence', () => {
    const s = fold(
      [obs({ ts: 1, probs: { a: 0.3, b: 0.7 }, commentId: 'toB' }), obs({ ts: 2, probs: { c: 0.5, b: 0.5 }, commentId: 'tie' }), obs({ ts: 3, probs: { a: 0, b: 0 }, commentId: 'zero' }), obs({ ts: 4, probs: {}, commentId: 'none' })],
      PARAMS,
    );
    expect(Object.fromEntries(Object.keys(s.evidence).map((l) => [l, ids(s, l)]))).toEqual({ b: ['tie', 'toB'] });
    expect(s.count).toBe(4);
    expect(s.weight).toBeCloseTo(4, 6); // comments without labels still count as comments
  });

  it('K = 0 keeps none', () => {
    expect(plain(fold([obs({ ts: 1 })], K(0)).evidence)).toEqual({});
  });

  it('merge keeps the newest K of the union', () => {
    const a = fold(
      [1, 4, 6].map((ts) => obs({ ts, commentId: `a${ts}` })),
      K(3),
    );
    const b = fold(
      [2, 5, 7].map((ts) => obs({ ts, commentId: `b${ts}` })),
      K(3),
    );
    expect(ids(merge(a, b, K(3)), 'a')).toEqual(['b7', 'a6', 'b5']);
    expect(ids(merge(b, a, K(2)), 'a')).toEqual(['b7', 'a6']);
  });

  it('the derived profile shows evidence for its interests only, newest first', () => {
    const s = fold([obs({ ts: 1, probs: { a: 0.9, b: 0.1 }, commentId: 'a1' }), obs({ ts: 2, probs: { a: 0.9, b: 0.1 }, commentId: 'a2' }), obs({ ts: 3, probs: { b: 0.6, a: 0.4 }, commentId: 'b1' })], PARAMS);
    expect(finalize(s, { ...PARAMS, topK: 1 }).evidence).toEqual({ a: ['a2', 'a1'] });
    expect(finalize(s, PARAMS).evidence).toEqual({ a: ['a2', 'a1'], b: ['b1'] });
    expect(finalize(s, { ...PARAMS, evidencePerLabel: 1 }).evidence).toEqual({ a: ['a2'], b: ['b1'] });
  });
});
