import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { decodeMetadataResponse, encodeMetadataRequest, formatTopicId } from '../../../src/kafka/metadata-codec.js';
import { FreshLookup } from '../../../src/kafka/topic-ids.js';

const uv = (n: number) => {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
};
const cstr = (s: string | null) => (s === null ? uv(0) : Buffer.concat([uv(Buffer.byteLength(s) + 1), Buffer.from(s)]));
const i16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const i32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const TAGS = uv(0);
/** A tagged-field section with one unknown tag (a later broker may add some). */
const SOME_TAGS = Buffer.concat([uv(1), uv(7), uv(3), Buffer.from([1, 2, 3])]);

/** A Metadata response body as a broker sends it at `version` (10-12), after the correlation id. */
function response(version: number, topics: { name: string; error: number; id: Buffer; partitions: number }[]): Buffer {
  const parts: Buffer[] = [SOME_TAGS, i32(0)];
  parts.push(uv(2), i32(1), cstr('127.0.0.1'), i32(9092), cstr(null), TAGS); // one broker
  parts.push(cstr('cluster-x'), i32(1));
  parts.push(uv(topics.length + 1));
  for (const t of topics) {
    parts.push(i16(t.error), cstr(t.name), t.id, Buffer.from([0]), uv(t.partitions + 1));
    for (let p = 0; p < t.partitions; p++) parts.push(i16(0), i32(p), i32(1), i32(0), uv(2), i32(1), uv(2), i32(1), uv(1), SOME_TAGS);
    parts.push(i32(-2147483648), TAGS);
  }
  if (version <= 10) parts.push(i32(-2147483648));
  parts.push(TAGS);
  return Buffer.concat(parts);
}

describe('Metadata v10-12 codec (topic IDs)', () => {
  const id = Buffer.from('9b33bd1fda5445be93b62203df7cb588', 'hex');

  it.each([10, 11, 12])('reads names, errors, topic IDs and partition counts at version %i', (v) => {
    const r = decodeMetadataResponse(
      v,
      response(v, [
        { name: 'comments', error: 0, id, partitions: 3 },
        { name: 'nope', error: 3, id: Buffer.alloc(16), partitions: 0 },
      ]),
    );
    expect(r.clusterId).toBe('cluster-x');
    expect(r.topics).toEqual([
      { name: 'comments', errorCode: 0, topicId: 'mzO9H9pURb6TtiID33y1iA', partitions: 3 },
      { name: 'nope', errorCode: 3, topicId: undefined, partitions: 0 },
    ]);
  });

  it('prints topic IDs as Kafka does (URL-safe base64, no padding) and the zero ID as none', () => {
    expect(formatTopicId(id)).toBe('mzO9H9pURb6TtiID33y1iA');
    expect(formatTopicId(Buffer.alloc(16))).toBeUndefined();
  });

  it('refuses a truncated response instead of reading past it', () => {
    const full = response(12, [{ name: 'comments', error: 0, id, partitions: 2 }]);
    expect(() => decodeMetadataResponse(12, full.subarray(0, full.length - 9))).toThrow(/truncated/);
  });

  it('encodes the request: header tags, topics by name with a zero ID, no auto-creation', () => {
    const req = encodeMetadataRequest(12, ['comments']);
    expect([...req]).toEqual([0, 2, ...Buffer.alloc(16), 9, ...Buffer.from('comments'), 0, 0, 0, 0]);
    // v10 also carries include_cluster_authorized_operations
    expect(encodeMetadataRequest(10, ['comments']).length).toBe(req.length + 1);
    expect(() => encodeMetadataRequest(9, ['x'])).toThrow(RangeError);
  });
});

describe('FreshLookup', () => {
  it('never answers a call with a request that began before it: callers during a request share the next one', async () => {
    let started = 0;
    const releases: (() => void)[] = [];
    const f = new FreshLookup(() => {
      const n = ++started;
      return new Promise<number>((resolve) => releases.push(() => resolve(n)));
    });
    const a = f.get();
    const b = f.get();
    const c = f.get();
    expect(started).toBe(1);
    releases[0]!();
    expect(await a).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(started).toBe(2);
    releases[1]!();
    expect([await b, await c]).toEqual([2, 2]);
  });
});
