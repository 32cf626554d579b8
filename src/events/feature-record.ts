/**
 * The feature log's record (issue #20; docs/events.md, "Feature log"): what a rebuild needs of one
 * folded comment, and no raw text. Pure: no I/O.
 *
 * key    JSON ["<userId>","<eventId>"]: one record per folded event, so the compacted topic keeps
 *        each until a tombstone (null value) under the same key erases it; a redelivered event
 *        writes the same key again (compaction keeps one).
 * value  JSON {v: 1, userId, eventId, commentId, ts, lang, terms, embedder, embedding, source}:
 *        `terms` are the segmented words after PII redaction and stopwords (what the profile's top
 *        terms count); `embedding` is the comment's vector as the pipeline used it, int8 (base64 of a
 *        float32 LE scale and one int8 per dimension, src/util/int8.ts `quantize`), under the
 *        embedder id it came from; `lang` is the detected language (a calibrated zero-shot taxonomy's
 *        bias is per language); `source` is where the comment sat in the comments topic.
 * The record goes to the partition number of the comment it came from.
 */
import { z } from 'zod';
import type { Lang } from '../text/index.js';
import { dequantize, quantize } from '../util/int8.js';
import { base64Bytes, CommentId, EventId, UserId } from './schema.js';

export const FEATURE_RECORD_VERSION = 1;

const LANGS = ['zh', 'en', 'mixed', 'other'] as const satisfies readonly Lang[];

const FeatureRecordJson = z.strictObject({
  v: z.literal(FEATURE_RECORD_VERSION),
  userId: UserId,
  eventId: EventId,
  commentId: CommentId,
  ts: z.int(),
  lang: z.enum(LANGS),
  terms: z.array(z.string().min(1)),
  embedder: z.string().min(1),
  embedding: z.string().min(1),
  source: z.strictObject({ topic: z.string().min(1), topicId: z.string().optional(), partition: z.int().min(0), offset: z.int().min(0) }),
});

export interface FeatureRecord {
  userId: string;
  eventId: string;
  commentId: string;
  /** event time, epoch ms */
  ts: number;
  lang: Lang;
  terms: readonly string[];
  /** Embedder.id of the model the vector came from */
  embedder: string;
  embedding: Float32Array;
  source: { topic: string; topicId?: string | undefined; partition: number; offset: number };
}

/** The record's key: JSON ["<userId>","<eventId>"]. */
export function featureKey(userId: string, eventId: string): string {
  return JSON.stringify([userId, eventId]);
}

/** The user and event of a key; undefined when it is not one. */
export function parseFeatureKey(key: string | Buffer | null): { userId: string; eventId: string } | undefined {
  if (key === null) return undefined;
  try {
    const k: unknown = JSON.parse(key.toString());
    return Array.isArray(k) && k.length === 2 && typeof k[0] === 'string' && typeof k[1] === 'string' ? { userId: k[0], eventId: k[1] } : undefined;
  } catch {
    return undefined;
  }
}

export function encodeFeatureRecord(r: FeatureRecord): { key: string; value: string } {
  const value = {
    v: FEATURE_RECORD_VERSION,
    userId: r.userId,
    eventId: r.eventId,
    commentId: r.commentId,
    ts: r.ts,
    lang: r.lang,
    terms: [...r.terms],
    embedder: r.embedder,
    embedding: quantize(r.embedding).toString('base64'),
    source: { topic: r.source.topic, ...(r.source.topicId ? { topicId: r.source.topicId } : {}), partition: r.source.partition, offset: r.source.offset },
  };
  return { key: featureKey(r.userId, r.eventId), value: JSON.stringify(value) };
}

export type DecodedFeature = { ok: true; record: FeatureRecord } | { ok: false; detail: string };

/** A record's value back; `dim` is the embedder's dimension (a vector of another length is refused). */
export function decodeFeatureRecord(value: string | Buffer, dim: number): DecodedFeature {
  let raw: unknown;
  try {
    raw = JSON.parse(value.toString());
  } catch {
    return { ok: false, detail: 'not JSON' };
  }
  const r = FeatureRecordJson.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0]!;
    return { ok: false, detail: `${first.path.join('.') || '(root)'}: ${first.message}` };
  }
  const bytes = base64Bytes(r.data.embedding);
  const embedding = bytes ? dequantize(bytes, dim) : undefined;
  if (!embedding) return { ok: false, detail: `embedding is not a ${dim}-dimension int8 vector` };
  const { v: _v, embedding: _e, source, ...rest } = r.data;
  return { ok: true, record: { ...rest, embedding, source: { topic: source.topic, ...(source.topicId ? { topicId: source.topicId } : {}), partition: source.partition, offset: source.offset } } };
}

/** Where a forget event sat in the comments topic, and its time. */
export interface ForgetPosition {
  partition: number;
  offset: number;
  /** the forget event's time, epoch ms */
  ts: number;
  /** the comments topic's ID when the forget was published (undefined: unknown) */
  topicId?: string | undefined;
}

/**
 * Whether a forget erases a feature record of its user: every comment before it. In the forget's
 * own partition "before" is a lower offset (Kafka's order); in another partition, where no order
 * with the forget exists (a producer that did not key by user id), an event time at or before the
 * forget's; a record of an older incarnation of the comments topic always. A comment after the
 * forget is the user writing again, and is kept.
 */
export function erasedBy(r: Pick<FeatureRecord, 'ts' | 'source'>, f: ForgetPosition): boolean {
  if (r.source.topicId && f.topicId && r.source.topicId !== f.topicId) return true;
  if (r.source.partition === f.partition) return r.source.offset < f.offset;
  return r.ts <= f.ts;
}

/** Event time and source position of a record's value, without decoding the vector; undefined when it is not one. */
export function featurePosition(value: string | Buffer): Pick<FeatureRecord, 'ts' | 'source'> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(value.toString());
  } catch {
    return undefined;
  }
  const r = FeatureRecordJson.safeParse(raw);
  if (!r.success) return undefined;
  const { ts, source } = r.data;
  return { ts, source: { topic: source.topic, ...(source.topicId ? { topicId: source.topicId } : {}), partition: source.partition, offset: source.offset } };
}
