import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeProfileEvent } from '../../../src/events/index.js';
import { buildProfileEvent, serializeProfileEvent } from '../../../src/pipeline/profile-event.js';
import { emptyState, finalize, update, type ProfileParams } from '../../../src/profile/index.js';

const params: ProfileParams = { halfLifeMs: 7 * 86_400_000, maxTerms: 50, evidencePerLabel: 3, topK: 5, topTerms: 10, confidencePrior: 3 };
const DIM = 6;
const T0 = Date.parse('2026-05-01T00:00:00Z');

const obs = fc.record({
  ts: fc.integer({ min: T0, max: T0 + 30 * 86_400_000 }),
  raw: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: DIM, maxLength: DIM }),
  p: fc.array(fc.double({ min: 0.001, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
  terms: fc.array(fc.constantFrom('football', '旅行', 'phone', '__proto__'), { maxLength: 4 }),
});

type Obs = { ts: number; raw: number[]; p: number[]; terms: string[] };

function build(observations: Obs[]) {
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
  });
}

describe('serializeProfileEvent (the hot path, without the schema)', () => {
  it('writes what the full schema accepts, for any built profile', () => {
    fc.assert(
      fc.property(fc.array(obs, { minLength: 1, maxLength: 8 }), (os) => {
        const d = decodeProfileEvent(Buffer.from(serializeProfileEvent(build(os))));
        expect(d.ok, d.ok ? '' : d.detail).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses what the schema would refuse and JSON would hide', () => {
    const good = build([{ ts: T0, raw: [1, 0, 0, 0, 0, 0], p: [1, 1, 1], terms: [] }]);
    expect(() => serializeProfileEvent({ ...good, centroid: [NaN, 0, 0, 0, 0, 0] })).toThrow(/centroid\[0\] is not finite/);
    expect(() => serializeProfileEvent({ ...good, centroid: [1, 0] })).toThrow(/centroid has 2 numbers, embedder.dim is 6/);
    expect(() => serializeProfileEvent({ ...good, interests: [{ label: 'x', score: Infinity, share: 1, confidence: 1 }] })).toThrow(/interest "x"/);
    expect(() => serializeProfileEvent({ ...good, topTerms: [{ term: 't', score: NaN }] })).toThrow(/term score of "t"/);
    expect(() => serializeProfileEvent({ ...good, causedBy: [] })).toThrow(/causedBy is empty/);
    expect(() => serializeProfileEvent({ ...good, version: 0 })).toThrow(/version/);
  });
});
