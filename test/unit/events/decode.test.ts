import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { decodeRecord, MAX_DETAIL_CHARS, type DecodeResult } from '../../../src/events/index.js';
import type { RejectCode } from '../../../src/util/errors.js';
import { comment, NOW, OPTS, rec } from './helpers.js';

function ok(r: DecodeResult) {
  if (!r.ok) throw new Error(`expected ok, got ${r.rejection.code}: ${r.rejection.detail}`);
  return r.event;
}

function rejected(r: DecodeResult, code: RejectCode): string {
  if (r.ok) throw new Error(`expected ${code}, got ok`);
  expect(r.rejection.code).toBe(code);
  expect(r.rejection.detail.length).toBeGreaterThan(0);
  expect(r.rejection.detail.length).toBeLessThanOrEqual(MAX_DETAIL_CHARS);
  return r.rejection.detail;
}

describe('decodeRecord: valid events', () => {
  it('decodes a Chinese comment with an ISO timestamp (offset) to epoch ms', () => {
    const e = ok(decodeRecord(rec(comment(), 'user-1'), OPTS));
    expect(e).toEqual({
      type: 'comment',
      schemaVersion: 1,
      eventId: 'evt-1',
      userId: 'user-1',
      commentId: 'c-1',
      text: '今天的比赛太精彩了，梅西进了两个球',
      ts: Date.UTC(2025, 4, 1, 2, 0, 0),
    });
  });

  it('decodes an English comment with an epoch-ms timestamp, optional fields and no type (defaults to comment)', () => {
    const input = comment({ text: 'This new phone has an amazing camera', ts: NOW - 1000, lang: 'en', source: 'app-ios', metadata: { a: 'x', n: 1.5, b: true, z: null } });
    delete input.type;
    const e = ok(decodeRecord(rec(input, 'user-1'), OPTS));
    expect(e.type).toBe('comment');
    expect(e.ts).toBe(NOW - 1000);
    if (e.type !== 'comment') throw new Error('unreachable');
    expect(e.lang).toBe('en');
    expect({ ...e.metadata }).toEqual({ a: 'x', n: 1.5, b: true, z: null });
  });

  it('accepts ISO timestamps in Z with fractions', () => {
    expect(ok(decodeRecord(rec(comment({ ts: '2025-05-01T11:59:59.123Z' })), OPTS)).ts).toBe(Date.UTC(2025, 4, 1, 11, 59, 59, 123));
  });

  it('decodes a forget event', () => {
    const e = ok(decodeRecord(rec({ type: 'forget', schemaVersion: 1, eventId: 'e9', userId: 'u', ts: NOW, reason: 'gdpr request' }, 'u'), OPTS));
    expect(e).toEqual({ type: 'forget', schemaVersion: 1, eventId: 'e9', userId: 'u', ts: NOW, reason: 'gdpr request' });
  });

  it('accepts user ids with { } : * and other non-control characters, matching the key byte for byte', () => {
    for (const userId of ['{user}:*', 'a:b:{c}*', '用户 42', 'emoji😀', ' spaced ']) {
      expect(ok(decodeRecord(rec(comment({ userId }), userId), OPTS)).userId).toBe(userId);
    }
  });

  it('accepts a missing (null) key', () => {
    ok(decodeRecord(rec(comment(), null), OPTS));
  });

  it('ignores (strips) unknown top-level keys', () => {
    const e = ok(decodeRecord(rec(comment({ futureField: { deep: [1, 2] }, __proto__x: 1 })), OPTS));
    expect(e).not.toHaveProperty('futureField');
  });

  it('accepts an empty text (emptiness is judged after preprocessing) and a text of exactly 100,000 chars', () => {
    ok(decodeRecord(rec(comment({ text: '' })), OPTS));
    ok(decodeRecord(rec(comment({ text: '好'.repeat(100_000) })), OPTS));
  });

  it('strips a UTF-8 BOM', () => {
    const v = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(comment()))]);
    ok(decodeRecord(rec(v), OPTS));
  });
});

describe('decodeRecord: rejections', () => {
  it('REJECT_SCHEMA for a null or empty value', () => {
    rejected(decodeRecord(rec(null), OPTS), 'REJECT_SCHEMA');
    rejected(decodeRecord({ key: null, value: Buffer.alloc(0) }, OPTS), 'REJECT_SCHEMA');
  });

  it('REJECT_TOO_LARGE for a value over maxRecordBytes (1 MB text), checked before UTF-8 and JSON', () => {
    const big = rec(comment({ text: 'x'.repeat(1_048_576) }));
    expect(big.value!.length).toBeGreaterThan(OPTS.maxRecordBytes);
    expect(rejected(decodeRecord(big, OPTS), 'REJECT_TOO_LARGE')).toMatch(/bytes/);
    rejected(decodeRecord({ key: null, value: Buffer.alloc(OPTS.maxRecordBytes + 1, 0xff) }, OPTS), 'REJECT_TOO_LARGE');
  });

  it('REJECT_SCHEMA for a 1 MB text when the record limit allows it: text is limited to 100,000 chars', () => {
    const detail = rejected(decodeRecord(rec(comment({ text: '评'.repeat(1_000_000) })), { ...OPTS, maxRecordBytes: 4_000_000 }), 'REJECT_SCHEMA');
    expect(detail).toMatch(/^text: must be at most 100000 characters/);
    expect(detail).not.toContain('评评');
  });

  it('REJECT_INVALID_UTF8 for bytes that are not UTF-8', () => {
    rejected(decodeRecord(rec(Buffer.from([0xff, 0xfe, 0x7b, 0x7d])), OPTS), 'REJECT_INVALID_UTF8');
    // valid JSON around an invalid sequence (overlong encoding of '/')
    const v = Buffer.concat([Buffer.from('{"text":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]);
    rejected(decodeRecord(rec(v), OPTS), 'REJECT_INVALID_UTF8');
    // a lone surrogate encoded in UTF-8 (CESU) is not UTF-8 either
    rejected(decodeRecord(rec(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])), OPTS), 'REJECT_INVALID_UTF8');
  });

  it('REJECT_INVALID_JSON for malformed JSON, without echoing the text', () => {
    const detail = rejected(decodeRecord(rec('hello my secret phone 13800138000'), OPTS), 'REJECT_INVALID_JSON');
    expect(detail).not.toContain('secret');
    rejected(decodeRecord(rec('{"text": "abc'), OPTS), 'REJECT_INVALID_JSON');
    rejected(decodeRecord(rec('{"a":1,}'), OPTS), 'REJECT_INVALID_JSON');
  });

  it('REJECT_INVALID_JSON for JSON that is not an object', () => {
    for (const v of ['[]', '[1,2]', '"text"', '42', 'null', 'true']) {
      expect(rejected(decodeRecord(rec(v), OPTS), 'REJECT_INVALID_JSON')).toMatch(/not an object/);
    }
  });

  it('survives very deep nesting (10k and 500k levels) without crashing', () => {
    const deepArray = '['.repeat(10_000) + ']'.repeat(10_000);
    rejected(decodeRecord(rec(deepArray), OPTS), 'REJECT_INVALID_JSON');
    const deepInField = JSON.stringify(comment()).replace(/}$/, `,"extra":${'['.repeat(500_000)}${']'.repeat(500_000)}}`);
    ok(decodeRecord(rec(deepInField), OPTS));
    const deepMeta = JSON.stringify(comment()).replace(/}$/, `,"metadata":{"a":${'{"b":'.repeat(100_000)}1${'}'.repeat(100_000)}}}`);
    expect(rejected(decodeRecord(rec(deepMeta), OPTS), 'REJECT_SCHEMA')).toMatch(/^metadata\.a:/);
    const deepText = JSON.stringify(comment()).replace(/"text":"[^"]*"/, `"text":${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    rejected(decodeRecord(rec(deepText), OPTS), 'REJECT_SCHEMA');
  });

  it('REJECT_SCHEMA for missing fields, naming them', () => {
    const detail = rejected(decodeRecord(rec({ type: 'comment', schemaVersion: 1, text: 'hi', ts: NOW }), OPTS), 'REJECT_SCHEMA');
    expect(detail).toContain('eventId: required');
    expect(detail).toContain('userId: required');
    expect(detail).toContain('commentId: required');
    const noText = comment();
    delete noText.text;
    expect(rejected(decodeRecord(rec(noText), OPTS), 'REJECT_SCHEMA')).toBe('text: required');
  });

  it('REJECT_SCHEMA for wrong types and bad values, naming the path', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [comment({ userId: 42 }), /^userId: Invalid input: expected string, received number$/],
      [comment({ text: ['a'] }), /^text: /],
      [comment({ userId: '' }), /^userId: must not be empty$/],
      [comment({ userId: 'a\nb' }), /^userId: must not contain control characters/],
      [comment({ userId: 'a\u0000' }), /^userId: must not contain control characters/],
      [comment({ userId: 'x\ud800' }), /^userId: must not contain control characters or unpaired surrogates/],
      [comment({ userId: 'u'.repeat(257) }), /^userId: must be at most 256 characters$/],
      [comment({ eventId: 'e'.repeat(129) }), /^eventId: must be at most 128/],
      [comment({ schemaVersion: 2 }), /^schemaVersion: unsupported schemaVersion/],
      [comment({ metadata: { nested: { a: 1 } } }), /^metadata\.nested: expected a string, number, boolean or null$/],
      [comment({ metadata: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])) }), /^metadata: must have at most 32 keys$/],
      [comment({ metadata: 'flat' }), /^metadata: /],
      [comment({ lang: 'x'.repeat(36) }), /^lang: /],
      [comment({ source: 's'.repeat(129) }), /^source: /],
      [{ type: 'forget', schemaVersion: 1, eventId: 'e', ts: NOW }, /^userId: required$/],
    ];
    for (const [input, re] of cases) {
      expect(rejected(decodeRecord(rec(input), OPTS), 'REJECT_SCHEMA')).toMatch(re);
    }
  });

  it('REJECT_SCHEMA when type is not a string', () => {
    expect(rejected(decodeRecord(rec(comment({ type: 1 })), OPTS), 'REJECT_SCHEMA')).toMatch(/^type: expected a string/);
    rejected(decodeRecord(rec(comment({ type: null })), OPTS), 'REJECT_SCHEMA');
  });

  it('REJECT_UNSUPPORTED_TYPE for an unknown type, whatever the other fields', () => {
    expect(rejected(decodeRecord(rec(comment({ type: 'like' })), OPTS), 'REJECT_UNSUPPORTED_TYPE')).toMatch(/"like"/);
    rejected(decodeRecord(rec({ type: 'Comment' }), OPTS), 'REJECT_UNSUPPORTED_TYPE');
    expect(rejected(decodeRecord(rec({ type: 't'.repeat(5000) }), OPTS), 'REJECT_UNSUPPORTED_TYPE').length).toBeLessThan(200);
  });

  it('REJECT_BAD_TIMESTAMP for malformed, impossible, too old or too far future timestamps', () => {
    const bad = [
      'yesterday',
      '2025-05-01T10:00:00', // no timezone
      '2025-05-01',
      '2025-02-30T00:00:00Z', // no such day
      '2025-05-01T24:00:00Z',
      1.5,
      true,
      null,
    ];
    for (const ts of bad) expect(rejected(decodeRecord(rec(comment({ ts })), OPTS), 'REJECT_BAD_TIMESTAMP')).toMatch(/^ts: /);
    const noTs = comment();
    delete noTs.ts;
    expect(rejected(decodeRecord(rec(noTs), OPTS), 'REJECT_SCHEMA')).toBe('ts: required');
    // epoch seconds by mistake: January 1970
    expect(rejected(decodeRecord(rec(comment({ ts: 1_714_550_400 })), OPTS), 'REJECT_BAD_TIMESTAMP')).toMatch(/before the earliest/);
    rejected(decodeRecord(rec(comment({ ts: '1999-12-31T23:59:59Z' })), OPTS), 'REJECT_BAD_TIMESTAMP');
    expect(rejected(decodeRecord(rec(comment({ ts: NOW + OPTS.maxFutureMs + 1 })), OPTS), 'REJECT_BAD_TIMESTAMP')).toMatch(/after now/);
    ok(decodeRecord(rec(comment({ ts: NOW + OPTS.maxFutureMs })), OPTS));
    ok(decodeRecord(rec(comment({ ts: OPTS.minTs })), OPTS));
  });

  it('REJECT_SCHEMA (not BAD_TIMESTAMP) when ts and another field are wrong', () => {
    const detail = rejected(decodeRecord(rec(comment({ ts: 'x', userId: 5 })), OPTS), 'REJECT_SCHEMA');
    expect(detail).toContain('ts: ');
    expect(detail).toContain('userId: ');
  });

  it('REJECT_KEY_MISMATCH when the key is present and differs from userId', () => {
    rejected(decodeRecord(rec(comment(), 'user-2'), OPTS), 'REJECT_KEY_MISMATCH');
    rejected(decodeRecord(rec(comment(), ''), OPTS), 'REJECT_KEY_MISMATCH');
    rejected(decodeRecord(rec(comment(), 'User-1'), OPTS), 'REJECT_KEY_MISMATCH');
    rejected(decodeRecord(rec(comment(), Buffer.from([0xff])), OPTS), 'REJECT_KEY_MISMATCH');
  });

  it('checks in the documented order', () => {
    // too large wins over invalid UTF-8
    rejected(decodeRecord({ key: null, value: Buffer.alloc(11, 0xff) }, { ...OPTS, maxRecordBytes: 10 }), 'REJECT_TOO_LARGE');
    // unsupported type wins over schema errors
    rejected(decodeRecord(rec({ type: 'like', userId: 5 }), OPTS), 'REJECT_UNSUPPORTED_TYPE');
    // schema wins over key mismatch; timestamp wins over key mismatch
    rejected(decodeRecord(rec(comment({ commentId: '' }), 'other'), OPTS), 'REJECT_SCHEMA');
    rejected(decodeRecord(rec(comment({ ts: 5 }), 'other'), OPTS), 'REJECT_BAD_TIMESTAMP');
  });

  it('never puts control characters or long user strings into details', () => {
    const weird = comment({ metadata: { ['k\n'.repeat(60)]: { x: 1 } } });
    const detail = rejected(decodeRecord(rec(weird), OPTS), 'REJECT_SCHEMA');
    expect(detail).not.toMatch(/\p{Cc}/u);
    expect(detail.length).toBeLessThan(200);
  });
});
