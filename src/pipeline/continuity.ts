/**
 * Continuity between Kafka and Redis: before a chunk of a partition is folded, make sure that the
 * state in Redis reflects everything of that partition before the chunk, in the same incarnation of
 * the topic. When it does not, the chunk is not processed: the partition is rewound to where the
 * state in Redis stops (or to the earliest retained offset), and the events are folded again.
 *
 * What it catches (docs/reliability.md, "Kafka and Redis out of step"):
 * - a recreated (or mirrored, or freshly stored) comments topic: offsets start again at 0 under a new
 *   topic ID. Each chunk is labelled with the topic's current ID; per-user applied offsets are kept
 *   per ID (fold.ts), so the new topic's events are never skipped as redeliveries of the old one's,
 *   and a consumer position inherited from the old topic is rewound to the new one's start;
 * - state Redis lost: the namespace's continuity record (src/store/continuity.ts) disappears with it.
 *   A new epoch is started (profile versions above its floor, so versions never go back), every
 *   cached state is dropped, states of the old epoch are fenced off, and each partition is rewound
 *   to the earliest retained offset: profiles are rebuilt from what the topic still holds;
 * - Redis going back in time (a snapshot restore): a partition's checkpoint behind the chunk.
 *
 * The record carries, per partition, the next offset folded into the namespace. It is advanced to
 * the end of this processor's previous chunk in the same atomic call that reads it, and by the
 * background committer before each offset commit, so it is never behind the consumer group's
 * committed offset for long.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../util/logger.js';
import type { ContinuityStore, Epoch, EpochKind } from '../store/continuity.js';
import { newEpochId } from '../store/continuity.js';
import { tpKey } from './fold.js';

/** How long a bounded rebuild labels chunks with the topic ID it looked up last. */
const BOUNDED_RECHECK_MS = 5000;

export type RewindReason = 'state-lost' | 'new-incarnation' | 'behind-checkpoint';

export type Verdict = { go: true; topicId: string | undefined } | { go: false; seekTo: number; reason: RewindReason };

export interface ContinuityEvents {
  /** a new state epoch came into force for a namespace */
  onEpoch?(ns: string, epoch: Epoch, why: string): void;
  /** a partition was rewound */
  onRewind?(topic: string, partition: number, reason: RewindReason, from: number, to: number): void;
  /** a topic's new incarnation was met */
  onIncarnation?(topic: string, topicId: string, previous: string | undefined): void;
}

export interface ContinuityDeps {
  store: ContinuityStore;
  /** the namespace the processor writes now (it can switch between chunks) */
  namespace: () => string;
  /** the topic's current ID, looked up after the chunk was fetched (undefined: the broker has none) */
  topicId: (topic: string) => Promise<string | undefined>;
  /** the first offset still in the log */
  earliest: (topic: string, partition: number) => Promise<number>;
  /** the consumer group's committed offsets of the topic (at start-up: to tell a first start from a loss) */
  committed: (topic: string) => Promise<Map<number, number | undefined>>;
  /** false for a bounded rebuild: record the epoch and checkpoints, never rewind */
  rewind?: boolean;
  log: Logger;
  events?: ContinuityEvents;
  clock?: () => number;
}

interface Last {
  ns: string;
  epoch: string;
  topicId: string | undefined;
  next: number;
}

export class ContinuityGuard {
  private readonly epochs = new Map<string, Epoch>();
  private readonly last = new Map<string, Last>();
  private readonly incarnations = new Map<string, string>();
  private readonly establishing = new Map<string, Promise<Epoch>>();
  private readonly clock: () => number;
  /** when the topic ID was last looked up (a bounded rebuild reuses it for a while) */
  private checkedAt = 0;

  constructor(private readonly deps: ContinuityDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /** The epoch this processor writes in `ns` (stamped on every state, its floor under every version). */
  epochFor(ns: string): Epoch | undefined {
    return this.epochs.get(ns);
  }

  /**
   * At start-up (and for a namespace met for the first time): adopt the epoch in force, or start one.
   * With no record: states written before epochs existed are adopted (an upgrade), with checkpoints
   * from the group's committed offsets; no state and no committed offsets is a first start; anything
   * else is a loss, and is said loudly.
   */
  async establish(ns: string, topic: string): Promise<Epoch> {
    const known = this.epochs.get(ns);
    if (known) return known;
    let p = this.establishing.get(ns);
    if (!p) {
      p = this.doEstablish(ns, topic).finally(() => this.establishing.delete(ns));
      this.establishing.set(ns, p);
    }
    return p;
  }

  private async doEstablish(ns: string, topic: string): Promise<Epoch> {
    const rec = await this.deps.store.read(ns);
    if (rec) {
      this.adopt(ns, rec.epoch, `in force since ${new Date(rec.epoch.created).toISOString()}: ${rec.why}`, false);
      return rec.epoch;
    }
    // a bounded rebuild sets its own group's offsets to where it starts: they say nothing of a loss
    const bounded = this.deps.rewind === false;
    const [sample, committed, topicId] = await Promise.all([this.deps.store.sample(ns), bounded ? new Map<number, number | undefined>() : this.deps.committed(topic), this.deps.topicId(topic)]);
    const positions = [...committed].filter((e): e is [number, number] => e[1] !== undefined);
    let kind: EpochKind;
    let why: string;
    const checkpoints = new Map<string, number>();
    if (sample.legacy > 0) {
      kind = 'adopted';
      why = `states written before continuity records existed: adopted, checkpoints from the consumer group's committed offsets`;
      for (const [p, o] of positions) checkpoints.set(tpKey(topic, p, topicId), o);
    } else if (sample.seen > 0) {
      kind = 'lost';
      why = `the continuity record is gone while ${sample.seen}+ states of an older epoch remain (Redis evicted or lost part of the namespace)`;
    } else if (positions.length > 0) {
      kind = 'lost';
      why = `no state in the namespace, but the consumer group has committed offsets on ${positions.length} partition(s): Redis lost the state (a restart without persistence, a flush)`;
    } else {
      kind = 'fresh';
      why = 'first start: no state and no committed offsets';
    }
    return this.start(ns, kind, why, checkpoints);
  }

  private async start(ns: string, kind: EpochKind, why: string, checkpoints: Map<string, number> = new Map()): Promise<Epoch> {
    const now = this.clock();
    const proposed: Epoch = { id: newEpochId(randomBytes), floor: kind === 'lost' ? now : 0, kind, created: now };
    const epoch = await this.deps.store.create(ns, proposed, why, checkpoints);
    this.adopt(ns, epoch, epoch.id === proposed.id ? why : 'started by another processor');
    return epoch;
  }

  /** @param change false: the epoch was in force before this processor started (said at info level) */
  private adopt(ns: string, epoch: Epoch, why: string, change = true): void {
    const before = this.epochs.get(ns);
    if (before?.id === epoch.id) return;
    this.epochs.set(ns, epoch);
    const fields = { namespace: ns, epoch: epoch.id, kind: epoch.kind, versionFloor: epoch.floor, why };
    if (epoch.kind === 'lost' && change) {
      this.deps.log.error(
        fields,
        `STATE LOST in namespace ${ns}: the profiles in Redis no longer match what Kafka says was processed. Rebuilding every partition from its earliest retained offset; profiles will reflect only what the comments topic still holds, with versions above ${epoch.floor}`,
      );
    } else this.deps.log.info(fields, `state epoch of namespace ${ns}: ${epoch.kind}`);
    this.deps.events?.onEpoch?.(ns, epoch, why);
  }

  /** Decide whether a chunk of `partition` starting at `firstOffset` may be folded now. */
  async check(topic: string, partition: number, firstOffset: number): Promise<Verdict> {
    const ns = this.deps.namespace();
    let epoch = this.epochs.get(ns) ?? (await this.establish(ns, topic));
    const guess = this.incarnations.get(topic);
    if (this.deps.rewind === false && guess !== undefined && this.clock() - this.checkedAt < BOUNDED_RECHECK_MS) {
      // a bounded rebuild never rewinds: what it needs per chunk is the topic ID (a replay reads a
      // range fixed when it started) and its checkpoints, written by flush() before each commit
      return { go: true, topicId: guess };
    }
    // The checkpoint is read for the topic ID seen last while the current ID is asked for, both at
    // once; only when the topic changed under us is the checkpoint read again for the new ID.
    const prev = this.last.get(`${topic}:${partition}`);
    const read = (id: string | undefined) => {
      const advance = prev && prev.ns === ns && prev.topicId === id && prev.epoch === epoch.id ? { to: prev.next, epoch: epoch.id } : undefined;
      return this.deps.store.check(ns, tpKey(topic, partition, id), advance);
    };
    const [topicId, guessed] = await Promise.all([this.deps.topicId(topic), read(guess)]);
    this.checkedAt = this.clock();
    await this.noteIncarnation(ns, topic, topicId);
    const field = tpKey(topic, partition, topicId);
    let r = topicId === guess ? guessed : await read(topicId);
    if (!r.epoch) {
      epoch = await this.start(ns, 'lost', `the continuity record of namespace ${ns} disappeared while processing (Redis restarted without persistence, was flushed, or evicted it)`);
      r = await this.deps.store.check(ns, field);
    } else if (r.epoch.id !== epoch.id) {
      epoch = r.epoch;
      this.adopt(ns, epoch, 'another processor started a new epoch');
    }
    if (this.deps.rewind === false) return { go: true, topicId };

    const ckpt = r.checkpoint;
    if (ckpt !== undefined && firstOffset <= ckpt) return { go: true, topicId };
    const earliest = await this.deps.earliest(topic, partition);
    const target = ckpt === undefined ? earliest : Math.max(ckpt, earliest);
    if (ckpt !== undefined && ckpt < earliest) {
      this.deps.log.warn({ topic, partition, checkpoint: ckpt, earliest }, 'events between the namespace checkpoint and the earliest retained offset were deleted by retention before they were folded');
    }
    if (firstOffset <= target) return { go: true, topicId };
    const reason: RewindReason = ckpt !== undefined ? 'behind-checkpoint' : epoch.kind === 'lost' ? 'state-lost' : 'new-incarnation';
    this.deps.log.warn({ topic, partition, topicId, from: firstOffset, to: target, reason, namespace: ns }, 'rewinding the partition: the state in Redis does not cover the events before this chunk');
    this.deps.events?.onRewind?.(topic, partition, reason, firstOffset, target);
    this.last.delete(`${topic}:${partition}`);
    return { go: false, seekTo: target, reason };
  }

  /**
   * Check partitions whether or not they bring records (runner: after a join and every few seconds),
   * from the offset each will be read from next (undefined: the group's committed offset). Returns
   * the partitions to rewind. This is what rebuilds a partition that has no new events after a loss.
   */
  async sweep(topic: string, positions: Map<number, number | undefined>): Promise<Map<number, number>> {
    const missing = [...positions].some(([, at]) => at === undefined);
    const committed = missing ? await this.deps.committed(topic) : new Map<number, number | undefined>();
    const out = new Map<number, number>();
    for (const [partition, pos] of positions) {
      const at = pos ?? committed.get(partition);
      if (at === undefined) continue; // never committed: the consumer starts at the earliest offset anyway
      const v = await this.check(topic, partition, at);
      if (!v.go) out.set(partition, v.seekTo);
    }
    return out;
  }

  /** A chunk was folded and published: the partition is folded up to `next` (advanced at the next check or flush). */
  done(topic: string, partition: number, topicId: string | undefined, next: number): void {
    const ns = this.deps.namespace();
    const epoch = this.epochs.get(ns);
    if (!epoch) return;
    this.last.set(`${topic}:${partition}`, { ns, epoch: epoch.id, topicId, next });
  }

  /** Write every partition's checkpoint now (before an offset commit, and on a graceful stop). */
  async flush(): Promise<void> {
    const byNs = new Map<string, { epoch: string; offsets: Map<string, number> }>();
    for (const [key, l] of this.last) {
      const [topic, partition] = [key.slice(0, key.lastIndexOf(':')), Number(key.slice(key.lastIndexOf(':') + 1))];
      const k = `${l.ns}\u0000${l.epoch}`;
      const entry = byNs.get(k) ?? { epoch: l.epoch, offsets: new Map<string, number>() };
      entry.offsets.set(tpKey(topic, partition, l.topicId), l.next);
      byNs.set(k, entry);
    }
    await Promise.all([...byNs].map(([k, e]) => this.deps.store.advance(k.slice(0, k.indexOf('\u0000')), e.epoch, e.offsets)));
  }

  /**
   * Log and count a topic incarnation this processor had not met: a change while it runs, or, on its
   * first chunk of the topic, an ID other than the ones the namespace's record has folded from.
   */
  private async noteIncarnation(ns: string, topic: string, topicId: string | undefined): Promise<void> {
    if (!topicId) return;
    let before = this.incarnations.get(topic);
    if (before === topicId) return;
    this.incarnations.set(topic, topicId);
    if (before === undefined) {
      const rec = await this.deps.store.read(ns);
      const ids = new Set(Object.keys(rec?.checkpoints ?? {}).flatMap((f) => (f.startsWith(`${topic}@`) ? [f.slice(topic.length + 1, f.lastIndexOf(':'))] : [])));
      if (ids.size > 0 && !ids.has(topicId)) before = [...ids].join(',');
    }
    if (before !== undefined) {
      this.deps.log.warn(
        { topic, topicId, previous: before, namespace: ns },
        `topic ${topic} is a new incarnation (new topic ID: recreated, restored, mirrored or on a broker with fresh storage); its offsets start again and are not compared with the old topic's`,
      );
    }
    this.deps.events?.onIncarnation?.(topic, topicId, before);
  }
}
