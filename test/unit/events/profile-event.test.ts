import { describe, expect, it } from 'vitest';
import { centroidOf, decodeProfileEvent, encodeProfileEvent, int8Centroid, readCentroid, roundCentroid } from '../../../src/events/index.js';
import { quantize } from '../../../src/util/int8.js';
import { mulberry32 } from '../../../src/util/random.js';
import { profileEvent, profileEventV2 } from './helpers.js';

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

  it('schemaVersion 2: the int8 centroid encodes, validates and decodes back', () => {
    const e = profileEventV2();
    const enc = encodeProfileEvent(e);
    if (!enc.ok) throw new Error(enc.detail);
    expect(decodeProfileEvent(enc.value)).toEqual({ ok: true, event: e });
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
