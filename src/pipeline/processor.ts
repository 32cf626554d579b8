/**
 * One batch of comment records in; profile events and dead letters out. No Kafka client here: the
 * runner (src/kafka/runner.ts) feeds records and sends what comes out, and commits only after.
 *
 *   decode → preprocess → embed (batched, off-thread) → classify → per user: load, plan, erase / CAS-write
 */
import { randomBytes } from 'node:crypto';
import type { Classifier } from '../classify/index.js';
import type { Embedder } from '../embed/types.js';
import { deadLetter, decodeRecord, type CommentEvent, type ForgetEvent } from '../events/index.js';
import { historyEntry } from '../events/history-entry.js';
import { emptyState, encodeState, finalize, type FinalizeOptions, type ProfileParams } from '../profile/index.js';
import type { LoadedUser, ProfileStore, ProfileWrite } from '../store/index.js';
import type { Epoch } from '../store/continuity.js';
import { isRejection, preprocess, type PreprocessOptions } from '../text/index.js';
import { PortraitError, type Rejection } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { planUser, type UserItem, type UserPlan } from './plan.js';
import type { StateCache } from './state-cache.js';
import { buildProfileEvent, serializeProfileEvent } from './profile-event.js';

export interface InRecord {
  topic: string;
  /** the topic's ID (KIP-516) as the runner found it for this chunk; undefined when unknown */
  topicId?: string | undefined;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string | undefined>;
  /** the Kafka record timestamp, epoch ms (for ingestion-to-profile latency) */
  timestamp?: number;
}

export interface OutRecord {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string>;
}

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
}

export interface BatchOutput {
  /** per user touched: a tombstone if erased, then the current profile if there is one (key = userId) */
  profiles: OutRecord[];
  deadLetters: OutRecord[];
  stats: BatchStats;
  /** stage timings of this batch, ms */
  timings: { decode: number; embed: number; classify: number; store: number };
  /** event time and record timestamp of every comment folded into a written profile (latency metrics) */
  folded: { eventTs: number[]; recordTs: number[] };
}

export interface ProcessorDeps {
  embedder: Embedder;
  /** the classifier in force; read once per batch so a hot swap takes effect between batches */
  classifier: () => Classifier;
  /** the store in force; read once per batch so a namespace switch takes effect between batches */
  store: () => ProfileStore;
  params: ProfileParams;
  /** unmix interests with the classifier's held-out confusion when it has one (profile.unmix); absent = plain means */
  unmix?: { prior: number } | undefined;
  /** event ids remembered per user: a repeated id at a new offset is not counted again (events.dedupeWindow; 0 = by offset only) */
  dedupeWindow?: number;
  text: PreprocessOptions;
  decode: { maxRecordBytes: number; maxFutureMs: number; minTs: number };
  clock?: () => number;
  log: Logger;
  /** states this processor wrote last: saves the read before the fold (validated by the CAS) */
  stateCache?: StateCache;
  /**
   * the state epoch of a namespace (src/pipeline/continuity.ts): stamped on every write; a stored
   * state of another epoch is fenced off (its version and token still guard the write, its contents
   * are not trusted); versions stay above the epoch's floor. Absent: no epochs (tests of pure logic).
   */
  epoch?: (namespace: string) => Epoch | undefined;
}

interface Prepared {
  rec: InRecord;
  event: CommentEvent;
  text: string;
  terms: string[];
}

const MAX_CAS_ATTEMPTS = 5;
/**
 * Users folded and encoded between two yields to the event loop: a 64-record chunk of new users
 * costs ~15-30 ms of main-thread work, and Kafka heartbeats, fetch responses and the other
 * partitions' Redis replies should not wait that long (event-loop delay).
 */
const USERS_PER_SLICE = 16;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class BatchProcessor {
  private readonly clock: () => number;
  /** write tokens: a random prefix per processor and a counter, so no two writes anywhere share one */
  private readonly tokenPrefix = randomBytes(9).toString('base64url');
  private tokenSeq = 0;

  constructor(private readonly deps: ProcessorDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  async process(records: readonly InRecord[]): Promise<BatchOutput> {
    const now = this.clock();
    const t0 = performance.now();
    const deadLetters: OutRecord[] = [];
    const rejected: Record<string, number> = {};
    const rejectRecord = (rec: InRecord, r: Rejection) => {
      rejected[r.code] = (rejected[r.code] ?? 0) + 1;
      deadLetters.push(deadLetter({ key: rec.key, value: rec.value, headers: rec.headers }, r, { topic: rec.topic, partition: rec.partition, offset: rec.offset }, now));
    };

    // 1-2. decode and preprocess; keep every valid event's place in its user's order
    const prepared: Prepared[] = [];
    const order: ({ kind: 'comment'; i: number } | { kind: 'forget'; rec: InRecord; event: ForgetEvent })[] = [];
    for (const rec of records) {
      const d = decodeRecord({ key: rec.key, value: rec.value }, { ...this.deps.decode, now });
      if (!d.ok) {
        rejectRecord(rec, d.rejection);
        continue;
      }
      if (d.event.type === 'forget') {
        order.push({ kind: 'forget', rec, event: d.event });
        continue;
      }
      const p = preprocess(d.event.text, this.deps.text);
      if (isRejection(p)) {
        rejectRecord(rec, p);
        continue;
      }
      order.push({ kind: 'comment', i: prepared.length });
      prepared.push({ rec, event: d.event, text: p.text, terms: p.tokens });
    }
    const t1 = performance.now();

    // 3-4. embed and classify the whole batch at once
    const classifier = this.deps.classifier();
    const store = this.deps.store();
    const vectors = await this.deps.embedder.embed(prepared.map((p) => p.text));
    const t2 = performance.now();
    const probs = classifier.predict(vectors);
    const t3 = performance.now();
    const finalizeOptions: FinalizeOptions = this.deps.unmix && classifier.confusion ? { unmix: { confusion: classifier.confusion, prior: this.deps.unmix.prior } } : {};

    const byUser = new Map<string, UserItem[]>();
    const push = (userId: string, item: UserItem) => {
      const list = byUser.get(userId);
      if (list) list.push(item);
      else byUser.set(userId, [item]);
    };
    for (const o of order) {
      if (o.kind === 'forget') {
        push(o.event.userId, { kind: 'forget', forget: { topic: o.rec.topic, topicId: o.rec.topicId, partition: o.rec.partition, offset: o.rec.offset, eventId: o.event.eventId, ts: o.event.ts } });
        continue;
      }
      const p = prepared[o.i]!;
      push(p.event.userId, {
        kind: 'comment',
        event: {
          topic: p.rec.topic,
          topicId: p.rec.topicId,
          partition: p.rec.partition,
          offset: p.rec.offset,
          observation: { eventId: p.event.eventId, commentId: p.event.commentId, ts: p.event.ts, probs: probs[o.i]!, embedding: vectors[o.i]!, terms: p.terms },
        },
      });
    }

    // 5. plan per user; erase, then compare-and-set; retry the users that lost a race
    const epoch = this.deps.epoch?.(store.namespace);
    const stats: BatchStats = { records: records.length, comments: prepared.length, applied: 0, duplicates: 0, redelivered: 0, repeated: 0, fenced: 0, staleIncarnations: 0, suppressed: 0, forgotten: 0, rejected, users: byUser.size, conflicts: 0 };
    const profiles: OutRecord[] = [];
    const republish: string[] = [];
    const folded: BatchOutput['folded'] = { eventTs: [], recordTs: [] };
    // the first delivery of an event id is the one fold counts; a repeat later in the batch is skipped
    const times = new Map<string, { ts: number; recordTs: number | undefined }>();
    for (const p of prepared) if (!times.has(p.event.eventId)) times.set(p.event.eventId, { ts: p.event.ts, recordTs: p.rec.timestamp });
    const dim = this.deps.embedder.dim;
    let pending = [...byUser.keys()];
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_CAS_ATTEMPTS) {
        throw new PortraitError('STORE_CONFLICT', `profiles of ${pending.length} user(s) kept changing under this processor (another consumer writing the same users?)`);
      }
      // Users whose state this processor wrote last need no read; the CAS below validates it.
      const cache = attempt === 1 ? this.deps.stateCache : undefined;
      const toLoad = cache ? pending.filter((u) => !cache.has(store.namespace, u)) : pending;
      const loaded = toLoad.length > 0 ? await store.load(toLoad, dim) : new Map<string, LoadedUser>();
      if (cache) for (const u of pending) if (!loaded.has(u)) loaded.set(u, { profile: cache.get(store.namespace, u, dim)!, suppression: null });
      // a state of an older epoch (written before Redis lost the namespace's record, or while it was
      // losing it) is not trusted: fold from scratch, but keep its version and token for the CAS
      if (epoch) {
        for (const [u, l] of loaded) {
          const pr = l.profile;
          if (pr && pr.epoch && pr.epoch !== epoch.id) {
            loaded.set(u, { ...l, profile: { version: pr.version, token: pr.token ?? '', state: emptyState(dim), applied: {}, recent: '', epoch: pr.epoch } });
            if (attempt === 1) stats.fenced++;
          }
        }
      }
      const plans = new Map<string, UserPlan>();
      let slice = 0;
      for (const userId of pending) {
        plans.set(userId, planUser(byUser.get(userId)!, loaded.get(userId) as LoadedUser, this.deps.params, dim, this.deps.dedupeWindow));
        if (++slice % USERS_PER_SLICE === 0) await yieldToLoop();
      }

      // erasures first: suppression recorded, every key deleted, tombstone published
      const erased = [...plans].filter(([, p]) => p.forget);
      for (const [u] of erased) this.deps.stateCache?.delete(store.namespace, u);
      await Promise.all(erased.map(([u, p]) => store.forget(u, p.forget!.suppression, p.forget!.eventId, now)));
      for (const [u] of erased) profiles.push({ key: u, value: null });

      const writes: ProfileWrite[] = [];
      const built = new Map<string, string>();
      for (const [userId, plan] of plans) {
        if (++slice % USERS_PER_SLICE === 0) await yieldToLoop();
        if (plan.fold.eventIds.length === 0) {
          // resolved without a write: counted once, here
          stats.duplicates += plan.fold.duplicates + plan.fold.repeats;
          stats.redelivered += plan.fold.duplicates;
          stats.repeated += plan.fold.repeats;
          stats.suppressed += plan.suppressed;
          if (plan.forget) stats.forgotten++;
          // a redelivery: its profile event may have been lost in a crash (a repeated event id was
          // published with its first delivery)
          else if (plan.base && plan.fold.duplicates > 0) republish.push(userId);
          continue;
        }
        // A redelivery cut into other chunks than the first delivery: some of the user's events
        // were applied (and their version published, unless a crash intervened) and some are new.
        // Re-publish the stored version first, so the topic never skips a version.
        if (plan.base && plan.fold.duplicates > 0) {
          const stored = await store.getProfile(userId);
          if (stored !== null) profiles.push({ key: userId, value: JSON.stringify(stored) });
        }
        // versions only go up, across a lost state too: an epoch begun after a loss has a floor
        const version = Math.max(plan.base?.version ?? 0, epoch?.floor ?? 0) + 1;
        const event = buildProfileEvent({
          userId,
          version,
          updatedAt: now,
          derived: finalize(plan.fold.state, this.deps.params, finalizeOptions),
          embedder: { id: this.deps.embedder.id, dim },
          classifier: { kind: classifier.kind, version: classifier.version },
          causedBy: plan.fold.eventIds,
          namespace: store.namespace,
        });
        const json = serializeProfileEvent(event);
        built.set(userId, json);
        writes.push({
          userId,
          expectedVersion: plan.base?.version ?? 0,
          expectedToken: plan.base?.token ?? '',
          version,
          token: `${this.tokenPrefix}.${(this.tokenSeq++).toString(36)}`,
          state: plan.fold.state,
          encoded: encodeState(plan.fold.state),
          applied: plan.fold.applied,
          recent: plan.fold.recent,
          ...(epoch ? { epoch: epoch.id } : {}),
          profileJson: json,
          historyJson: JSON.stringify(historyEntry(event)),
          updatedAt: now,
        });
      }
      const results = writes.length > 0 ? await store.apply(writes) : new Map();
      const retry: string[] = [];
      for (const w of writes) {
        const plan = plans.get(w.userId)!;
        if (results.get(w.userId)?.ok) {
          this.deps.stateCache?.set(store.namespace, w.userId, { version: w.version, state: w.state, applied: w.applied, recent: w.recent ?? '', token: w.token! }, w.encoded);
          profiles.push({ key: w.userId, value: built.get(w.userId)! });
          stats.applied += plan.fold.eventIds.length;
          for (const id of plan.fold.eventIds) {
            const t = times.get(id);
            if (t) {
              folded.eventTs.push(t.ts);
              if (t.recordTs !== undefined) folded.recordTs.push(t.recordTs);
            }
          }
          stats.duplicates += plan.fold.duplicates + plan.fold.repeats;
          stats.redelivered += plan.fold.duplicates;
          stats.repeated += plan.fold.repeats;
          stats.staleIncarnations += plan.fold.staleIncarnations;
          stats.suppressed += plan.suppressed;
          if (plan.forget) stats.forgotten++;
        } else {
          this.deps.stateCache?.delete(store.namespace, w.userId);
          retry.push(w.userId);
          stats.conflicts++;
        }
      }
      pending = retry;
    }

    // Users whose events were all applied before (a redelivery): publish their current profile
    // again, same version, so a profile event lost between the Redis write and a crash is sent.
    const again = await Promise.all(republish.map((u) => store.getProfile(u)));
    republish.forEach((u, i) => {
      if (again[i] !== null) profiles.push({ key: u, value: JSON.stringify(again[i]) });
    });
    const t4 = performance.now();

    if (stats.conflicts > 0) this.deps.log.warn({ conflicts: stats.conflicts }, 'profile version conflicts resolved by re-reading');
    return { profiles, deadLetters, stats, timings: { decode: t1 - t0, embed: t2 - t1, classify: t3 - t2, store: t4 - t3 }, folded };
  }
}
