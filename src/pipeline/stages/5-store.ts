/**
 * Stage 5: fold each user's new events into their stored aggregate and write it, at most once.
 *
 * Per user, in partition order: load the stored state (or take the one this processor wrote last),
 * plan (plan.ts: erasures, suppression, the fold of fold.ts), erase first, then compare-and-set the
 * new state with its profile event (apply-profile Lua); users that lost a race are re-read and
 * folded again. Out: per user touched, a tombstone if erased, then the current profile event.
 */
import { randomBytes } from 'node:crypto';
import type { Embedder } from '../../embed/types.js';
import { encodeFeatureRecord } from '../../events/feature-record.js';
import { historyEntry } from '../../events/history-entry.js';
import { profileView } from '../../events/profile-event.js';
import { emptyState, encodeState, finalize, type FinalizeOptions, type ProfileParams } from '../../profile/index.js';
import type { Epoch } from '../../store/continuity.js';
import type { LoadedUser, ProfileWrite, SimilarEntry, StoredHead } from '../../store/index.js';
import { PortraitError } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import { partitionsOf } from '../fold.js';
import { isSuppressed, planUser, type UserItem, type UserPlan } from '../plan.js';
import { buildProfileEvent, type EventCentroid, serializeProfileEvent } from '../profile-event.js';
import { type SpreadUser, SpreadWarnings, spreadSets } from '../spread.js';
import type { StateCache } from '../state-cache.js';
import { isForget, type BatchContext, type Labelled, type OutRecord, type Stage } from '../stage.js';

export interface StoreOptions {
  /** only its id and dim: the profile event names the model, the state's centroid has its dimension */
  embedder: Pick<Embedder, 'id' | 'dim'>;
  params: ProfileParams;
  /** unmix interests with the classifier's held-out confusion when it has one (profile.unmix); absent = plain means */
  unmix?: { prior: number } | undefined;
  /** how profile events carry the centroid (profile.eventCentroid); default 'compact' (schemaVersion 2, int8) */
  eventCentroid?: EventCentroid | undefined;
  /** event ids remembered per user: a repeated id at a new offset is not counted again (events.dedupeWindow; 0 = by offset only) */
  dedupeWindow?: number | undefined;
  /** states this processor wrote last: saves the read before the fold (validated by the CAS) */
  stateCache?: StateCache | undefined;
  /**
   * the state epoch of a namespace (src/pipeline/continuity.ts): stamped on every write; a stored
   * state of another epoch is fenced off (its version and token still guard the write, its contents
   * are not trusted); versions stay above the epoch's floor. Absent: no epochs (tests of pure logic).
   */
  epoch?: ((namespace: string) => Epoch | undefined) | undefined;
  /** write a feature-log record per comment folded into a written profile (kafka.featureLog; src/events/feature-record.ts) */
  featureLog?: boolean | undefined;
  log: Logger;
}

const MAX_CAS_ATTEMPTS = 5;
/**
 * Users folded and encoded between two yields to the event loop: a 64-record chunk of new users
 * costs ~15-30 ms of main-thread work, and Kafka heartbeats, fetch responses and the other
 * partitions' Redis replies should not wait that long (event-loop delay).
 */
const USERS_PER_SLICE = 16;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Each user's items in partition order: a forget as the erasure it asks for, a comment as the observation it adds. */
function byUser(items: readonly Labelled[]): Map<string, UserItem[]> {
  const users = new Map<string, UserItem[]>();
  for (const item of items) {
    const { rec, event } = item;
    const where = { topic: rec.topic, topicId: rec.topicId, partition: rec.partition, offset: rec.offset };
    const userItem: UserItem = isForget(item)
      ? { kind: 'forget', forget: { ...where, eventId: item.event.eventId, ts: item.event.ts } }
      : { kind: 'comment', event: { ...where, observation: { eventId: item.event.eventId, commentId: item.event.commentId, ts: item.event.ts, probs: item.probs, embedding: item.vector, terms: item.terms } } };
    const list = users.get(event.userId);
    if (list) list.push(userItem);
    else users.set(event.userId, [userItem]);
  }
  return users;
}

/** A state of an older epoch (written before Redis lost the namespace's record) is not trusted: fold from scratch, keeping its version and token for the CAS. */
function fenced(l: LoadedUser, epochId: string, dim: number): LoadedUser | undefined {
  const pr = l.profile;
  if (!pr?.epoch || pr.epoch === epochId) return undefined;
  return { ...l, profile: { version: pr.version, token: pr.token ?? '', state: emptyState(dim), applied: {}, recent: '', epoch: pr.epoch } };
}

export class StoreStage implements Stage<Labelled, OutRecord> {
  readonly name = 'store';
  /** write tokens: a random prefix per processor and a counter, so no two writes anywhere share one */
  private readonly tokenPrefix = randomBytes(9).toString('base64url');
  private tokenSeq = 0;
  private readonly spreadWarnings = new SpreadWarnings();

  constructor(private readonly opts: StoreOptions) {}

  async run(items: readonly Labelled[], batch: BatchContext): Promise<{ out: OutRecord[] }> {
    const { now, classifier, store, stats, folded } = batch;
    const { params, stateCache } = this.opts;
    const dim = this.opts.embedder.dim;
    const users = byUser(items);
    stats.users = users.size;
    // users with a forget applied before (a redelivery): the forget is dropped, their current state published again
    const reforgotten = await dropAppliedForgets(users, store);
    const finalizeOptions: FinalizeOptions = {
      classifierKind: classifier.kind,
      ...(this.opts.unmix && classifier.confusion ? { unmix: { confusion: classifier.confusion, prior: this.opts.unmix.prior } } : {}),
    };
    const epoch = this.opts.epoch?.(store.namespace);
    // the first delivery of an event id is the one fold counts; a repeat later in the batch is skipped
    const times = new Map<string, { ts: number; recordTs: number | undefined }>();
    for (const i of items) if (!isForget(i) && !times.has(i.event.eventId)) times.set(i.event.eventId, { ts: i.event.ts, recordTs: i.rec.timestamp });
    const firstOf = this.opts.featureLog ? firstComments(items) : undefined;

    const profiles: OutRecord[] = [];
    const spread: SpreadUser[] = [];
    const republish: string[] = [];
    // the stored versions of the users re-published: their similar-users snapshot entries are sent again too
    const refresh: SimilarEntry[] = [];
    // states written, cached only once the writes are confirmed on the replicas (below): a cached
    // state that a failover lost would let a retry skip its events as already applied
    const written = new Map<string, () => void>();
    let pending = [...users.keys()];
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_CAS_ATTEMPTS) {
        throw new PortraitError('STORE_CONFLICT', `profiles of ${pending.length} user(s) kept changing under this processor (another consumer writing the same users?)`);
      }
      // Users whose state this processor wrote last need no read; the CAS below validates it.
      const cache = attempt === 1 ? stateCache : undefined;
      const toLoad = cache ? pending.filter((u) => !cache.has(store.namespace, u)) : pending;
      const loaded = toLoad.length > 0 ? await store.load(toLoad, dim) : new Map<string, LoadedUser>();
      if (cache) for (const u of pending) if (!loaded.has(u)) loaded.set(u, cache.loaded(store.namespace, u, dim)!);
      if (epoch) {
        for (const [u, l] of loaded) {
          const f = fenced(l, epoch.id, dim);
          if (!f) continue;
          loaded.set(u, f);
          if (attempt === 1) stats.fenced++;
        }
      }
      const plans = new Map<string, UserPlan>();
      let slice = 0;
      for (const userId of pending) {
        plans.set(userId, planUser(users.get(userId)!, loaded.get(userId) as LoadedUser, params, dim, this.opts.dedupeWindow));
        if (++slice % USERS_PER_SLICE === 0) await yieldToLoop();
      }

      // erasures first: suppression recorded, every key deleted, tombstone published
      const erased = [...plans].filter(([, p]) => p.forget);
      for (const [u] of erased) stateCache?.delete(store.namespace, u);
      await Promise.all(erased.map(([u, p]) => store.forget(u, p.forget!.suppression, p.forget!.eventId, now)));
      for (const [u] of erased) {
        profiles.push({ key: u, value: null });
        batch.published.set(u, null);
      }

      const writes: ProfileWrite[] = [];
      const built = new Map<string, string>();
      for (const [userId, plan] of plans) {
        if (++slice % USERS_PER_SLICE === 0) await yieldToLoop();
        if (plan.fold.eventIds.length === 0) {
          // resolved without a write: counted once, here
          count(stats, plan);
          // a redelivery: its profile event may have been lost in a crash (a repeated event id was
          // published with its first delivery)
          if (!plan.forget && plan.base && plan.fold.duplicates > 0) {
            republish.push(userId);
            if (store.refreshSimilar) refresh.push({ userId, version: plan.base.version, centroid: finalize(plan.base.state, params, finalizeOptions).centroid });
          }
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
        const derived = finalize(plan.fold.state, params, finalizeOptions);
        const event = buildProfileEvent({
          userId,
          version,
          updatedAt: now,
          derived,
          embedder: { id: this.opts.embedder.id, dim },
          classifier: { kind: classifier.kind, version: classifier.version },
          causedBy: plan.fold.eventIds,
          namespace: store.namespace,
          centroid: this.opts.eventCentroid ?? 'compact',
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
          historyJson: JSON.stringify(historyEntry(profileView(event))),
          updatedAt: now,
          centroid: derived.centroid,
        });
      }
      const results = writes.length > 0 ? await store.apply(writes) : new Map();
      const undone = await this.undoRacedErasures(writes, results, users, plans, store);
      const retry: string[] = [];
      for (const w of writes) {
        const plan = plans.get(w.userId)!;
        if (results.get(w.userId)?.ok && !undone.has(w.userId)) {
          if (stateCache) written.set(w.userId, () => stateCache.set(store.namespace, w.userId, { version: w.version, state: w.state, applied: w.applied, recent: w.recent ?? '', token: w.token! }, w.encoded, plan.suppression));
          profiles.push({ key: w.userId, value: built.get(w.userId)! });
          batch.published.set(w.userId, { version: w.version, token: w.token! });
          stats.applied += plan.fold.eventIds.length;
          for (const id of plan.fold.eventIds) {
            const t = times.get(id);
            if (t) {
              folded.eventTs.push(t.ts);
              if (t.recordTs !== undefined) folded.recordTs.push(t.recordTs);
            }
            const c = firstOf?.get(id);
            if (c) batch.features.push(featureRecordOf(c, this.opts.embedder.id));
          }
          count(stats, plan);
          stats.staleIncarnations += plan.fold.staleIncarnations;
          const from = sourceOf(users.get(w.userId)!);
          const partitions = partitionsOf(w.applied, from.topic, from.topicId);
          if (partitions.length > 1) spread.push({ userId: w.userId, topic: from.topic, topicId: from.topicId, partitions });
        } else {
          stateCache?.delete(store.namespace, w.userId);
          written.delete(w.userId);
          retry.push(w.userId);
          stats.conflicts++;
        }
      }
      pending = retry;
    }

    // Users whose events were all applied before (a redelivery): publish their current profile
    // again, same version, so a profile event lost between the Redis write and a crash is sent.
    store.refreshSimilar?.(refresh);
    const settled = reforgotten.filter((u) => !batch.published.has(u) && !republish.includes(u));
    const again = republish.length + settled.length > 0 ? await store.heads([...republish, ...settled], true) : new Map<string, StoredHead | null>();
    for (const [u, head] of again) {
      if (head === null) {
        // a redelivered forget: the user is still erased, so its tombstone goes out again (it may have been lost in a crash)
        if (settled.includes(u)) {
          profiles.push({ key: u, value: null });
          batch.published.set(u, null);
        }
        continue;
      }
      profiles.push({ key: u, value: head.profile! });
      batch.published.set(u, { version: head.version, token: head.token });
    }
    if (stats.conflicts > 0) this.opts.log.warn({ conflicts: stats.conflicts }, 'profile version conflicts resolved by re-reading');
    if (spread.length > 0) await this.reportSpread(spread, batch);
    // nothing is published (nor committed) before the writes are on the replicas asked for: a
    // primary that dies now cannot take a committed chunk's writes along (redis.waitReplicas)
    await store.replicated?.();
    for (const cache of written.values()) cache();
    return { out: profiles };
  }

  /**
   * A first write (no stored state: expected version 0) that raced an erasure processed elsewhere.
   * The other instance recorded the suppression and deleted the user's keys after this one loaded
   * (no suppression then) and before its compare-and-set, which found no key and so succeeded: the
   * write may hold comments the erasure covers (the user's comments and forget on different
   * partitions, docs/events.md "Partitioning"). A later state cannot race this way: the erasure
   * deletes the version it expects. So after such writes, the users' suppressions are read again;
   * where one covers a folded comment, the user is erased again and folded once more, from the
   * reloaded state, with the suppression. The erasure's deletion comes after its suppression, so
   * either this read sees the suppression, or the deletion comes after this write and removes it.
   */
  private async undoRacedErasures(writes: readonly ProfileWrite[], results: ReadonlyMap<string, { ok: boolean }>, users: ReadonlyMap<string, UserItem[]>, plans: ReadonlyMap<string, UserPlan>, store: BatchContext['store']): Promise<Set<string>> {
    const undone = new Set<string>();
    const first = writes.filter((w) => w.expectedVersion === 0 && results.get(w.userId)?.ok);
    if (first.length === 0) return undone;
    const now = await store.suppressions(first.map((w) => w.userId));
    for (const w of first) {
      const s = now.get(w.userId) ?? null;
      if (!s) continue;
      const folded = new Set(plans.get(w.userId)!.fold.eventIds);
      const covered = users.get(w.userId)!.some((it) => it.kind === 'comment' && folded.has(it.event.observation.eventId) && isSuppressed(s, { ...it.event, ts: it.event.observation.ts }));
      if (!covered) continue;
      this.opts.stateCache?.delete(store.namespace, w.userId);
      await store.erase(w.userId);
      undone.add(w.userId);
      this.opts.log.warn({ namespace: store.namespace }, 'a first profile write raced an erasure processed by another instance: erased again and folded with the erasure');
    }
    return undone;
  }

  /**
   * Users whose comments came from more than one partition: counted (the metric), warned about once
   * per user per interval, and recorded by partition set for `portrait topics describe`. The record
   * is diagnostic: a failure to write it is logged, the batch goes on.
   */
  private async reportSpread(spread: readonly SpreadUser[], batch: BatchContext): Promise<void> {
    batch.stats.spread += spread.length;
    for (const u of spread) {
      if (!this.spreadWarnings.due(u.userId, batch.now)) continue;
      this.opts.log.warn(
        { userId: u.userId, topic: u.topic, partitions: u.partitions },
        'a user\'s comments arrive on more than one partition: a producer is not keying by userId with the murmur2 partitioner (set partitioner=murmur2_random in librdkafka clients; docs/events.md, "Partitioning"). Counts stay exact; order across partitions is unknown',
      );
    }
    await batch.store.noteSpread?.(spread[0]!.topic, spreadSets(spread), batch.now).catch((err: unknown) => this.opts.log.warn({ err: (err as Error)?.message ?? String(err) }, 'could not record the users seen on several partitions'));
  }
}

/**
 * A forget event delivered again (a crash or a rebalance before its offset was committed) was
 * applied already when its receipt exists (the receipt is written after the erasure's deletion).
 * Erasing again would delete what was folded since: the user's comments on other partitions with
 * later event times (a producer not on murmur2, docs/events.md "Partitioning"). So such a forget is
 * dropped from the user's items; the stored suppression, which it merged, still covers the comments
 * before it. Returns the users whose forget was dropped: unless the batch writes them, their current
 * state (profile, or the tombstone while they stay erased) is published again, as for any redelivery
 * (the first delivery's may have been lost in a crash). One round trip, only for batches holding a forget.
 */
async function dropAppliedForgets(users: Map<string, UserItem[]>, store: BatchContext['store']): Promise<string[]> {
  const forgets = [...users.values()].flatMap((list) => list.filter((it) => it.kind === 'forget').map((it) => it.forget.eventId));
  if (forgets.length === 0) return [];
  const receipts = await Promise.all(forgets.map((id) => store.receipt(id)));
  const applied = new Set(forgets.filter((_, i) => receipts[i] !== null));
  if (applied.size === 0) return [];
  const dropped: string[] = [];
  for (const [userId, list] of users) {
    const left = list.filter((it) => it.kind !== 'forget' || !applied.has(it.forget.eventId));
    if (left.length === list.length) continue;
    dropped.push(userId);
    if (left.length > 0) users.set(userId, left);
    else users.delete(userId);
  }
  return dropped;
}

/** The topic (and its incarnation) a user's items of this chunk came from: one chunk is one partition of one topic. */
function sourceOf(items: readonly UserItem[]): { topic: string; topicId?: string | undefined } {
  const first = items[0]!;
  return first.kind === 'comment' ? first.event : first.forget;
}

type CommentItem = Exclude<Labelled, { event: { type: 'forget' } }>;

/** The first delivery of each event id in the batch (what fold counts). */
function firstComments(items: readonly Labelled[]): Map<string, CommentItem> {
  const out = new Map<string, CommentItem>();
  for (const i of items) if (!isForget(i) && !out.has(i.event.eventId)) out.set(i.event.eventId, i);
  return out;
}

/** The feature-log record of a folded comment, to the partition the comment came from. */
function featureRecordOf(c: CommentItem, embedder: string): OutRecord {
  const { key, value } = encodeFeatureRecord({
    userId: c.event.userId,
    eventId: c.event.eventId,
    commentId: c.event.commentId,
    ts: c.event.ts,
    lang: c.lang,
    terms: c.terms,
    embedder,
    embedding: c.vector,
    source: { topic: c.rec.topic, topicId: c.rec.topicId, partition: c.rec.partition, offset: c.rec.offset },
  });
  return { key, value, partition: c.rec.partition };
}

/** What a user's plan adds to the batch's counters once it is settled (written, or needing no write). */
function count(stats: BatchContext['stats'], plan: UserPlan): void {
  stats.duplicates += plan.fold.duplicates + plan.fold.repeats;
  stats.redelivered += plan.fold.duplicates;
  stats.repeated += plan.fold.repeats;
  stats.suppressed += plan.suppressed;
  if (plan.forget) stats.forgotten++;
}
