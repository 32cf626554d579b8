/** Generators and tolerant comparisons shared by the profile tests. */
import fc from 'fast-check';
import { expect } from 'vitest';
import { emptyState, update } from '../../../src/profile/aggregate.js';
import type { AggregateState, DerivedProfile, Observation, ProfileParams } from '../../../src/profile/types.js';

export const DIM = 8;
export const HOUR = 3_600_000;
export const H = 24 * HOUR; // half-life: one day
export const BASE = 1_700_000_000_000;
/** Small label set; "__proto__" and "constructor" check that no record trips over Object.prototype. */
export const LABELS = ['sports', 'tech', 'food', 'travel', '__proto__', 'constructor'] as const;
/** Small vocabulary, so the term cap of PARAMS (64) is never reached. */
export const VOCAB = ['ball', 'goal', 'gpu', 'rust', 'pasta', 'tea', 'hike', 'toString', '__proto__', 'valueOf', 'hasOwnProperty'] as const;

export const PARAMS: ProfileParams = {
  halfLifeMs: H,
  maxTerms: 64,
  evidencePerLabel: 3,
  topK: LABELS.length,
  topTerms: VOCAB.length,
};

export const REL = 1e-9;

export const unitVector = (dim = DIM): fc.Arbitrary<Float64Array> =>
  fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: dim, maxLength: dim }).map((v) => {
    const norm = Math.hypot(...v);
    const out = new Float64Array(dim);
    if (norm < 1e-3) out[0] = 1;
    else v.forEach((x, i) => (out[i] = x / norm));
    return out;
  });

/** Probabilities over a random subset of LABELS, normalised; some may be exactly 0. */
export const probabilities: fc.Arbitrary<Record<string, number>> = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...LABELS), fc.integer({ min: 0, max: 100 })), {
    selector: (t) => t[0],
    minLength: 1,
    maxLength: LABELS.length,
  })
  .map((entries) => {
    const total = entries.reduce((acc, [, w]) => acc + w, 0);
    if (total === 0) return Object.fromEntries([[entries[0]![0], 1]]);
    // Object.fromEntries defines own properties, so "__proto__" is a plain key here.
    return Object.fromEntries(entries.map(([label, w]) => [label, w / total]));
  });

/** Offsets spanning six half-lives, with frequent exact ties. */
export const offset: fc.Arbitrary<number> = fc.oneof(fc.integer({ min: 0, max: 6 * H }), fc.constantFrom(0, H, 2 * H, 3 * H));

const rawObservation = fc.record({
  offset,
  probs: probabilities,
  embedding: unitVector(),
  terms: fc.array(fc.constantFrom(...VOCAB), { maxLength: 6 }),
  group: fc.integer({ min: 0, max: 3 }),
});

export type GroupedObservation = Observation & { group: number };

/** Event sequences in random time order; commentIds are unique, eventIds follow the list order. */
export const observationList = (maxLength = 40): fc.Arbitrary<GroupedObservation[]> =>
  fc.array(rawObservation, { maxLength }).map((list) =>
    list.map((o, i) => ({
      eventId: `e${i}`,
      commentId: `c${String((i * 37) % 101).padStart(3, '0')}-${i}`,
      ts: BASE + o.offset,
      probs: o.probs,
      embedding: o.embedding,
      terms: o.terms,
      group: o.group,
    })),
  );

export function fold(observations: readonly Observation[], params: ProfileParams = PARAMS, dim = DIM): AggregateState {
  return observations.reduce((s, o) => update(s, o, params), emptyState(dim));
}

export function close(actual: number, expected: number, scale = 0, rel = REL): boolean {
  return Math.abs(actual - expected) <= rel * Math.max(Math.abs(actual), Math.abs(expected), scale);
}

function expectClose(actual: number, expected: number, what: string, scale = 0): void {
  if (!close(actual, expected, scale)) expect.fail(`${what}: ${actual} is not within ${REL} of ${expected}`);
}

function expectRecordsClose(actual: Record<string, number>, expected: Record<string, number>, what: string): void {
  expect(Object.keys(actual).sort(), `${what} keys`).toEqual(Object.keys(expected).sort());
  for (const k of Object.keys(expected)) expectClose(actual[k]!, expected[k]!, `${what}[${k}]`);
}

/** States agree: exact bookkeeping and evidence, decayed sums within REL (centroid relative to weight). */
export function expectStatesClose(actual: AggregateState, expected: AggregateState): void {
  expect(actual.count).toBe(expected.count);
  expect(actual.firstSeen).toBe(expected.firstSeen);
  expect(actual.lastSeen).toBe(expected.lastSeen);
  expect(actual.refTime).toBe(expected.refTime);
  expectClose(actual.weight, expected.weight, 'weight');
  expectRecordsClose(actual.labels, expected.labels, 'labels');
  expectRecordsClose(actual.terms, expected.terms, 'terms');
  expect(actual.centroid.length).toBe(expected.centroid.length);
  // components may cancel; each is a sum of terms bounded by the weight
  expected.centroid.forEach((x, i) => expectClose(actual.centroid[i]!, x, `centroid[${i}]`, expected.weight));
  expect(plain(actual.evidence)).toEqual(plain(expected.evidence));
}

/**
 * Profiles agree. Lists are compared as sets (near-equal scores may swap places between two correct
 * summation orders) and the actual lists must be sorted. centroidScale = weight / |raw centroid|
 * bounds the error amplification of normalising.
 */
export function expectProfilesClose(actual: DerivedProfile, expected: DerivedProfile, centroidScale = 1): void {
  expect(actual.count).toBe(expected.count);
  expect(actual.firstSeen).toBe(expected.firstSeen);
  expect(actual.lastSeen).toBe(expected.lastSeen);
  expect(actual.interests.map((x) => x.label).sort()).toEqual(expected.interests.map((x) => x.label).sort());
  for (const e of expected.interests) {
    const a = actual.interests.find((x) => x.label === e.label)!;
    expectClose(a.score, e.score, `score ${e.label}`);
    expectClose(a.share, e.share, `share ${e.label}`);
    expectClose(a.confidence, e.confidence, `confidence ${e.label}`);
  }
  expectSorted(actual.interests.map((x) => [x.label, x.score]));
  expect(actual.topTerms.map((x) => x.term).sort()).toEqual(expected.topTerms.map((x) => x.term).sort());
  for (const e of expected.topTerms) expectClose(actual.topTerms.find((x) => x.term === e.term)!.score, e.score, `term ${e.term}`);
  expectSorted(actual.topTerms.map((x) => [x.term, x.score]));
  expect(actual.centroid.length).toBe(expected.centroid.length);
  expected.centroid.forEach((x, i) => expectClose(actual.centroid[i]!, x, `centroid[${i}]`, Math.max(1, centroidScale)));
  expect(plain(actual.evidence)).toEqual(plain(expected.evidence));
}

export function expectSorted(list: Array<[string, number]>): void {
  for (let i = 1; i < list.length; i++) {
    const [prevKey, prev] = list[i - 1]!;
    const [key, score] = list[i]!;
    if (!(prev > score || (prev === score && prevKey < key))) expect.fail(`not ranked at ${i}: ${prevKey}=${prev} before ${key}=${score}`);
  }
}

/** weight / |raw centroid| of a state, for expectProfilesClose. */
export function centroidScale(state: AggregateState): number {
  const norm = Math.hypot(...state.centroid);
  return norm > 0 ? state.weight / norm : 1;
}

/** A prototype-free record as a plain object with the same own entries (for deep equality). */
export function plain<V>(rec: Record<string, V>): Record<string, V> {
  return Object.fromEntries(Object.keys(rec).map((k) => [k, rec[k] as V]));
}

/** Deep copy of a state with plain containers, to detect mutation. */
export function snapshot(state: AggregateState): unknown {
  return {
    ...state,
    labels: plain(state.labels),
    terms: plain(state.terms),
    centroid: Array.from(state.centroid),
    evidence: Object.fromEntries(Object.keys(state.evidence).map((k) => [k, state.evidence[k]!.map((e) => ({ ...e }))])),
  };
}

/** Freeze everything that can be frozen (typed arrays with elements cannot). */
export function deepFreezeState(state: AggregateState): AggregateState {
  Object.freeze(state.labels);
  Object.freeze(state.terms);
  for (const list of Object.values(state.evidence)) {
    for (const e of list) Object.freeze(e);
    Object.freeze(list);
  }
  Object.freeze(state.evidence);
  return Object.freeze(state);
}

export function obs(partial: Partial<Observation> & { ts: number }, dim = DIM): Observation {
  const embedding = new Float64Array(dim);
  embedding[0] = 1;
  return {
    eventId: partial.eventId ?? `e-${partial.ts}`,
    commentId: partial.commentId ?? `c-${partial.ts}`,
    probs: partial.probs ?? { a: 1 },
    embedding: partial.embedding ?? embedding,
    terms: partial.terms ?? [],
    ts: partial.ts,
  };
}

export function unit(i: number, dim = DIM): Float64Array {
  const v = new Float64Array(dim);
  v[i] = 1;
  return v;
}
