/**
 * Pure helpers for the value of a profile event: encode the centroid as the contract says (int8 with
 * its scale for schemaVersion 2, 6 decimals for 1) and interests and terms (arrays, rounded for the
 * wire, in 2), read them back in one shape whatever the version (profileView, centroidOf),
 * validate against the closed ProfileEvent schema (so nothing else, raw text for instance, can leak
 * into the topic) and serialise to UTF-8 JSON.
 */
import { Buffer } from 'node:buffer';
import { dequantize, quantize } from '../util/int8.js';
import { formatIssues } from './decode.js';
import { base64Bytes, type Int8Centroid, type InterestTuple, ProfileEvent, type ProfileInterest, type ProfileTerm, type ProfileView, type TopTermTuple } from './schema.js';

export const CENTROID_DECIMALS = 6;

/** Decimals of an interest's share and confidence in schemaVersion 2 (both 0-1). */
export const SHARE_DECIMALS = 4;
/** Significant digits of interest and term scores in schemaVersion 2 (decayed sums: any magnitude). */
export const SCORE_DIGITS = 4;

/** `x` rounded to `decimals` places; -0 becomes 0. */
export function roundDecimals(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f + 0;
}

/**
 * `x` to `digits` significant digits (the shortest JSON that keeps them: 1234.5678 → 1235,
 * 0.012345678 → 0.01235); -0 becomes 0, a non-finite number stays as it is.
 */
export function roundSignificant(x: number, digits: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)) + 0 : x;
}

/** An interest as schemaVersion 2 writes it: `[label, score, share, confidence]`, rounded for the wire. */
export function interestTuple(i: ProfileInterest): InterestTuple {
  return [i.label, roundSignificant(i.score, SCORE_DIGITS), roundDecimals(i.share, SHARE_DECIMALS), roundDecimals(i.confidence, SHARE_DECIMALS)];
}

/** A top term as schemaVersion 2 writes it: `[term, score]`, the score rounded for the wire. */
export function topTermTuple(t: ProfileTerm): TopTermTuple {
  return [t.term, roundSignificant(t.score, SCORE_DIGITS)];
}

const interestObject = (i: unknown) => (Array.isArray(i) ? { label: i[0], score: i[1], share: i[2], confidence: i[3] } : i);
const termObject = (t: unknown) => (Array.isArray(t) ? { term: t[0], score: t[1] } : t);

/**
 * A profile event as readers see it, whichever version: schemaVersion 2's `[label, score, share,
 * confidence]` and `[term, score]` arrays as `{label, score, share, confidence}` and `{term, score}`
 * objects (schemaVersion 1's shape); every other field, and its key order, as it was. Without the
 * schema, for JSON parsed elsewhere (the stored profile the API returns): anything that is not a
 * version 2 event with array entries is returned as it is.
 */
export function profileView(event: ProfileEvent): ProfileView;
export function profileView(value: unknown): unknown;
export function profileView(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || (value as { schemaVersion?: unknown }).schemaVersion !== 2) return value;
  const e = value as { interests?: unknown; topTerms?: unknown };
  if (!Array.isArray(e.interests) && !Array.isArray(e.topTerms)) return value;
  return {
    ...value,
    ...(Array.isArray(e.interests) ? { interests: e.interests.map(interestObject) } : {}),
    ...(Array.isArray(e.topTerms) ? { topTerms: e.topTerms.map(termObject) } : {}),
  };
}

/** Round each component to `decimals` places (default 6); -0 becomes 0. The schemaVersion 1 centroid. */
export function roundCentroid(v: ArrayLike<number>, decimals = CENTROID_DECIMALS): number[] {
  const f = 10 ** decimals;
  const n = v.length;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(v[i]! * f) / f + 0; // + 0: no -0 in JSON
  return out;
}

/**
 * The schemaVersion 2 centroid: int8 with one scale per vector, as the similar-users index and the
 * shared embedding cache quantise (src/util/int8.ts `quantize`: scale = max|v| / 127 as float32,
 * q = round(v / scale)). An all-zero vector has scale 1 and all-zero data. A non-finite component
 * makes a non-finite scale (callers check: serializeProfileEvent refuses it).
 */
export function int8Centroid(v: ArrayLike<number>): Int8Centroid {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return { encoding: 'int8', scale: Number.NaN, data: '' };
  const rec = quantize(v); // float32 LE scale, then one int8 per component
  return { encoding: 'int8', scale: rec.readFloatLE(0), data: rec.toString('base64', 4) };
}

/**
 * The components of a centroid as it appears in a profile event, checked cheaply (no schema): a
 * decimal array (schemaVersion 1) or an int8 object (2) of `dim` components. Undefined when it is
 * absent (profile.eventCentroid: none) or not usable (wrong length, not base64, a bad scale).
 */
export function readCentroid(c: unknown, dim: number): Float32Array | undefined {
  if (Array.isArray(c)) {
    if (c.length !== dim) return undefined;
    const out = new Float32Array(dim);
    for (let i = 0; i < dim; i++) {
      const x = c[i] as unknown;
      if (typeof x !== 'number') return undefined;
      out[i] = x;
    }
    return out;
  }
  if (typeof c !== 'object' || c === null) return undefined;
  const { encoding, scale, data } = c as { encoding?: unknown; scale?: unknown; data?: unknown };
  if (encoding !== 'int8' || typeof scale !== 'number' || !(scale > 0) || !Number.isFinite(scale) || typeof data !== 'string') return undefined;
  const bytes = base64Bytes(data);
  if (!bytes || bytes.length !== dim) return undefined;
  const rec = Buffer.allocUnsafe(4 + dim);
  rec.writeFloatLE(scale, 0);
  bytes.copy(rec, 4);
  return dequantize(rec, dim);
}

/**
 * A profile event's centroid as numbers, whichever version (1: decimals, 2: int8 × scale); length
 * embedder.dim. Undefined only for an event written with profile.eventCentroid: none.
 */
export function centroidOf(event: Pick<ProfileEvent | ProfileView, 'centroid' | 'embedder'>): Float32Array | undefined {
  return event.centroid === undefined ? undefined : readCentroid(event.centroid, event.embedder.dim);
}

export type EncodeProfileResult = { ok: true; value: Buffer; event: ProfileEvent } | { ok: false; detail: string };

/**
 * Validate a profile event and serialise it to the record value. An invalid event is a bug in the
 * caller, not in the input: the caller decides how to fail (the detail names the bad fields).
 */
export function encodeProfileEvent(event: unknown): EncodeProfileResult {
  const r = ProfileEvent.safeParse(event);
  if (!r.success) return { ok: false, detail: formatIssues(r.error.issues) };
  return { ok: true, value: Buffer.from(JSON.stringify(r.data), 'utf8'), event: r.data };
}

/**
 * Parse a profile record value (for consumers and tests); null for a tombstone. Reads
 * schemaVersion 1 and 2 and gives both in one shape (profileView: interests and topTerms as
 * objects); `centroidOf(event)` gives the centroid as numbers for either.
 */
export function decodeProfileEvent(value: Buffer | null): { ok: true; event: ProfileView | null } | { ok: false; detail: string } {
  if (value === null) return { ok: true, event: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return { ok: false, detail: 'profile value is not valid JSON' };
  }
  const r = ProfileEvent.safeParse(parsed);
  return r.success ? { ok: true, event: profileView(r.data) } : { ok: false, detail: formatIssues(r.error.issues) };
}
