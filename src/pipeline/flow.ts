/**
 * The comment flow: one batch of comment records in; profile events and dead letters out.
 *
 *   decode → preprocess → embed → classify → store (fold, compare-and-set)   [this file]
 *   → publish profiles and dead letters                                     [the runner: src/kafka/runner.ts]
 *   → confirm (each user's last published profile is the stored one)       [confirm.ts, run by the runner]
 *   → commit                                                                [the runner]
 *
 * A rebuild from the feature log (`FeatureFlow`, below) starts at classify: the records already hold
 * what preprocess and embed made of each comment.
 *
 * Each stage is one file under stages/, in flow order, with one contract (stage.ts). This file
 * composes them once and does, for every stage, what no stage does itself: timing, counting and
 * dead-lettering rejections. No Kafka client here: the runner feeds records, sends what comes out,
 * and commits only after.
 */
import type { Classifier } from '../classify/index.js';
import type { Embedder } from '../embed/types.js';
import { decodeFeatureRecord } from '../events/feature-record.js';
import { deadLetter } from '../events/index.js';
import type { RecordHandler } from '../kafka/types.js';
import type { ProfileStore } from '../store/index.js';
import type { PreprocessOptions } from '../text/index.js';
import type { BatchContext, BatchOutput, Decoded, Embedded, InRecord, Labelled, OutRecord, Prepared, Stage, StageName } from './stage.js';
import { decodeStage, type DecodeOptions } from './stages/1-decode.js';
import { preprocessStage } from './stages/2-preprocess.js';
import { embedStage } from './stages/3-embed.js';
import { classifyStage } from './stages/4-classify.js';
import { StoreStage, type StoreOptions } from './stages/5-store.js';
import { confirmer } from './confirm.js';

export interface FlowDeps extends Omit<StoreOptions, 'embedder'> {
  embedder: Embedder;
  /** the classifier in force; read once per batch so a hot swap takes effect between batches */
  classifier: () => Classifier;
  /** the store in force; read once per batch so a namespace switch takes effect between batches */
  store: () => ProfileStore;
  text: PreprocessOptions;
  decode: DecodeOptions;
  clock?: () => number;
}

/** A batch's context, read once per batch (the classifier and store in force), with zeroed counters. */
function newBatch(now: number, records: number, deps: Pick<FlowDeps, 'classifier' | 'store'>): BatchContext {
  return {
    now,
    classifier: deps.classifier(),
    store: deps.store(),
    stats: { records, comments: 0, applied: 0, duplicates: 0, redelivered: 0, repeated: 0, fenced: 0, staleIncarnations: 0, suppressed: 0, forgotten: 0, rejected: {}, users: 0, conflicts: 0, spread: 0 },
    folded: { eventTs: [], recordTs: [] },
    features: [],
    published: new Map(),
  };
}

export class CommentFlow implements RecordHandler<BatchOutput> {
  private readonly decode: Stage<InRecord, Decoded>;
  private readonly preprocess: Stage<Decoded, Prepared>;
  private readonly embed: Stage<Prepared, Embedded>;
  private readonly classify: Stage<Embedded, Labelled>;
  private readonly store: Stage<Labelled, OutRecord>;
  private readonly clock: () => number;

  constructor(private readonly deps: FlowDeps) {
    this.decode = decodeStage(deps.decode);
    this.preprocess = preprocessStage(deps.text);
    this.embed = embedStage(deps.embedder);
    this.classify = classifyStage();
    this.store = new StoreStage(deps);
    this.clock = deps.clock ?? Date.now;
  }

  async process(records: readonly InRecord[]): Promise<BatchOutput> {
    const { batch, deadLetters, timings, run } = this.begin(records);
    const decoded = await run(this.decode, records);
    const prepared = await run(this.preprocess, decoded);
    batch.stats.comments = prepared.filter((p) => p.event.type === 'comment').length;
    const embedded = await run(this.embed, prepared);
    const labelled = await run(this.classify, embedded);
    const profiles = await run(this.store, labelled);
    return { profiles, deadLetters, stats: batch.stats, timings, folded: batch.folded, features: batch.features, confirm: confirmer(batch.store, batch.published) };
  }

  /** One batch's context, and the one place a stage is run: timed, its rejections counted and dead-lettered. */
  private begin(records: readonly InRecord[]) {
    const now = this.clock();
    const batch = newBatch(now, records.length, this.deps);
    const deadLetters: OutRecord[] = [];
    const timings = { decode: 0, preprocess: 0, embed: 0, classify: 0, store: 0 } satisfies Record<StageName, number>;
    const run = async <I, O>(stage: Stage<I, O>, items: readonly I[]): Promise<O[]> => {
      const t0 = performance.now();
      const { out, rejected = [] } = await stage.run(items, batch);
      timings[stage.name] += performance.now() - t0;
      for (const { rec, rejection } of rejected) {
        batch.stats.rejected[rejection.code] = (batch.stats.rejected[rejection.code] ?? 0) + 1;
        deadLetters.push(deadLetter({ key: rec.key, value: rec.value, headers: rec.headers }, rejection, { topic: rec.topic, partition: rec.partition, offset: rec.offset }, now));
      }
      return out;
    };
    return { batch, deadLetters, timings, run };
  }
}

/**
 * The feature-log flow (a rebuild, `portrait replay --source features`): feature records in
 * (src/events/feature-record.ts), each turned back into the comment it was folded from — at its
 * position in the comments topic, so applied offsets and erasure suppression work as on the
 * comments — then classify → store. No model call: the record holds the int8 vector. A record that
 * does not decode (another dimension, a corrupt value) is counted as rejected; tombstones are
 * skipped (a forgotten user's records). Nothing is published (a rebuild), so nothing is dead-lettered.
 */
export class FeatureFlow implements RecordHandler<BatchOutput> {
  private readonly classify: Stage<Embedded, Labelled>;
  private readonly store: Stage<Labelled, OutRecord>;
  private readonly clock: () => number;
  /** per partition of the comments topic, the highest source offset read + 1 (where a catch-up on the comments starts) */
  readonly sourceEnds = new Map<number, number>();

  constructor(private readonly deps: Omit<FlowDeps, 'text' | 'decode'>) {
    this.classify = classifyStage();
    this.store = new StoreStage({ ...deps, featureLog: false });
    this.clock = deps.clock ?? Date.now;
  }

  async process(records: readonly InRecord[]): Promise<BatchOutput> {
    const now = this.clock();
    const batch = newBatch(now, records.length, this.deps);
    const timings = { decode: 0, preprocess: 0, embed: 0, classify: 0, store: 0 } satisfies Record<StageName, number>;
    const t0 = performance.now();
    const items: Embedded[] = [];
    for (const rec of records) {
      if (rec.value === null) continue;
      const d = decodeFeatureRecord(rec.value, this.deps.embedder.dim);
      if (!d.ok) {
        batch.stats.rejected.REJECT_FEATURE = (batch.stats.rejected.REJECT_FEATURE ?? 0) + 1;
        continue;
      }
      const f = d.record;
      const source: InRecord = {
        topic: f.source.topic,
        topicId: f.source.topicId,
        partition: f.source.partition,
        offset: f.source.offset,
        key: Buffer.from(f.userId),
        value: null,
        headers: {},
        ...(rec.timestamp !== undefined ? { timestamp: rec.timestamp } : {}),
      };
      this.sourceEnds.set(f.source.partition, Math.max(this.sourceEnds.get(f.source.partition) ?? 0, f.source.offset + 1));
      const event = { type: 'comment' as const, schemaVersion: 1 as const, eventId: f.eventId, userId: f.userId, commentId: f.commentId, text: '', ts: f.ts };
      items.push({ rec: source, event, text: '', chunks: [], terms: [...f.terms], lang: f.lang, vector: f.embedding });
    }
    batch.stats.comments = items.length;
    timings.decode = performance.now() - t0;
    const t1 = performance.now();
    const labelled = (await this.classify.run(items, batch)).out;
    timings.classify = performance.now() - t1;
    const t2 = performance.now();
    const profiles = (await this.store.run(labelled, batch)).out;
    timings.store = performance.now() - t2;
    return { profiles, deadLetters: [], stats: batch.stats, timings, folded: batch.folded, features: [] };
  }
}
