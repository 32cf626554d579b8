import { describe, expect, it } from 'vitest';
import { decodeProfileEvent, encodeProfileEvent, roundCentroid } from '../../../src/events/index.js';
import { profileEvent } from './helpers.js';

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
});
