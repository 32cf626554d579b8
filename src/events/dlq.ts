/**
 * Pure encoder of a dead-letter record: the original key, value bytes and headers, unchanged, plus
 * headers saying why and where from. The runner produces it to the dead-letter topic and moves on.
 */
import type { Buffer } from 'node:buffer';
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
} as const;

/**
 * The largest original value kept whole. A record that fit the source topic can still be too large
 * for the dead-letter topic once the reason headers are added, so a value above this is cut (and
 * the header above says so): the dead letter is always deliverable, and the stream never stops on it.
 */
export const DLQ_MAX_VALUE_BYTES = 512 * 1024;

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
  for (const [name, v] of Object.entries(original.headers)) {
    // A record that is dead-lettered again (e.g. replayed from the DLQ) gets fresh portrait-dlq-* headers.
    if (v !== undefined && !name.startsWith('portrait-dlq-')) headers[name] = v;
  }
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
  return { key: original.key, value, headers };
}
