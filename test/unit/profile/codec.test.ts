import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyState, finalize, update } from '../../../src/profile/aggregate.js';
import { decodeState, encodeState } from '../../../src/profile/codec.js';
import type { AggregateState } from '../../../src/profile/types.js';
import { BASE, DIM, fold, obs, observationList, PARAMS, snapshot, unit } from './gen.js';

function expectRoundTrip(state: AggregateState, decoded: AggregateState): void {
  // meta is exact; the centroid is exactly the float32 rounding of each component
  expect(snapshot({ ...decoded, centroid: new Float64Array(0) })).toEqual(snapshot({ ...state, centroid: new Float64Array(0) }));
  expect(Array.from(decoded.centroid)).toEqual(Array.from(state.centroid, Math.fround));
  state.centroid.forEach((x, i) => expect(Math.abs(decoded.centroid[i]! - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -24 + 2 ** -150)); // half an ulp, or below float32's smallest subnormal
}

/** float32's smallest normal number: below it a component keeps fewer than 24 bits. */
const FLOAT32_MIN_NORMAL = 2 ** -126;

describe('state codec', () => {
  it('round-trips generated states (float32 centroid, exact everything else)', () => {
    fc.assert(
      fc.property(observationList(), (list) => {
        const state = fold(list);
        const { meta, centroid } = encodeState(state);
        expect(centroid.byteLength).toBe(DIM * 4);
        const decoded = decodeState(meta, centroid, DIM);
        expectRoundTrip(state, decoded);
        expect(Object.getPrototypeOf(decoded.labels)).toBeNull();
        expect(Object.getPrototypeOf(decoded.terms)).toBeNull();
        expect(Object.getPrototypeOf(decoded.evidence)).toBeNull();
        // the decoded state is a working state: the profile barely moves
        const [p, q] = [finalize(state, PARAMS), finalize(decoded, PARAMS)];
        expect(q.interests).toEqual(p.interests);
        if (Math.hypot(...state.centroid) >= FLOAT32_MIN_NORMAL) q.centroid.forEach((x, i) => expect(x).toBeCloseTo(p.centroid[i]!, 6));
        // Below float32's normal range the raw centroid is what is left of embeddings that cancelled
        // (e.g. two opposite comments): float32 keeps no direction there, and the profile's centroid is
        // the direction of the stored, rounded sum (zero when every component underflows).
        else expect(Array.from(q.centroid)).toEqual(Array.from(finalize({ ...state, centroid: Float64Array.from(state.centroid, Math.fround) }, PARAMS).centroid));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the state of two opposite comments, whose centroid underflows float32 (CI counterexample, seed 166029109)', () => {
    const tiny = new Float64Array(DIM);
    tiny[DIM - 1] = 4.94e-321;
    const state = fold([obs({ ts: BASE, eventId: 'e1', commentId: 'a', embedding: unit(0) }), obs({ ts: BASE, eventId: 'e2', commentId: 'b', embedding: Float64Array.from(unit(0), (x, i) => -x + tiny[i]!) })]);
    const { meta, centroid } = encodeState(state);
    const decoded = decodeState(meta, centroid, DIM);
    expectRoundTrip(state, decoded);
    expect(finalize(state, PARAMS).centroid[DIM - 1]).toBe(1); // float64 normalises the leftover 5e-321 to a unit direction
    expect(Array.from(finalize(decoded, PARAMS).centroid)).toEqual(new Array(DIM).fill(0)); // float32 holds no direction
    expect(finalize(decoded, PARAMS).interests).toEqual(finalize(state, PARAMS).interests);
  });

  it('round-trips the empty state, refTime -Infinity written as null', () => {
    const { meta, centroid } = encodeState(emptyState(3));
    expect(JSON.parse(meta)).toMatchObject({ v: 1, count: 0, refTime: null });
    const decoded = decodeState(meta, centroid, 3);
    expect(decoded.refTime).toBe(-Infinity);
    expectRoundTrip(emptyState(3), decoded);
  });

  it('writes the centroid as little-endian float32 and keeps it out of meta', () => {
    const state = { ...emptyState(2), centroid: Float64Array.from([1, -2]) };
    const { meta, centroid } = encodeState(state);
    expect([...centroid]).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]);
    expect(JSON.parse(meta)).not.toHaveProperty('centroid');
  });

  it('stores evidence as [commentId, ts] pairs', () => {
    const { meta } = encodeState(fold([obs({ ts: 7, commentId: 'x' })]));
    expect(JSON.parse(meta).evidence).toEqual({ a: [['x', 7]] });
  });

  it('reads a centroid from an unaligned slice of a larger buffer (as Redis clients may hand back)', () => {
    const state = fold([obs({ ts: 1, embedding: Float64Array.from({ length: DIM }, (_, i) => (i + 1) / 10) })]);
    const { meta, centroid } = encodeState(state);
    const pool = Buffer.alloc(centroid.byteLength + 3);
    centroid.copy(pool, 1);
    expectRoundTrip(state, decodeState(meta, pool.subarray(1, 1 + centroid.byteLength), DIM));
  });

  it('keeps keys that look like Object.prototype members', () => {
    const probs = Object.fromEntries([['__proto__', 1]]);
    const state = fold([obs({ ts: 1, probs, terms: ['constructor', '__proto__'] })]);
    const { meta, centroid } = encodeState(state);
    const decoded = decodeState(meta, centroid, DIM);
    expect(Object.keys(decoded.labels)).toEqual(['__proto__']);
    expect(Object.keys(decoded.terms).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.keys(decoded.evidence)).toEqual(['__proto__']);
    const next = update(decoded, obs({ ts: 2, probs, terms: ['constructor'], commentId: 'c2' }), PARAMS);
    expect(next.terms['constructor']).toBeGreaterThan(1);
  });

  it('rejects corrupt input with a RangeError', () => {
    const { meta, centroid } = encodeState(fold([obs({ ts: 1, terms: ['t'] })]));
    const m = JSON.parse(meta) as Record<string, unknown>;
    const withMeta = (patch: Record<string, unknown>): string => JSON.stringify({ ...m, ...patch });
    const cases: Array<[string, Uint8Array, number]> = [
      [meta, centroid.subarray(0, 4), DIM], // short centroid
      [meta, centroid, DIM + 1], // other dimension
      ['{not json', centroid, DIM],
      ['[]', centroid, DIM],
      [withMeta({ v: 2 }), centroid, DIM],
      [withMeta({ count: -1 }), centroid, DIM],
      [withMeta({ count: 1.5 }), centroid, DIM],
      [withMeta({ weight: 'x' }), centroid, DIM],
      [withMeta({ weight: -1 }), centroid, DIM],
      [withMeta({ refTime: 'soon' }), centroid, DIM],
      [withMeta({ labels: { a: -1 } }), centroid, DIM],
      [withMeta({ terms: [] }), centroid, DIM],
      [withMeta({ evidence: { a: [['x']] } }), centroid, DIM],
      [withMeta({ evidence: { a: [{ commentId: 'x', ts: 1 }] } }), centroid, DIM],
      [meta, Buffer.from(new Float32Array(DIM).fill(NaN).buffer), DIM],
    ];
    for (const [badMeta, badCentroid, dim] of cases) expect(() => decodeState(badMeta, badCentroid, dim)).toThrow(RangeError);
  });

  it('refuses to write a centroid that does not fit float32', () => {
    expect(() => encodeState({ ...emptyState(1), centroid: Float64Array.from([1e39]) })).toThrow(RangeError);
  });
});
