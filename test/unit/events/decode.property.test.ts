import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRecord, MAX_DETAIL_CHARS, type DecodeResult } from '../../../src/events/index.js';
import { ErrorCodes } from '../../../src/util/errors.js';
import { comment, OPTS, rec } from './helpers.js';

function wellFormed(r: DecodeResult): void {
  if (r.ok) {
    expect(Number.isFinite(r.event.ts)).toBe(true);
    return;
  }
  expect(r.rejection.code in ErrorCodes && r.rejection.code.startsWith('REJECT_')).toBe(true);
  expect(r.rejection.detail.length).toBeLessThanOrEqual(MAX_DETAIL_CHARS);
  expect(r.rejection.detail).not.toMatch(/\p{Cc}/u);
  // the defensive catch-all in decodeRecord must never be what answered
  expect(r.rejection.detail).not.toMatch(/^record could not be decoded/);
}

describe('decodeRecord never throws', () => {
  it('on arbitrary bytes and keys', () => {
    fc.assert(
      fc.property(fc.option(fc.uint8Array({ maxLength: 300 })), fc.option(fc.uint8Array({ maxLength: 20 })), (value, key) => {
        wellFormed(decodeRecord({ value: value === null ? null : Buffer.from(value), key: key === null ? null : Buffer.from(key) }, OPTS));
      }),
      { numRuns: 2000 },
    );
  });

  it('on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        wellFormed(decodeRecord(rec(JSON.stringify(v) ?? 'null'), OPTS));
      }),
      { numRuns: 1000 },
    );
  });

  it('on valid events with arbitrary values in each field', () => {
    const keys = ['type', 'schemaVersion', 'eventId', 'userId', 'commentId', 'text', 'ts', 'lang', 'source', 'metadata', 'reason'];
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.jsonValue(), fc.option(fc.string({ unit: 'binary', maxLength: 10 })), (field, v, key) => {
        wellFormed(decodeRecord(rec(comment({ [field]: v }), key), OPTS));
      }),
      { numRuns: 1000 },
    );
  });

  it('on arbitrary strings as text and user id (any event that decodes round-trips those fields)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), (text, userId) => {
        const r = decodeRecord(rec(comment({ text, userId }), userId), OPTS);
        wellFormed(r);
        if (r.ok && r.event.type === 'comment') {
          expect(r.event.text).toBe(text);
          expect(r.event.userId).toBe(userId);
        } else if (!r.ok) {
          expect(r.rejection.code).toBe('REJECT_SCHEMA');
          expect(r.rejection.detail).toMatch(/^userId: /);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
