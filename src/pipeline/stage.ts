/**
 * The stage contract of the comment flow (flow.ts): a batch of items in; the items that go on, plus
 * the records the stage rejects with a reason code, out. A stage does one step and nothing else:
 * the flow times every stage, counts and dead-letters every rejection, and keeps each item's place,
 * so the items of one user reach the store stage in partition order.
 */
import type { Classifier } from '../classify/index.js';
import type { CommentEvent, ForgetEvent } from '../events/index.js';
import type { InRecord, OutRecord, Republish } from '../kafka/types.js';
import type { ProfileStore } from '../store/index.js';
import type { Lang } from '../text/index.js';
import type { Rejection } from '../util/errors.js';

export type { InRecord, OutRecord };

/** Stage names, in flow order (also the `stage` label of portrait_stage_duration_seconds, with `produce`). */
export type StageName = 'decode' | 'preprocess' | 'embed' | 'classify' | 'store';

export interface Stage<I, O> {
  readonly name: StageName;
  run(items: readonly I[], batch: BatchContext): StageResult<O> | Promise<StageResult<O>>;
}

export interface StageResult<O> {
  /** the items that go on to the next stage, in the order they came */
  out: O[];
  /** records this stage refused: dead-lettered with the rejection's code by the flow */
  rejected?: { rec: InRecord; rejection: Rejection }[];
}

/** What every stage of one batch sees: read once per batch, so a hot swap or a namespace switch takes effect between batches. */
export interface BatchContext {
  /** the batch's clock reading, epoch ms */
  now: number;
  classifier: Classifier;
  store: ProfileStore;
  /** counters the stages add to */
  stats: BatchStats;
  /** event time and record timestamp of every comment folded into a written profile (the store stage fills it) */
  folded: { eventTs: number[]; recordTs: number[] };
  /** feature-log records of the comments folded into written profiles (the store stage fills it when the feature log is on) */
  features: OutRecord[];
  /** per user published, what their last record publishes (the store stage fills it; confirm.ts checks it after publishing) */
  published: Map<string, PublishedHead>;
}

/** What a user's last published record says: a profile's version and write token, or null for a tombstone. */
export type PublishedHead = { version: number; token: string } | null;

// The items, as each stage leaves them. A forget passes through every stage untouched.

export interface ForgetItem {
  rec: InRecord;
  event: ForgetEvent;
}
interface CommentItem {
  rec: InRecord;
  event: CommentEvent;
}
export type Decoded = ForgetItem | CommentItem;
/** `text`: all that is embedded; `chunks`: the pieces the embedder sees (one, `[text]`, for most comments: src/text/chunk.ts) */
export type Prepared = ForgetItem | (CommentItem & { text: string; chunks: string[]; terms: string[]; lang: Lang });
export type Embedded = ForgetItem | (CommentItem & { text: string; chunks: string[]; terms: string[]; lang: Lang; vector: Float32Array });
export type Labelled = ForgetItem | (CommentItem & { terms: string[]; lang: Lang; vector: Float32Array; probs: Record<string, number> });

export const isForget = (item: { event: CommentEvent | ForgetEvent }): item is ForgetItem => item.event.type === 'forget';

export interface BatchStats {
  records: number;
  comments: number;
  applied: number;
  /** skipped as already applied: `redelivered` (offset) + `repeated` (event id) */
  duplicates: number;
  /** skipped because their offset was already applied in this incarnation of the topic (a redelivery) */
  redelivered: number;
  /** skipped because their event id was folded before at another offset (a repeat) */
  repeated: number;
  /** users whose stored state belonged to an older state epoch and was not trusted (continuity.ts) */
  fenced: number;
  /** users whose applied offsets of an older incarnation of a topic were dropped */
  staleIncarnations: number;
  suppressed: number;
  forgotten: number;
  rejected: Record<string, number>;
  users: number;
  conflicts: number;
  /** users written whose applied offsets name more than one partition of the comments topic (spread.ts) */
  spread: number;
}

export interface BatchOutput {
  /** per user touched: a tombstone if erased, then the current profile if there is one (key = userId) */
  profiles: OutRecord[];
  deadLetters: OutRecord[];
  stats: BatchStats;
  /** ms per stage of this batch */
  timings: Record<StageName, number>;
  /** event time and record timestamp of every comment folded into a written profile (latency metrics) */
  folded: BatchContext['folded'];
  /** feature-log records (kafka.featureLog), sent to the features topic with the profiles */
  features: OutRecord[];
  /** once the profiles are acknowledged: what to publish again because the store moved on meanwhile (confirm.ts) */
  confirm?: () => Promise<Republish | undefined>;
}
