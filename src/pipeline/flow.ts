/**
 * The comment flow: one batch of comment records in; profile events and dead letters out.
 *
 *   decode → preprocess → embed → classify → store (fold, compare-and-set)   [this file]
 *   → publish profiles and dead letters → commit                            [the runner: src/kafka/runner.ts]
 *
 * Each stage is one file under stages/, in flow order, with one contract (stage.ts). This file
 * composes them once and does, for every stage, what no stage does itself: timing, counting and
 * dead-lettering rejections. No Kafka client here: the runner feeds records, sends what comes out,
 * and commits only after.
 */
import type { Classifier } from '../classify/index.js';
import type { Embedder } from '../embed/types.js';
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
    return { profiles, deadLetters, stats: batch.stats, timings, folded: batch.folded, features: batch.features };
  }

  /** One batch's context, and the one place a stage is run: timed, its rejections counted and dead-lettered. */
  private begin(records: readonly InRecord[]) {
    const now = this.clock();
    const batch: BatchContext = {
      now,
      classifier: this.deps.classifier(),
      store: this.deps.store(),
      stats: { records: records.length, comments: 0, applied: 0, duplicates: 0, redelivered: 0, repeated: 0, fenced: 0, staleIncarnations: 0, suppressed: 0, forgotten: 0, rejected: {}, users: 0, conflicts: 0 },
      folded: { eventTs: [], recordTs: [] },
      features: [],
    };
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
