/**
 * Pure helpers for the value of a profile event: round the centroid as the contract says, validate
 * against the closed ProfileEvent schema (so nothing else, raw text for instance, can leak into the
 * topic) and serialise to UTF-8 JSON.
 */
import { Buffer } from 'node:buffer';
import { formatIssues } from './decode.js';
import { ProfileEvent } from './schema.js';

export const CENTROID_DECIMALS = 6;

/** Round each component to `decimals` places (default 6); -0 becomes 0. */
export function roundCentroid(v: ArrayLike<number>, decimals = CENTROID_DECIMALS): number[] {
  const f = 10 ** decimals;
  const n = v.length;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(v[i]! * f) / f + 0; // + 0: no -0 in JSON
  return out;
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

/** Parse a profile record value (for consumers and tests); null for a tombstone. */
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
