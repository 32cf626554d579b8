/**
 * The profiles consumer: keeps the similar-users index (src/similar/) current from the compacted profiles topic: reads it from the
 * beginning (the latest profile per user survives compaction), upserts each centroid, removes a
 * user on a tombstone, then follows new profile events.
 *
 * With a snapshot (api.similarSource: snapshot) it starts instead from the similar-users snapshot
 * the processors keep in Redis (src/store/similar-snapshot.ts): it takes the topic's offsets at a
 * time `followMarginMs` (default 15 s) before the load, loads every shard, then follows the topic
 * from those offsets. The overlap covers the snapshot writes still held back in a processor's
 * write-behind (up to one batch or 100 ms after the profile event) and clock skew between the
 * processors (record timestamps) and the API; it costs margin × the profile-event rate; a record of
 * the overlap older than the version the snapshot gave the user is skipped. Ready once the
 * snapshot is loaded and the overlap read up to the end offsets taken before the load.
 *
 * The reader has a consumer group of its own (KafkaClient.follow: kafkajs has no group-less
 * `assign()`), unique per process, that never commits (so it always starts from the beginning) and
 * is deleted on stop.
 */
import { randomBytes } from 'node:crypto';
import { readCentroid } from '../src/events/index.js';
import type { Following, KafkaAdmin, KafkaClient, RecordBatch } from '../src/kafka/types.js';
import { SimilarIndex, type SimilarHit } from '../src/similar/index.js';
import type { FollowerStatus, SimilarSnapshotReader, SimilarSource, SnapshotEntry } from '../src/similar/source.js';
import type { Logger } from '../src/util/logger.js';

export type { FollowerStatus, SimilarSource };

export interface FollowerOptions {
  topic: string;
  /** group id prefix (a random suffix is added) */
  groupPrefix: string;
  log: Logger;
  /** index dimension; default: the first profile's embedder.dim */
  dim?: number;
  /** start from this snapshot instead of the beginning of the topic */
  snapshot?: SimilarSnapshotReader;
  /** snapshot start: how far before the load the topic is read again (default 15 s) */
  followMarginMs?: number;
}

interface ProfileBits {
  /** undefined: the event has no usable centroid (none written: profile.eventCentroid none; or a bad one) */
  centroid: Float32Array | undefined;
  /** the event was written without a centroid (profile.eventCentroid: none) */
  noCentroid: boolean;
  version: number;
  dim: number;
}

/**
 * The bits of a profile event the index needs, without the schema (the whole topic is read at
 * start-up): either version's centroid (1: decimals, 2: int8 with its scale) as numbers.
 */
function parseProfile(value: Buffer): ProfileBits | undefined {
  try {
    const v = JSON.parse(value.toString('utf8')) as { centroid?: unknown; version?: unknown; embedder?: { dim?: unknown } };
    const dim = typeof v.embedder?.dim === 'number' ? v.embedder.dim : Array.isArray(v.centroid) ? v.centroid.length : undefined;
    if (dim === undefined) return undefined;
    return { centroid: readCentroid(v.centroid, dim), noCentroid: v.centroid === undefined, version: typeof v.version === 'number' ? v.version : 0, dim };
  } catch {
    return undefined;
  }
}

export class ProfilesFollower implements SimilarSource {
  private index: SimilarIndex | undefined;
  private following: Following | undefined;
  private admin: KafkaAdmin | undefined;
  private readonly groupId: string;
  private readonly pending = new Map<number, number>();
  private counts = { profiles: 0, tombstones: 0, skipped: 0, older: 0, dropped: 0 };
  private snapshotInfo: { entries: number; ms: number } | undefined;
  private caughtUp = false;
  private warnedNoCentroid = false;
  private resolveReady!: () => void;
  /** resolves when the index has caught up with the topic as it was at start-up */
  readonly ready: Promise<void>;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly opts: FollowerOptions,
  ) {
    this.groupId = `${opts.groupPrefix}-${randomBytes(6).toString('hex')}`;
    this.ready = new Promise((r) => (this.resolveReady = r));
    if (opts.dim) this.index = new SimilarIndex({ dim: opts.dim });
  }

  status(): FollowerStatus {
    return {
      ready: this.caughtUp,
      users: this.index?.size ?? 0,
      ...this.counts,
      dim: this.index?.dim ?? null,
      kernel: this.index?.kernel ?? null,
      memoryBytes: this.index?.memoryBytes ?? 0,
      source: this.opts.snapshot ? 'snapshot' : 'topic',
      ...(this.snapshotInfo ? { snapshotEntries: this.snapshotInfo.entries, snapshotLoadMs: this.snapshotInfo.ms } : {}),
    };
  }

  similarTo(userId: string, k: number): SimilarHit[] | undefined {
    return this.index?.similarTo(userId, k);
  }

  /** Remove a user whose profile is gone (the API met it in a query: src/similar/checked.ts). */
  drop(userId: string): void {
    if (this.index?.remove(userId)) this.counts.dropped++;
  }

  /** Apply one snapshot entry (exposed for tests). */
  applyEntry(e: SnapshotEntry): void {
    this.index ??= new SimilarIndex({ dim: e.row.length });
    if (e.row.length !== this.index.dim) {
      if (this.counts.skipped++ === 0) this.opts.log.warn({ dim: e.row.length, indexDim: this.index.dim }, 'snapshot entry of another dimension skipped');
      return;
    }
    this.index.upsertQuantized(e.userId, e.row, e.version);
  }

  /** Apply one record of the profiles topic (exposed for tests). */
  apply(key: Buffer | null, value: Buffer | null): void {
    if (!key) {
      this.counts.skipped++;
      return;
    }
    const userId = key.toString('utf8');
    if (value === null) {
      this.index?.remove(userId);
      this.counts.tombstones++;
      return;
    }
    const p = parseProfile(value);
    if (!p?.centroid) {
      if (p?.noCentroid && !this.warnedNoCentroid) {
        this.warnedNoCentroid = true;
        this.opts.log.warn('profile events without a centroid (profile.eventCentroid: none) skipped: the similar-users index cannot hold those users');
      }
      this.counts.skipped++;
      return;
    }
    // the overlap replayed after a snapshot load: the snapshot may already hold a newer version
    if (this.opts.snapshot && !this.caughtUp && (this.index?.version(userId) ?? 0) > p.version) {
      this.counts.older++;
      return;
    }
    this.index ??= new SimilarIndex({ dim: p.dim });
    if (p.dim !== this.index.dim) {
      // profiles of another embedder cannot be compared with these (rebuild in a new namespace)
      if (this.counts.skipped++ === 0) this.opts.log.warn({ dim: p.dim, indexDim: this.index.dim }, 'profile centroid of another dimension skipped');
      return;
    }
    this.index.upsert(userId, p.centroid, p.version);
    this.counts.profiles++;
  }

  async start(): Promise<void> {
    this.admin ??= this.kafka.admin();
    await this.admin.connect();
    const ends = await this.admin.topicOffsets(this.opts.topic);
    const snapshot = this.opts.snapshot;
    if (snapshot) {
      const from = await this.admin.offsetsAtTime(this.opts.topic, Date.now() - (this.opts.followMarginMs ?? 15_000));
      // the group is new and empty: its committed offsets are where the follower starts. Setting
      // them on a new group takes seconds (the coordinator is found first): during the load
      const offsetsSet = this.admin.setGroupOffsets(this.groupId, this.opts.topic, from);
      offsetsSet.catch(() => {});
      const t0 = Date.now();
      const { entries } = await snapshot.load((e) => this.applyEntry(e));
      this.snapshotInfo = { entries, ms: Date.now() - t0 };
      this.opts.log.info({ entries, users: this.index?.size ?? 0, ms: this.snapshotInfo.ms }, 'similar-users index loaded from the snapshot');
      if (entries === 0 && ends.some((e) => e.end > e.start))
        this.opts.log.warn({ topic: this.opts.topic }, 'the similar-users snapshot is empty but the profiles topic is not: were the profiles written before the snapshot existed? (rebuild the namespace, or api.similarSource: topic)');
      for (const e of ends) if (e.end > (from.get(e.partition) ?? e.start)) this.pending.set(e.partition, e.end);
      // nothing to catch up on: the index serves now (what follows is newer than what it holds)
      this.markReadyIfDone();
      await offsetsSet;
    } else for (const e of ends) if (e.end > e.start) this.pending.set(e.partition, e.end);
    this.markReadyIfDone();
    this.following = await this.kafka.follow(this.opts.topic, { groupId: this.groupId, fromBeginning: !snapshot, maxBytes: 16 * 1024 * 1024 }, (b) => this.eachBatch(b));
    this.opts.log.info({ topic: this.opts.topic, groupId: this.groupId, partitions: ends.length, from: snapshot ? 'snapshot' : 'beginning' }, 'following the profiles topic for the similar-users index');
  }

  private async eachBatch(batch: RecordBatch): Promise<void> {
    for (const r of batch.records) this.apply(r.key, r.value);
    const target = this.pending.get(batch.partition);
    if (target !== undefined && batch.records.length > 0 && batch.lastOffset + 1 >= target) {
      this.pending.delete(batch.partition);
      this.markReadyIfDone();
    }
  }

  private markReadyIfDone(): void {
    if (this.caughtUp || this.pending.size > 0) return;
    this.caughtUp = true;
    this.opts.log.info({ users: this.index?.size ?? 0 }, 'similar-users index caught up');
    this.resolveReady();
  }

  async stop(): Promise<void> {
    await this.following?.stop();
    await this.admin?.deleteGroups([this.groupId]).catch(() => {});
    await this.admin?.disconnect();
  }
}
