/**
 * Pure encoder/decoder of an AggregateState for compact storage (two Redis hash fields).
 *
 * - meta: JSON of everything but the centroid, with a format version `v`. Numbers are JavaScript's
 *   shortest round-trip form, so meta round-trips exactly. refTime -Infinity (empty state) is
 *   written as null; evidence entries are [commentId, ts] pairs.
 * - centroid: D little-endian IEEE-754 float32 values (4*D bytes). This is the only lossy part
 *   (relative error <= 2^-24 per component), which is harmless for a direction that is normalised.
 *
 * Format: docs/profile.md. Decoding validates everything and throws a RangeError on corrupt input.
 */
import { Buffer } from 'node:buffer';
import { nullRecord } from './order.js';
import type { AggregateState, EvidenceEntry } from './types.js';

export const STATE_FORMAT_VERSION = 1;

export interface EncodedState {
  meta: string;
  centroid: Buffer;
}

interface MetaV1 {
  v: 1;
  count: number;
  firstSeen: number;
  lastSeen: number;
  refTime: number | null;
  weight: number;
  labels: Record<string, number>;
  terms: Record<string, number>;
  evidence: Record<string, Array<[string, number]>>;
}

export function encodeState(state: AggregateState): EncodedState {
  const evidence: Record<string, Array<[string, number]>> = nullRecord();
  for (const label of Object.keys(state.evidence)) {
    evidence[label] = (state.evidence[label] as EvidenceEntry[]).map((e): [string, number] => [e.commentId, e.ts]);
  }
  const meta: MetaV1 = {
    v: STATE_FORMAT_VERSION,
    count: state.count,
    firstSeen: state.firstSeen,
    lastSeen: state.lastSeen,
    refTime: Number.isFinite(state.refTime) ? state.refTime : null,
    weight: state.weight,
    labels: state.labels,
    terms: state.terms,
    evidence,
  };
  const f32 = Float32Array.from(state.centroid);
  for (let i = 0; i < f32.length; i++) {
    if (!Number.isFinite(f32[i]!)) throw new RangeError(`profile codec: centroid[${i}] = ${state.centroid[i]} does not fit float32`);
  }
  return { meta: JSON.stringify(meta), centroid: littleEndian(f32) };
}

/** The float32 values as little-endian bytes (a view of the same memory on a little-endian machine). */
function littleEndian(f32: Float32Array): Buffer {
  const bytes = Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength);
  return IS_LITTLE_ENDIAN ? bytes : Buffer.from(bytes).swap32();
}

const IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function fail(problem: string): never {
  throw new RangeError(`profile codec: corrupt state: ${problem}`);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function finite(x: unknown, name: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) fail(`${name} is not a finite number`);
  return x;
}

function positiveRecord(x: unknown, name: string): Record<string, number> {
  if (!isObject(x)) fail(`${name} is not an object`);
  const out = nullRecord<number>();
  for (const key of Object.keys(x)) {
    const value = x[key];
    // the message is built only on failure: this runs for every term of every state read
    if (typeof value !== 'number' || !Number.isFinite(value)) fail(`${name}[${JSON.stringify(key)}] is not a finite number`);
    if (value < 0) fail(`${name}[${JSON.stringify(key)}] is negative`);
    if (value > 0) out[key] = value; // a zero entry carries nothing: the state drops those too
  }
  return out;
}

function evidenceRecord(x: unknown): Record<string, EvidenceEntry[]> {
  if (!isObject(x)) fail('evidence is not an object');
  const out = nullRecord<EvidenceEntry[]>();
  for (const label of Object.keys(x)) {
    const list = x[label];
    if (!Array.isArray(list)) fail(`evidence[${JSON.stringify(label)}] is not an array`);
    out[label] = list.map((pair: unknown) => {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') fail('evidence entry is not [commentId, ts]');
      return { commentId: pair[0], ts: finite(pair[1], 'evidence ts') };
    });
  }
  return out;
}

/** Inverse of encodeState. `dim` is the dimension the caller expects (the embedder's). */
/**
 * The comment count and first / last event times of an encoded state's `meta`, without decoding
 * the rest (a namespace's span: src/store/namespaces.ts); undefined when it does not parse.
 */
export function metaSeen(meta: string): { count: number; firstSeen: number; lastSeen: number } | undefined {
  let m: unknown;
  try {
    m = JSON.parse(meta);
  } catch {
    return undefined;
  }
  if (!isObject(m) || m.v !== STATE_FORMAT_VERSION) return undefined;
  const { count, firstSeen, lastSeen } = m;
  if (typeof count !== 'number' || typeof firstSeen !== 'number' || typeof lastSeen !== 'number' || ![count, firstSeen, lastSeen].every(Number.isFinite)) return undefined;
  return { count, firstSeen, lastSeen };
}

export function decodeState(meta: string, centroid: Uint8Array, dim: number): AggregateState {
  if (centroid.byteLength !== dim * 4) fail(`centroid has ${centroid.byteLength} bytes, expected ${dim * 4} for dimension ${dim}`);
  let m: unknown;
  try {
    m = JSON.parse(meta);
  } catch (err) {
    throw new RangeError('profile codec: corrupt state: meta is not JSON', { cause: err });
  }
  if (!isObject(m)) fail('meta is not an object');
  if (m.v !== STATE_FORMAT_VERSION) fail(`unknown format version ${JSON.stringify(m.v)}`);
  const count = finite(m.count, 'count');
  if (!(Number.isSafeInteger(count) && count >= 0)) fail('count is not an integer >= 0');
  const refTime = m.refTime === null ? -Infinity : finite(m.refTime, 'refTime');
  const weight = finite(m.weight, 'weight');
  if (weight < 0) fail('weight is negative');

  const view = new DataView(centroid.buffer, centroid.byteOffset, centroid.byteLength);
  const values = new Float64Array(dim);
  for (let i = 0; i < dim; i++) {
    const x = view.getFloat32(i * 4, true);
    if (!Number.isFinite(x)) fail(`centroid[${i}] is not a finite number`);
    values[i] = x;
  }

  return {
    count,
    firstSeen: finite(m.firstSeen, 'firstSeen'),
    lastSeen: finite(m.lastSeen, 'lastSeen'),
    refTime,
    weight,
    labels: positiveRecord(m.labels, 'labels'),
    centroid: values,
    terms: positiveRecord(m.terms, 'terms'),
    evidence: evidenceRecord(m.evidence),
  };
}
