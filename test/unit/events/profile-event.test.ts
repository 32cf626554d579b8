import { describe, expect, it } from 'vitest';
import { centroidOf, decodeProfileEvent, encodeProfileEvent, int8Centroid, interestTuple, profileView, readCentroid, roundCentroid, roundDecimals, roundSignificant, topTermTuple } from '../../../src/events/index.js';
import { quantize } from '../../../src/util/int8.js';
import { mulberry32 } from '../../../src/util/random.js';
import { profileEvent, profileEventV2, profileViewV2 } from './helpers.js';

/** A unit vector of `dim` components like a sentence embedding's: one large component, the rest small. */
function embeddingLike(dim: number, seed: number): number[] {
  const rnd = mulberry32(seed);
  const v = Array.from({ length: dim }, () => (rnd() - 0.5) * 0.1);
  v[seed % dim] = 0.4;
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return d / Math.sqrt(na * nb);
};

describe('profile events', () => {
  it('rounds the centroid to 6 decimals without -0', () => {
    expect(roundCentroid([0.12345678, -0.0000001, 1])).toEqual([0.123457, 0, 1]);
    expect(Object.is(roundCentroid([-1e-9])[0], 0)).toBe(true);
    expect(roundCentroid(new Float32Array([0.25]))).toEqual([0.25]);
  });

  it('encodes a valid event and decodes it back; a null value is a tombstone', () => {
    const e = profileEvent();
    const enc = encodeProfileEvent(e);
    if (!enc.ok) throw new Error(enc.detail);
    const dec = decodeProfileEvent(enc.value);
    expect(dec).toEqual({ ok: true, event: e });
    expect(decodeProfileEvent(null)).toEqual({ ok: true, event: null });
  });

  it('refuses unknown fields (no raw text can leak), non-unit centroids, wrong dims and bad versions', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...profileEvent(), text: 'raw comment' }, /Unrecognized key: "text"/],
      [profileEvent({ centroid: [1, 1, 0, 0] }), /^centroid: must be a unit vector/],
      [profileEvent({ centroid: [1, 0, 0] }), /^centroid: length 3 differs from embedder.dim 4/],
      [profileEvent({ version: 0 }), /^version: /],
      [profileEvent({ updatedAt: '2025-05-01' }), /^updatedAt: /],
      [profileEvent({ causedBy: [] }), /^causedBy: /],
      [profileEvent({ interests: [{ label: 'x', score: 1, share: 1.5, confidence: 0 }] }), /^interests\[0\]\.share: /],
    ];
    for (const [e, re] of cases) {
      const r = encodeProfileEvent(e);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.detail).toMatch(re);
    }
    expect(encodeProfileEvent(profileEvent({ centroid: [0, 0, 0, 0] })).ok).toBe(true);
    expect(decodeProfileEvent(Buffer.from('{')).ok).toBe(false);
  });

  it('schemaVersion 2: the int8 centroid encodes, validates and decodes back (interests and terms as objects)', () => {
    const e = profileEventV2();
    const enc = encodeProfileEvent(e);
    if (!enc.ok) throw new Error(enc.detail);
    expect(decodeProfileEvent(enc.value)).toEqual({ ok: true, event: profileViewV2() });
    expect(e.centroid).toEqual({ encoding: 'int8', scale: Math.fround(0.5 / 127), data: Buffer.from([127, 127, 127, 127]).toString('base64') });
    expect(Array.from(centroidOf(e)!)).toEqual([0.5, 0.5, 0.5, 0.5].map((x) => Math.fround(127 * Math.fround(x / 127))));
    // without a centroid (profile.eventCentroid: none)
    const { centroid: _c, ...none } = e;
    expect(encodeProfileEvent(none).ok).toBe(true);
    expect(centroidOf(none)).toBeUndefined();
  });

  it('schemaVersion 2 refuses a centroid that is not int8 base64 of embedder.dim bytes of a unit vector', () => {
    const c = int8Centroid([0.5, 0.5, 0.5, 0.5]);
    const cases: Array<[unknown, RegExp]> = [
      [profileEventV2({ centroid: int8Centroid([0.6, 0.8, 0]) }), /^centroid\.data: holds 3 bytes, embedder.dim is 4/],
      [profileEventV2({ centroid: { ...c, data: 'f39/fw' } }), /^centroid\.data: must be standard base64/],
      [profileEventV2({ centroid: { ...c, data: 'f3-_fw==' } }), /^centroid\.data: must be standard base64/],
      [profileEventV2({ centroid: { ...c, scale: 0 } }), /^centroid\.scale: /],
      [profileEventV2({ centroid: { ...c, scale: 0.5 } }), /^centroid\.data: must be a unit vector/],
      [{ ...profileEventV2(), centroid: { ...c, encoding: 'float16' } }, /^centroid\.encoding: /],
      [{ ...profileEventV2(), centroid: [0.5, 0.5, 0.5, 0.5] }, /^centroid: /],
      [{ ...profileEvent(), centroid: c }, /^centroid: /],
      [{ ...profileEventV2(), schemaVersion: 3 }, /^schemaVersion: unsupported schemaVersion \(this build reads 1 and 2\)/],
      [{ ...profileEventV2(), text: 'raw comment' }, /Unrecognized key: "text"/],
    ];
    for (const [e, re] of cases) {
      const r = encodeProfileEvent(e);
      expect(r.ok, String(re)).toBe(false);
      if (!r.ok) expect(r.detail).toMatch(re);
    }
    expect(encodeProfileEvent(profileEventV2({ centroid: int8Centroid([0, 0, 0, 0]) })).ok).toBe(true);
  });

  it('schemaVersion 2 writes interests as [label, score, share, confidence] and top terms as [term, score]', () => {
    const e = profileEventV2();
    expect(e.interests).toEqual([
      ['sports', 4.2, 0.6, 0.42],
      ['food_dining', 2.1, 0.3, 0.21],
    ]);
    expect(e.topTerms).toEqual([['梅西', 2.5]]);
    const json = JSON.stringify(e);
    expect(json).toContain('"interests":[["sports",4.2,0.6,0.42],["food_dining",2.1,0.3,0.21]]');
    expect(json).toContain('"topTerms":[["梅西",2.5]]');
    // a third of the bytes of the objects
    expect(JSON.stringify(e.interests).length).toBeLessThan(JSON.stringify(profileEvent().interests).length / 2);
  });

  it('rounds for the wire: scores to 4 significant digits, share and confidence to 4 decimals, no -0', () => {
    expect(interestTuple({ label: 'x', score: 12.3456789, share: 0.123456, confidence: 0.0000499 })).toEqual(['x', 12.35, 0.1235, 0]);
    expect(interestTuple({ label: 'x', score: 0.000123456, share: 1, confidence: 0.99995 })).toEqual(['x', 0.0001235, 1, 1]);
    expect(interestTuple({ label: 'x', score: 1234.5678, share: 0.5, confidence: 0.33333333 })).toEqual(['x', 1235, 0.5, 0.3333]);
    expect(topTermTuple({ term: 't', score: 2.718281828 })).toEqual(['t', 2.718]);
    expect(topTermTuple({ term: 't', score: 0 })).toEqual(['t', 0]);
    expect(roundSignificant(98765.4321, 4)).toBe(98770);
    expect(Object.is(roundSignificant(-0, 4), 0)).toBe(true);
    expect(Object.is(roundDecimals(-0.00001, 4), 0)).toBe(true);
    expect(roundSignificant(Number.NaN, 4)).toBeNaN();
    // what the wire keeps is enough to rank: relative error ≤ 5e-4 for any score, ≤ 5e-5 absolute for shares
    const rnd = mulberry32(3);
    for (let i = 0; i < 2000; i++) {
      const score = rnd() * 10 ** (rnd() * 8 - 4);
      const share = rnd();
      const [, s, sh] = interestTuple({ label: 'x', score, share, confidence: share });
      expect(Math.abs(s - score)).toBeLessThanOrEqual(score * 5e-4 + 1e-15);
      expect(Math.abs(sh - share)).toBeLessThanOrEqual(5e-5 + 1e-15);
      // at most 4 significant digits in the JSON
      const digits = JSON.stringify(s).replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
      expect(digits.length).toBeLessThanOrEqual(4);
    }
  });

  it('the JSON of a version 2 event refuses objects in interests and topTerms, and arrays that are not [label, score, share, confidence] / [term, score]', () => {
    const objects = profileViewV2();
    const cases: Array<[unknown, RegExp]> = [
      [{ ...profileEventV2(), interests: objects.interests }, /^interests\[0\]: /],
      [{ ...profileEventV2(), topTerms: objects.topTerms }, /^topTerms\[0\]: /],
      [profileEventV2({ interests: [['sports', 4.2, 0.6] as never] }), /^interests\[0\]/],
      [profileEventV2({ interests: [['sports', 4.2, 0.6, 0.42, 1] as never] }), /^interests\[0\]/],
      [profileEventV2({ interests: [['sports', 4.2, 1.5, 0.42]] }), /^interests\[0\]\[2\]: /],
      [profileEventV2({ interests: [['', 4.2, 0.6, 0.42]] }), /^interests\[0\]\[0\]: /],
      [profileEventV2({ topTerms: [['t', -1]] }), /^topTerms\[0\]\[1\]: /],
      [profileEventV2({ topTerms: [[2.5, '梅西'] as never] }), /^topTerms\[0\]\[0\]: /],
      // and version 1 stays objects
      [{ ...profileEvent(), interests: profileEventV2().interests }, /^interests\[0\]: /],
      [{ ...profileEvent(), topTerms: profileEventV2().topTerms }, /^topTerms\[0\]: /],
    ];
    for (const [e, re] of cases) {
      const r = encodeProfileEvent(e);
      expect(r.ok, String(re)).toBe(false);
      if (!r.ok) expect(r.detail).toMatch(re);
      expect(decodeProfileEvent(Buffer.from(JSON.stringify(e))).ok).toBe(false);
    }
  });

  it('readers see one shape: decodeProfileEvent and profileView give interests and terms as objects for version 1 and 2', () => {
    const v1 = encodeProfileEvent(profileEvent());
    const v2 = encodeProfileEvent(profileEventV2());
    if (!v1.ok || !v2.ok) throw new Error('invalid');
    const d1 = decodeProfileEvent(v1.value);
    const d2 = decodeProfileEvent(v2.value);
    if (!d1.ok || !d2.ok || !d1.event || !d2.event) throw new Error('not decoded');
    expect(d1.event).toEqual(profileEvent());
    expect(d2.event).toEqual(profileViewV2());
    expect(d2.event.interests).toEqual(d1.event.interests);
    expect(d2.event.topTerms).toEqual(d1.event.topTerms);
    // key order as on the wire
    expect(Object.keys(d2.event)).toEqual(Object.keys(JSON.parse(v2.value.toString()) as object));
    expect(Object.keys(d2.event.interests[0]!)).toEqual(['label', 'score', 'share', 'confidence']);
    // profileView: typed, or on JSON parsed without the schema (the stored profile the API returns)
    expect(profileView(profileEventV2())).toEqual(profileViewV2());
    expect(profileView(JSON.parse(v2.value.toString()) as unknown)).toEqual(profileViewV2());
    const v1json = JSON.parse(v1.value.toString()) as unknown;
    expect(profileView(v1json)).toBe(v1json);
    const { interests: _i, topTerms: _t, ...bare } = profileEventV2();
    expect(profileView(bare)).toBe(bare);
    for (const other of [null, 5, 'x', [], { schemaVersion: 3, interests: [['a', 1, 1, 1]] }]) expect(profileView(other)).toBe(other);
  });

  it('version 1 is what it was: objects with 6 decimals', () => {
    const e = profileEvent({ interests: [{ label: 'sports', score: 4.2, share: 0.6, confidence: 0.42 }], topTerms: [{ term: '梅西', score: 2.5 }] });
    const enc = encodeProfileEvent(e);
    if (!enc.ok) throw new Error(enc.detail);
    expect(enc.value.toString()).toContain('"interests":[{"label":"sports","score":4.2,"share":0.6,"confidence":0.42}]');
    expect(enc.value.toString()).toContain('"topTerms":[{"term":"梅西","score":2.5}]');
  });

  it('int8 is the quantisation of src/util/int8.ts: the same bytes and scale as the embedding cache record', () => {
    const v = embeddingLike(512, 7);
    const rec = quantize(v);
    const c = int8Centroid(v);
    expect(c.scale).toBe(rec.readFloatLE(0));
    expect(Buffer.from(c.data, 'base64').equals(rec.subarray(4))).toBe(true);
    expect(c.data).toHaveLength(684);
  });

  it('int8 keeps the direction: 1 - cos(v, decoded) about 1e-4, and pairwise cosines within 0.01 (as the similar-users index)', () => {
    const users = Array.from({ length: 200 }, (_, i) => embeddingLike(512, i));
    const dec = users.map((v) => readCentroid(int8Centroid(v), 512)!);
    let worst = 0;
    users.forEach((v, i) => (worst = Math.max(worst, 1 - cosine(v, dec[i]!))));
    expect(worst).toBeLessThan(5e-4);
    expect(worst).toBeGreaterThan(1e-6); // it is a quantisation, not a copy
    let worstPair = 0;
    for (let i = 1; i < users.length; i++) worstPair = Math.max(worstPair, Math.abs(cosine(users[i - 1]!, users[i]!) - cosine(dec[i - 1]!, dec[i]!)));
    expect(worstPair).toBeLessThan(1e-2);
  });

  it('readCentroid reads either version cheaply and refuses what it cannot use', () => {
    expect(Array.from(readCentroid([0.6, 0.8], 2)!)).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(readCentroid([0.6, 0.8], 3)).toBeUndefined();
    expect(readCentroid([0.6, '0.8'], 2)).toBeUndefined();
    const c = int8Centroid([0.6, 0.8]);
    expect(readCentroid(c, 2)).toHaveLength(2);
    for (const bad of [undefined, null, 'x', { ...c, encoding: 'float16' }, { ...c, scale: -1 }, { ...c, scale: Infinity }, { ...c, data: 'not base64!' }, { ...c, data: 5 }]) expect(readCentroid(bad, 2)).toBeUndefined();
    expect(readCentroid(c, 3)).toBeUndefined();
  });
});
