/**
 * Pure encoder of a dead-letter record: the original key, value bytes and headers, unchanged, plus
 * headers saying why and where from. The runner produces it to the dead-letter topic and moves on.
 */
import { Buffer } from 'node:buffer';
import type { Rejection } from '../util/errors.js';

export const DLQ_HEADERS = {
  reason: 'portrait-dlq-reason',
  detail: 'portrait-dlq-detail',
  sourceTopic: 'portrait-dlq-source-topic',
  sourcePartition: 'portrait-dlq-source-partition',
  sourceOffset: 'portrait-dlq-source-offset',
  at: 'portrait-dlq-at',
  /** set when the original value was cut to fit the broker's record limit: the original length in bytes */
  truncated: 'portrait-dlq-truncated-from',
  /** set when the original key was cut (no valid key is that long): the original length in bytes */
  keyTruncated: 'portrait-dlq-key-truncated-from',
  /** set when the original headers were dropped for their size: how many there were */
  headersDropped: 'portrait-dlq-headers-dropped',
} as const;

/**
 * The largest original value kept whole. A record that fit the source topic can still be too large
 * for the dead-letter topic once the reason headers are added, so a value above this is cut (and
 * the header above says so): the dead letter is always deliverable, and the stream never stops on it.
 */
export const DLQ_MAX_VALUE_BYTES = 512 * 1024;

/**
 * The largest original key kept whole. A valid key is a user id (at most 256 UTF-16 units, so at
 * most 768 UTF-8 bytes); a longer one is cut. Besides the size limit, kafkajs's default partitioner
 * hashes a key in time quadratic in its length (a 1 MB key blocks the process for many minutes),
 * so a huge key must never reach the producer.
 */
export const DLQ_MAX_KEY_BYTES = 1024;

/** The largest total size (names + values) of original headers kept; above it they are all dropped. */
export const DLQ_MAX_HEADER_BYTES = 64 * 1024;

const byteLength = (v: Buffer | string) => (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length);

export interface DeadLetterInput {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string | undefined>;
}

export interface RecordSource {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit: kafkajs hands them over as strings. */
  offset: string | number | bigint;
}

export interface DeadLetterRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string>;
}

export function deadLetter(original: DeadLetterInput, rejection: Rejection, source: RecordSource, now: number): DeadLetterRecord {
  // Null prototype: a header named "__proto__" is just a header.
  const headers = Object.create(null) as Record<string, Buffer | string>;
  // A record that is dead-lettered again (e.g. replayed from the DLQ) gets fresh portrait-dlq-* headers.
  const kept = Object.entries(original.headers).filter((e): e is [string, Buffer | string] => e[1] !== undefined && !e[0].startsWith('portrait-dlq-'));
  const headerBytes = kept.reduce((n, [name, v]) => n + Buffer.byteLength(name, 'utf8') + byteLength(v), 0);
  if (headerBytes <= DLQ_MAX_HEADER_BYTES) for (const [name, v] of kept) headers[name] = v;
  else headers[DLQ_HEADERS.headersDropped] = String(kept.length);
  headers[DLQ_HEADERS.reason] = rejection.code;
  headers[DLQ_HEADERS.detail] = rejection.detail;
  headers[DLQ_HEADERS.sourceTopic] = source.topic;
  headers[DLQ_HEADERS.sourcePartition] = String(source.partition);
  headers[DLQ_HEADERS.sourceOffset] = String(source.offset);
  headers[DLQ_HEADERS.at] = new Date(now).toISOString();
  let value = original.value;
  if (value !== null && value.length > DLQ_MAX_VALUE_BYTES) {
    headers[DLQ_HEADERS.truncated] = String(value.length);
    value = value.subarray(0, DLQ_MAX_VALUE_BYTES);
  }
  let key = original.key;
  if (key !== null && key.length > DLQ_MAX_KEY_BYTES) {
    headers[DLQ_HEADERS.keyTruncated] = String(key.length);
    key = key.subarray(0, DLQ_MAX_KEY_BYTES);
  }
  return { key, value, headers };
}
