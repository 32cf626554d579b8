/**
 * Decode one Kafka record of the comments topic into an InputEvent, or a typed Rejection.
 * Pure: never throws on any input, never echoes the record's text in a rejection detail.
 *
 * Checks, in order (the first failing one decides the reason code):
 *  1. value null or empty                         REJECT_SCHEMA
 *  2. value larger than maxRecordBytes            REJECT_TOO_LARGE
 *  3. value not valid UTF-8                       REJECT_INVALID_UTF8
 *  4. not JSON, or JSON but not an object         REJECT_INVALID_JSON
 *  5. `type` present but not a string             REJECT_SCHEMA
 *     `type` a string other than comment/forget   REJECT_UNSUPPORTED_TYPE
 *  6. schema violation                            REJECT_SCHEMA (REJECT_BAD_TIMESTAMP if only a present `ts` is wrong)
 *  7. ts before minTs or after now + maxFutureMs  REJECT_BAD_TIMESTAMP
 *  8. key present and different from userId       REJECT_KEY_MISMATCH
 */
import { Buffer } from 'node:buffer';
import type { z } from 'zod';
import { reject, type Rejection } from '../util/errors.js';
import { CommentEvent, ForgetEvent, INPUT_EVENT_TYPES, type InputEvent } from './schema.js';

export interface DecodeOptions {
  /** Largest accepted record value, in bytes. */
  maxRecordBytes: number;
  /** Current wall-clock time, epoch ms (injected: decode is pure). */
  now: number;
  /** How far in the future (beyond `now`) an event timestamp may be, ms. */
  maxFutureMs: number;
  /** Earliest accepted event timestamp, epoch ms. */
  minTs: number;
}

/** Suggested defaults (config keys events.maxRecordBytes / events.maxFutureMs / events.minTs). */
export const DEFAULT_DECODE_LIMITS = {
  maxRecordBytes: 1_048_576,
  maxFutureMs: 5 * 60_000,
  minTs: Date.UTC(2000, 0, 1),
} as const satisfies Omit<DecodeOptions, 'now'>;

export interface RawRecord {
  key: Buffer | null;
  value: Buffer | null;
}

export type DecodeResult = { ok: true; event: InputEvent } | { ok: false; rejection: Rejection };

export const MAX_DETAIL_CHARS = 300;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function fail(code: Rejection['code'], detail: string): DecodeResult {
  return { ok: false, rejection: reject(code, clip(detail, MAX_DETAIL_CHARS)) };
}

/** Cut to at most `max` UTF-16 units without splitting a surrogate pair; control characters become '?'. */
export function clip(s: string, max: number): string {
  const clean = s.replace(/[\p{Cc}\p{Cs}]/gu, '?');
  if (clean.length <= max) return clean;
  let end = max - 1;
  const c = clean.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${clean.slice(0, end)}…`;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

/** A JSON.parse message without the snippet of input V8 quotes ("Unexpected token 'h', "hello"... is not valid JSON"). */
function jsonErrorDetail(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const m = /^(Unexpected token .*?), ".*$/su.exec(msg);
  return `value is not valid JSON: ${clip(m?.[1] ?? msg, 120)}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += `${out === '' ? '' : '.'}${clip(String(seg), 40)}`;
  }
  return out === '' ? '(root)' : out;
}

/** "userId: must not be empty; ts: required" — paths and messages only, never input values. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], max = MAX_DETAIL_CHARS): string {
  const parts = issues.slice(0, 8).map((i) => `${formatPath(i.path)}: ${clip(i.message, 160)}`);
  if (issues.length > 8) parts.push(`(+${issues.length - 8} more)`);
  return clip(parts.join('; '), max);
}

/** Per-parse error map: a missing field says "required" instead of "expected string, received undefined". */
const errorMap = (iss: z.core.$ZodRawIssue): string | undefined => (iss.code === 'invalid_type' && iss.input === undefined ? 'required' : undefined);

export function decodeRecord(rec: RawRecord, opts: DecodeOptions): DecodeResult {
  try {
    return decodeUnsafe(rec, opts);
  } catch (err) {
    // Defensive: nothing above is expected to throw, but a record must never crash the consumer.
    return fail('REJECT_SCHEMA', `record could not be decoded: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function decodeUnsafe(rec: RawRecord, opts: DecodeOptions): DecodeResult {
  const { value } = rec;
  if (value === null || value.length === 0) return fail('REJECT_SCHEMA', value === null ? 'record value is null' : 'record value is empty');
  if (value.length > opts.maxRecordBytes) {
    return fail('REJECT_TOO_LARGE', `record value is ${value.length} bytes; the limit is ${opts.maxRecordBytes}`);
  }

  let json: string;
  try {
    json = utf8.decode(value);
  } catch {
    return fail('REJECT_INVALID_UTF8', `record value (${value.length} bytes) is not valid UTF-8`);
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    return fail('REJECT_INVALID_JSON', jsonErrorDetail(err));
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail('REJECT_INVALID_JSON', `value is JSON but ${describeValue(parsed)}, not an object`);
  }

  const type = (parsed as Record<string, unknown>).type;
  if (type !== undefined && typeof type !== 'string') return fail('REJECT_SCHEMA', `type: expected a string, got ${describeValue(type)}`);
  if (type !== undefined && !(INPUT_EVENT_TYPES as readonly string[]).includes(type)) {
    return fail('REJECT_UNSUPPORTED_TYPE', `type "${clip(type, 40)}" is not supported (expected one of: ${INPUT_EVENT_TYPES.join(', ')})`);
  }

  const result = type === 'forget' ? ForgetEvent.safeParse(parsed, { error: errorMap }) : CommentEvent.safeParse(parsed, { error: errorMap });
  if (!result.success) {
    const issues = result.error.issues;
    // A present but unusable ts is a bad timestamp; a missing one is a schema violation like any other.
    const onlyTs = (parsed as Record<string, unknown>).ts !== undefined && issues.every((i) => i.path[0] === 'ts');
    return fail(onlyTs ? 'REJECT_BAD_TIMESTAMP' : 'REJECT_SCHEMA', formatIssues(issues));
  }
  const event: InputEvent = result.data;

  const ts = event.ts;
  if (!Number.isFinite(ts)) return fail('REJECT_BAD_TIMESTAMP', 'ts: not a valid date');
  if (ts < opts.minTs) return fail('REJECT_BAD_TIMESTAMP', `ts: ${isoOrNumber(ts)} is before the earliest accepted ${isoOrNumber(opts.minTs)}`);
  if (ts > opts.now + opts.maxFutureMs) {
    return fail('REJECT_BAD_TIMESTAMP', `ts: ${isoOrNumber(ts)} is more than ${opts.maxFutureMs} ms after now (${isoOrNumber(opts.now)})`);
  }

  if (rec.key !== null && !rec.key.equals(Buffer.from(event.userId, 'utf8'))) {
    return fail('REJECT_KEY_MISMATCH', `record key (${rec.key.length} bytes) differs from userId; key must be the UTF-8 userId`);
  }
  return { ok: true, event };
}

function isoOrNumber(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}
