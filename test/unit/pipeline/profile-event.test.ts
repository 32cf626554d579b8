import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { centroidOf, decodeProfileEvent, profileView } from '../../../src/events/index.js';
import { buildProfileEvent, type EventCentroid, EVENT_CENTROIDS, serializeProfileEvent } from '../../../src/pipeline/profile-event.js';
import { emptyState, finalize, update, type ProfileParams } from '../../../src/profile/index.js';

const params: ProfileParams = { halfLifeMs: 7 * 86_400_000, maxTerms: 50, evidencePerLabel: 3, topK: 5, topTerms: 10 };
const DIM = 6;
const T0 = Date.parse('2026-05-01T00:00:00Z');

const obs = fc.record({
  ts: fc.integer({ min: T0, max: T0 + 30 * 86_400_000 }),
  raw: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: DIM, maxLength: DIM }),
  p: fc.array(fc.double({ min: 0.001, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
  terms: fc.array(fc.constantFrom('football', '旅行', 'phone', '__proto__'), { maxLength: 4 }),
});

type Obs = { ts: number; raw: number[]; p: number[]; terms: string[] };

function build(observations: Obs[], centroid?: EventCentroid) {
  let state = emptyState(DIM);
  observations.forEach((o, i) => {
    const n = Math.hypot(...o.raw) || 1;
    const s = o.p[0]! + o.p[1]! + o.p[2]!;
    state = update(state, { eventId: `e${i}`, commentId: `c${i}`, ts: o.ts, probs: { sports: o.p[0]! / s, tech: o.p[1]! / s, travel: o.p[2]! / s }, embedding: o.raw.map((x) => x / n), terms: o.terms }, params);
  });
  return buildProfileEvent({
    userId: 'u1',
    version: observations.length,
    updatedAt: T0 + 40 * 86_400_000,
    derived: finalize(state, params),
    embedder: { id: 'test/model', dim: DIM },
    classifier: { kind: 'linear', version: 'abc123' },
    causedBy: observations.map((_, i) => `e${i}`),
    namespace: 'main',
    ...(centroid ? { centroid } : {}),
  });
}

describe('serializeProfileEvent (the hot path, without the schema)', () => {
  it('writes what the full schema accepts, for any built profile and every centroid encoding', () => {
    fc.assert(
      fc.property(fc.array(obs, { minLength: 1, maxLength: 8 }), fc.constantFrom(...EVENT_CENTROIDS), (os, mode) => {
        const d = decodeProfileEvent(Buffer.from(serializeProfileEvent(build(os, mode))));
        expect(d.ok, d.ok ? '' : d.detail).toBe(true);
        if (d.ok) expect(d.event!.schemaVersion).toBe(mode === 'decimal' ? 1 : 2);
      }),
      { numRuns: 200 },
    );
  });

  it('compact (the default) and decimal differ only in schemaVersion, the centroid, which decodes to the same direction, and interests and terms: arrays rounded for the wire, the same numbers to 4 digits', () => {
    const os: Obs[] = [
      { ts: T0, raw: [0.9, 0.1, -0.3, 0.2, 0, 0.05], p: [3, 1, 1], terms: ['football'] },
      { ts: T0 + 86_400_000, raw: [0.2, 0.8, 0.1, -0.4, 0.3, 0], p: [1, 2, 1], terms: ['旅行', 'phone'] },
    ];
    const compact = build(os);
    const decimal = build(os, 'decimal');
    expect(compact.schemaVersion).toBe(2);
    expect(decimal.schemaVersion).toBe(1);
    if (compact.schemaVersion !== 2 || decimal.schemaVersion !== 1) throw new Error('versions');
    const { schemaVersion: _a, centroid: ca, interests: ic, topTerms: tc, ...restC } = compact;
    const { schemaVersion: _b, centroid: cd, interests: id, topTerms: td, ...restD } = decimal;
    expect(restC).toEqual(restD);
    expect(ic.map((i) => i[0])).toEqual(id.map((i) => i.label));
    expect(tc.map((t) => t[0])).toEqual(td.map((t) => t.term));
    const view = profileView(compact);
    view.interests.forEach((i, k) => {
      const d = id[k]!;
      expect(Math.abs(i.score - d.score)).toBeLessThanOrEqual(d.score * 5e-4);
      expect(Math.abs(i.share - d.share)).toBeLessThanOrEqual(5e-5 + 1e-12);
      expect(Math.abs(i.confidence - d.confidence)).toBeLessThanOrEqual(5e-5 + 1e-12);
    });
    view.topTerms.forEach((t, k) => expect(Math.abs(t.score - td[k]!.score)).toBeLessThanOrEqual(td[k]!.score * 5e-4));
    expect(ca).toMatchObject({ encoding: 'int8' });
    const a = centroidOf(compact)!;
    const b = centroidOf(decimal)!;
    let dot = 0;
    for (let i = 0; i < DIM; i++) dot += a[i]! * b[i]!;
    expect(Math.hypot(...a)).toBeCloseTo(1, 2);
    expect(1 - dot / Math.hypot(...a) / Math.hypot(...b)).toBeLessThan(1e-3);
    expect(cd).toHaveLength(DIM);
    // the same key order in both versions
    expect(Object.keys(compact)).toEqual(Object.keys(decimal));
    const none = build(os, 'none');
    expect(none.schemaVersion).toBe(2);
    expect('centroid' in none).toBe(false);
    expect(centroidOf(none)).toBeUndefined();
  });

  it('refuses what the schema would refuse and JSON would hide', () => {
    const good = build([{ ts: T0, raw: [1, 0, 0, 0, 0, 0], p: [1, 1, 1], terms: [] }], 'decimal');
    if (good.schemaVersion !== 1) throw new Error('decimal builds version 1');
    expect(() => serializeProfileEvent({ ...good, centroid: [NaN, 0, 0, 0, 0, 0] })).toThrow(/centroid\[0\] is not finite/);
    expect(() => serializeProfileEvent({ ...good, centroid: [1, 0] })).toThrow(/centroid has 2 numbers, embedder.dim is 6/);
    expect(() => serializeProfileEvent({ ...good, interests: [{ label: 'x', score: Infinity, share: 1, confidence: 1 }] })).toThrow(/interest "x"/);
    expect(() => serializeProfileEvent({ ...good, topTerms: [{ term: 't', score: NaN }] })).toThrow(/term score of "t"/);
    expect(() => serializeProfileEvent({ ...good, causedBy: [] })).toThrow(/causedBy is empty/);
    expect(() => serializeProfileEvent({ ...good, version: 0 })).toThrow(/version/);
  });

  it('refuses non-finite interest and term numbers in version 2 arrays too', () => {
    const good = build([{ ts: T0, raw: [1, 0, 0, 0, 0, 0], p: [1, 1, 1], terms: ['phone'] }]);
    if (good.schemaVersion !== 2) throw new Error('compact builds version 2');
    expect(() => serializeProfileEvent({ ...good, interests: [['x', Infinity, 1, 1]] })).toThrow(/interest "x"/);
    expect(() => serializeProfileEvent({ ...good, interests: [['x', 1, NaN, 1]] })).toThrow(/interest "x"/);
    expect(() => serializeProfileEvent({ ...good, topTerms: [['t', NaN]] })).toThrow(/term score of "t"/);
  });

  it('refuses a compact centroid that is not finite or not embedder.dim long', () => {
    const os: Obs[] = [{ ts: T0, raw: [1, 0, 0, 0, 0, 0], p: [1, 1, 1], terms: [] }];
    let state = emptyState(DIM);
    state = update(state, { eventId: 'e0', commentId: 'c0', ts: T0, probs: { sports: 1 }, embedding: os[0]!.raw, terms: [] }, params);
    const derived = finalize(state, params);
    const args = { userId: 'u1', version: 1, updatedAt: T0, embedder: { id: 'test/model', dim: DIM }, classifier: { kind: 'linear' as const, version: 'abc123' }, causedBy: ['e0'], namespace: 'main' };
    for (const bad of [NaN, Infinity, -Infinity]) {
      const e = buildProfileEvent({ ...args, derived: { ...derived, centroid: [bad, 0, 0, 0, 0, 0] } });
      expect(() => serializeProfileEvent(e)).toThrow(/centroid is not finite/);
    }
    const good = buildProfileEvent({ ...args, derived });
    if (good.schemaVersion !== 2 || !good.centroid) throw new Error('compact builds version 2 with a centroid');
    const c = good.centroid;
    expect(() => serializeProfileEvent({ ...good, embedder: { id: 'test/model', dim: 7 } })).toThrow(/centroid has 8 base64 characters, embedder.dim 7 needs 12/);
    expect(() => serializeProfileEvent({ ...good, centroid: { ...c, scale: 0 } })).toThrow(/centroid is not finite/);
    // all zeros (no signal yet) is a valid centroid: scale 1, zero bytes
    const zero = buildProfileEvent({ ...args, derived: { ...derived, centroid: [0, 0, 0, 0, 0, 0] } });
    expect(decodeProfileEvent(Buffer.from(serializeProfileEvent(zero)))).toMatchObject({ ok: true });
    expect(Array.from(centroidOf(zero)!)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('the compact centroid is 4·ceil(dim/3) base64 characters: ~750 bytes of the event at 512 dimensions, against ~4.8 KB of decimals', () => {
    const v = Array.from({ length: 512 }, (_, i) => Math.sin(i * 7.1));
    const n = Math.hypot(...v);
    const derived = { count: 1, firstSeen: T0, lastSeen: T0, interests: [], centroid: v.map((x) => x / n), topTerms: [], evidence: {} };
    const args = { userId: 'u', version: 1, updatedAt: T0, derived, embedder: { id: 'm', dim: 512 }, classifier: { kind: 'linear' as const, version: 'v' }, causedBy: ['e'], namespace: 'main' };
    const bytes = (centroid: EventCentroid) => Buffer.byteLength(serializeProfileEvent(buildProfileEvent({ ...args, centroid })));
    const compact = buildProfileEvent(args);
    if (compact.schemaVersion !== 2 || !compact.centroid) throw new Error('compact is version 2');
    expect(compact.centroid.data).toHaveLength(684);
    const centroidBytes = bytes('compact') - bytes('none');
    expect(centroidBytes).toBeGreaterThan(740);
    expect(centroidBytes).toBeLessThan(760);
    expect(bytes('decimal') - bytes('none')).toBeGreaterThan(4000);
  });
});
