/**
 * One batch of comment records in; profile events and dead letters out. No Kafka client here: the
 * runner (src/kafka/runner.ts) feeds records and sends what comes out, and commits only after.
 *
 *   decode → preprocess → embed (batched, off-thread) → classify → per user: load, fold, CAS-write
 */
import type { Classifier } from '../classify/index.js';
import type { Embedder } from '../embed/types.js';
import { deadLetter, decodeRecord, encodeProfileEvent, type CommentEvent } from '../events/index.js';
import { finalize, type Observation, type ProfileParams } from '../profile/index.js';
import type { ProfileStore, ProfileWrite } from '../store/index.js';
import { isRejection, preprocess, type PreprocessOptions } from '../text/index.js';
import { PortraitError, type Rejection } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { foldUserEvents, type UserEvent } from './fold.js';
import { buildProfileEvent } from './profile-event.js';

export interface InRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string | undefined>;
}

export interface OutRecord {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string>;
}

export interface BatchOutput {
  /** one per user touched by the batch (key = userId), the user's current profile */
  profiles: OutRecord[];
  deadLetters: OutRecord[];
  stats: { records: number; comments: number; applied: number; duplicates: number; rejected: Record<string, number>; users: number; conflicts: number };
}

export interface ProcessorDeps {
  embedder: Embedder;
  /** the classifier in force; read once per batch so a hot swap takes effect between batches */
  classifier: () => Classifier;
  store: ProfileStore;
  params: ProfileParams;
  text: PreprocessOptions;
  decode: { maxRecordBytes: number; maxFutureMs: number; minTs: number };
  clock?: () => number;
  log: Logger;
}

interface Prepared {
  rec: InRecord;
  event: CommentEvent;
  text: string;
  terms: string[];
}

const MAX_CAS_ATTEMPTS = 5;

export class BatchProcessor {
  private readonly clock: () => number;

  constructor(private readonly deps: ProcessorDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  async process(records: readonly InRecord[]): Promise<BatchOutput> {
    const now = this.clock();
    const deadLetters: OutRecord[] = [];
    const rejected: Record<string, number> = {};
    const rejectRecord = (rec: InRecord, r: Rejection) => {
      rejected[r.code] = (rejected[r.code] ?? 0) + 1;
      const dl = deadLetter({ key: rec.key, value: rec.value, headers: rec.headers }, r, { topic: rec.topic, partition: rec.partition, offset: rec.offset }, now);
      deadLetters.push(dl);
    };

    // 1-2. decode and preprocess
    const prepared: Prepared[] = [];
    for (const rec of records) {
      const d = decodeRecord({ key: rec.key, value: rec.value }, { ...this.deps.decode, now });
      if (!d.ok) {
        rejectRecord(rec, d.rejection);
        continue;
      }
      if (d.event.type !== 'comment') {
        rejectRecord(rec, { code: 'REJECT_UNSUPPORTED_TYPE', detail: `event type '${d.event.type}' is not processed by this version` });
        continue;
      }
      const p = preprocess(d.event.text, this.deps.text);
      if (isRejection(p)) {
        rejectRecord(rec, p);
        continue;
      }
      prepared.push({ rec, event: d.event, text: p.text, terms: p.tokens });
    }

    // 3-4. embed and classify the whole batch at once
    const classifier = this.deps.classifier();
    const vectors = await this.deps.embedder.embed(prepared.map((p) => p.text));
    const probs = classifier.predict(vectors);

    // group per user, keeping partition order
    const byUser = new Map<string, UserEvent[]>();
    prepared.forEach((p, i) => {
      const obs: Observation = {
        eventId: p.event.eventId,
        commentId: p.event.commentId,
        ts: p.event.ts,
        probs: probs[i]!,
        embedding: vectors[i]!,
        terms: p.terms,
      };
      const list = byUser.get(p.event.userId) ?? [];
      list.push({ topic: p.rec.topic, partition: p.rec.partition, offset: p.rec.offset, observation: obs });
      byUser.set(p.event.userId, list);
    });

    // 5. fold per user and compare-and-set into the store; retry the users that lost a race
    const profiles: OutRecord[] = [];
    const republish: string[] = [];
    let applied = 0;
    let duplicates = 0;
    let conflicts = 0;
    let pending = [...byUser.keys()];
    const dim = this.deps.embedder.dim;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_CAS_ATTEMPTS) {
        throw new PortraitError('STORE_CONFLICT', `profiles of ${pending.length} user(s) kept changing under this processor (another consumer writing the same users?)`);
      }
      const stored = await this.deps.store.load(pending, dim);
      const writes: ProfileWrite[] = [];
      const folded = new Map<string, { json: string; applied: number; duplicates: number }>();
      for (const userId of pending) {
        const s = stored.get(userId) ?? null;
        const fold = foldUserEvents(s, byUser.get(userId)!, this.deps.params, dim);
        if (fold.eventIds.length === 0) {
          duplicates += fold.duplicates;
          if (s) republish.push(userId);
          continue;
        }
        const version = (s?.version ?? 0) + 1;
        const encoded = encodeProfileEvent(
          buildProfileEvent({
            userId,
            version,
            updatedAt: now,
            derived: finalize(fold.state, this.deps.params),
            embedder: { id: this.deps.embedder.id, dim },
            classifier: { kind: classifier.kind, version: classifier.version },
            causedBy: fold.eventIds,
            namespace: this.deps.store.namespace,
          }),
        );
        if (!encoded.ok) throw new PortraitError('PROFILE_INVALID', `built an invalid profile event for ${JSON.stringify(userId)}: ${encoded.detail}`, { retriable: false });
        const json = encoded.value.toString('utf8');
        folded.set(userId, { json, applied: fold.eventIds.length, duplicates: fold.duplicates });
        writes.push({ userId, expectedVersion: s?.version ?? 0, version, state: fold.state, applied: fold.applied, profileJson: json, updatedAt: now });
      }
      const results = writes.length > 0 ? await this.deps.store.apply(writes) : new Map();
      const retry: string[] = [];
      for (const w of writes) {
        const f = folded.get(w.userId)!;
        if (results.get(w.userId)?.ok) {
          profiles.push({ key: w.userId, value: f.json });
          applied += f.applied;
          duplicates += f.duplicates;
        } else {
          retry.push(w.userId);
          conflicts++;
        }
      }
      pending = retry;
    }

    // users whose events were all applied before (redelivery): publish their current profile again,
    // same version, so a profile event lost between a Redis write and a crash is never lost for good
    for (const userId of republish) {
      const p = await this.deps.store.getProfile(userId);
      if (p !== null) profiles.push({ key: userId, value: JSON.stringify(p) });
    }

    if (conflicts > 0) this.deps.log.warn({ conflicts }, 'profile version conflicts resolved by re-reading');
    return {
      profiles,
      deadLetters,
      stats: { records: records.length, comments: prepared.length, applied, duplicates, rejected, users: byUser.size, conflicts },
    };
  }
}
