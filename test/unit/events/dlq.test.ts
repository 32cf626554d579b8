import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { deadLetter, DLQ_HEADERS, decodeRecord } from '../../../src/events/index.js';
import { reject } from '../../../src/util/errors.js';
import { OPTS } from './helpers.js';

describe('deadLetter', () => {
  it('keeps the original key, value bytes and headers, and adds the reason headers', () => {
    const key = Buffer.from('user-1');
    const value = Buffer.from([0xff, 0xfe, 0x00]);
    const r = decodeRecord({ key, value }, OPTS);
    if (r.ok) throw new Error('expected a rejection');
    const now = Date.UTC(2025, 0, 2, 3, 4, 5, 6);
    const out = deadLetter({ key, value, headers: { 'trace-id': 'abc', bin: Buffer.from([1, 2]), gone: undefined } }, r.rejection, { topic: 'comments', partition: 3, offset: '12345678901234' }, now);
    expect(out.key).toBe(key);
    expect(out.value).toBe(value);
    expect({ ...out.headers }).toEqual({
      'trace-id': 'abc',
      bin: Buffer.from([1, 2]),
      'portrait-dlq-reason': 'REJECT_INVALID_UTF8',
      'portrait-dlq-detail': r.rejection.detail,
      'portrait-dlq-source-topic': 'comments',
      'portrait-dlq-source-partition': '3',
      'portrait-dlq-source-offset': '12345678901234',
      'portrait-dlq-at': '2025-01-02T03:04:05.006Z',
    });
  });

  it('keeps null key and value, replaces stale portrait-dlq-* headers, and treats "__proto__" as a plain header', () => {
    const headers = JSON.parse('{"__proto__":"x","portrait-dlq-reason":"OLD","portrait-dlq-detail":"old"}') as Record<string, string>;
    const out = deadLetter({ key: null, value: null, headers }, reject('REJECT_SCHEMA', 'record value is null'), { topic: 't', partition: 0, offset: 7 }, 0);
    expect(out.key).toBeNull();
    expect(out.value).toBeNull();
    expect(out.headers[DLQ_HEADERS.reason]).toBe('REJECT_SCHEMA');
    expect(out.headers[DLQ_HEADERS.detail]).toBe('record value is null');
    expect(Object.keys(out.headers)).toContain('__proto__');
    expect(out.headers[DLQ_HEADERS.at]).toBe('1970-01-01T00:00:00.000Z');
  });
});
