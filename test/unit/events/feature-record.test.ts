import { describe, expect, it } from 'vitest';
import { decodeFeatureRecord, encodeFeatureRecord, erasedBy, featureKey, featurePosition, parseFeatureKey, type FeatureRecord } from '../../../src/events/feature-record.js';
import { dequantize, quantize } from '../../../src/util/int8.js';

const DIM = 8;
// a vector as the pipeline has it: already int8-rounded by the shared embedding cache
const vector = dequantize(quantize(Float32Array.from([0.5, -0.25, 0.125, 0, 0.9, -0.9, 0.3, 0.01])), DIM)!;
const record: FeatureRecord = {
  userId: 'u:{42} "quoted"',
  eventId: 'e-1',
  commentId: 'c-1',
  ts: Date.UTC(2026, 10, 1),
  lang: 'zh',
  terms: ['梅西', '进球'],
  embedder: 'BAAI/bge-small-zh-v1.5@q8/cls',
  embedding: vector,
  source: { topic: 'comments', topicId: 'AbC', partition: 3, offset: 1234 },
};

describe('feature log record (issue #20)', () => {
  it('round-trips every field, the int8 vector bit for bit', () => {
    const { key, value } = encodeFeatureRecord(record);
    expect(key).toBe(featureKey(record.userId, record.eventId));
    expect(parseFeatureKey(key)).toEqual({ userId: record.userId, eventId: 'e-1' });
    expect(parseFeatureKey(Buffer.from(key))).toEqual({ userId: record.userId, eventId: 'e-1' });
    const d = decodeFeatureRecord(value, DIM);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.record).toEqual({ ...record, embedding: expect.any(Float32Array) });
    expect(Array.from(d.record.embedding)).toEqual(Array.from(vector));
    expect(featurePosition(value)).toEqual({ ts: record.ts, source: record.source });
    // what a record holds: no text field at all, and about 0.8 KB for a 512-dimension vector
    expect(Object.keys(JSON.parse(value)).sort()).toEqual(['commentId', 'embedder', 'embedding', 'eventId', 'lang', 'source', 'terms', 'ts', 'userId', 'v']);
    const big = encodeFeatureRecord({ ...record, embedding: new Float32Array(512).fill(0.04) });
    expect(Buffer.byteLength(big.value)).toBeLessThan(1000);
  });

  it('refuses what is not a record: clear details, never an exception', () => {
    expect(decodeFeatureRecord('{not json', DIM)).toEqual({ ok: false, detail: 'not JSON' });
    const v = JSON.parse(encodeFeatureRecord(record).value);
    expect(decodeFeatureRecord(JSON.stringify({ ...v, v: 2 }), DIM)).toMatchObject({ ok: false, detail: expect.stringMatching(/^v:/) });
    expect(decodeFeatureRecord(JSON.stringify({ ...v, text: 'raw' }), DIM)).toMatchObject({ ok: false });
    expect(decodeFeatureRecord(encodeFeatureRecord(record).value, DIM + 1)).toEqual({ ok: false, detail: `embedding is not a ${DIM + 1}-dimension int8 vector` });
    expect(parseFeatureKey('["only-one"]')).toBeUndefined();
    expect(parseFeatureKey('nope')).toBeUndefined();
    expect(parseFeatureKey(null)).toBeUndefined();
    expect(featurePosition('[]')).toBeUndefined();
  });

  it('a forget erases the comments before it: by offset in its partition, by event time in another, always from an older topic', () => {
    const forget = { partition: 3, offset: 2000, ts: Date.UTC(2026, 10, 5), topicId: 'AbC' };
    const at = (partition: number, offset: number, ts: number, topicId = 'AbC') => ({ ts, source: { topic: 'comments', topicId, partition, offset } });
    expect(erasedBy(at(3, 1999, Date.UTC(2026, 11, 1)), forget)).toBe(true); // before it in its partition, whatever its event time
    expect(erasedBy(at(3, 2001, Date.UTC(2026, 10, 1)), forget)).toBe(false); // after it: the user wrote again
    expect(erasedBy(at(1, 10, Date.UTC(2026, 10, 5)), forget)).toBe(true); // another partition: by event time
    expect(erasedBy(at(1, 10, Date.UTC(2026, 10, 6)), forget)).toBe(false);
    expect(erasedBy(at(3, 5000, Date.UTC(2026, 11, 1), 'OLD'), forget)).toBe(true); // an older incarnation of the topic
    expect(erasedBy(at(3, 5000, Date.UTC(2026, 11, 1)), { ...forget, topicId: undefined })).toBe(false);
  });
});
