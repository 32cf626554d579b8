/**
 * Pure helpers for the value of a profile event: encode the centroid as the contract says (int8 with
 * its scale for schemaVersion 2, 6 decimals for 1), read it back as numbers whatever the version,
 * validate against the closed ProfileEvent schema (so nothing else, raw text for instance, can leak
 * into the topic) and serialise to UTF-8 JSON.
 */
import { Buffer } from 'node:buffer';
import { dequantize, quantize } from '../util/int8.js';
import { formatIssues } from './decode.js';
import { base64Bytes, type Int8Centroid, ProfileEvent } from './schema.js';

export const CENTROID_DECIMALS = 6;

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
export function centroidOf(event: Pick<ProfileEvent, 'centroid' | 'embedder'>): Float32Array | undefined {
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
 * schemaVersion 1 and 2: `centroidOf(event)` gives the centroid as numbers for either.
 */
export function decodeProfileEvent(value: Buffer | null): { ok: true; event: ProfileEvent | null } | { ok: false; detail: string } {
  if (value === null) return { ok: true, event: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return { ok: false, detail: 'profile value is not valid JSON' };
  }
  const r = ProfileEvent.safeParse(parsed);
  return r.success ? { ok: true, event: r.data } : { ok: false, detail: formatIssues(r.error.issues) };
}
