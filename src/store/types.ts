import type { Buffer } from 'node:buffer';
import type { AggregateState, EncodedState } from '../profile/index.js';

/** What the store holds for one user. */
export interface StoredProfile {
  /** per-user monotonic version; 0 means "no profile yet" */
  version: number;
  state: AggregateState;
  /** next offset to apply per "topic:partition" (events below it are already folded in) */
  applied: Record<string, number>;
  /**
   * the write token stored with this state: new on every write, so two states with the same version
   * (a user erased and rebuilt elsewhere) are told apart by the compare-and-set. '' or absent: a
   * state written before tokens existed.
   */
  token?: string;
  /**
   * digests of the user's last folded event ids, oldest first, concatenated (src/pipeline/fold.ts):
   * an event whose id is among them is a repeat and is not counted again. '' or absent: none.
   */
  recent?: string;
  /**
   * the continuity epoch of the namespace the state was written in (src/store/continuity.ts); ''
   * or absent: written before epochs existed. A state of another epoch is fenced off: its version
   * and token still guard the write, but its aggregates and offsets are not trusted.
   */
  epoch?: string;
}

/**
 * What erasure leaves behind so that replaying older events cannot bring a profile back: comments
 * with an event time at or before `ts`, or at an offset below `offsets[topic:partition]`, are dropped.
 * Kept outside every namespace, under a hash of the user id (docs/redis-keys.md).
 */
export interface Suppression {
  ts: number;
  offsets: Record<string, number>;
}

export interface LoadedUser {
  profile: StoredProfile | null;
  suppression: Suppression | null;
}

export interface ForgetReceipt {
  eventId: string;
  namespaces: string[];
  keysDeleted: number;
  processedAt: number;
}

export interface ProfileWrite {
  userId: string;
  /** the version that was read (0 = none) */
  expectedVersion: number;
  /** the write token that was read with that version ('' or absent = none) */
  expectedToken?: string;
  version: number;
  /** this write's token, unique to it (the processor uses a random prefix and a counter) */
  token?: string;
  state: AggregateState;
  /** `state` already encoded (the processor encodes once for the store and its cache); else the store encodes */
  encoded?: EncodedState;
  applied: Record<string, number>;
  /** the user's recent event-id digests (StoredProfile.recent); absent = leave the stored ones */
  recent?: string;
  /** the namespace's continuity epoch (StoredProfile.epoch); absent = leave the stored one */
  epoch?: string;
  /** the derived profile event, as published (never raw text) */
  profileJson: string;
  updatedAt: number;
  /** summary of this version for the user's history list (no text) */
  historyJson?: string;
  /** the derived unit centroid of this version: written to the similar-users snapshot once the write succeeded (absent = not) */
  centroid?: ArrayLike<number>;
}

/** A user's centroid at a profile version, for the similar-users snapshot (src/store/similar-snapshot.ts). */
export interface SimilarEntry {
  userId: string;
  version: number;
  centroid: ArrayLike<number>;
}

/**
 * What a user's profile hash holds now, as far as publishing is concerned: its version and write
 * token (a state written before tokens: ''), and the profile event JSON when asked for.
 */
export interface StoredHead {
  version: number;
  token: string;
  profile?: string;
}

export type WriteResult = { ok: true; version: number } | { ok: false; currentVersion: number };

/** Per-user profile state. Implementations must make `apply` atomic per user and compare-and-set on version and token. */
export interface ProfileStore {
  readonly namespace: string;
  /** Load the states and suppressions of these users; one round trip. */
  load(userIds: readonly string[], dim: number): Promise<Map<string, LoadedUser>>;
  /**
   * Erase a user: record (merge) the suppression first, then delete every key of the user in every
   * namespace, then keep a receipt under the event id (first one wins, so a redelivery keeps it).
   */
  forget(userId: string, suppression: Suppression, eventId: string, now: number): Promise<ForgetReceipt>;
  /**
   * Delete every key of the user in every namespace (no suppression recorded, no receipt): a first
   * write that raced an erasure processed elsewhere is undone with it (src/pipeline/stages/5-store.ts).
   */
  erase(userId: string): Promise<{ namespaces: string[]; keysDeleted: number }>;
  /** The erasure suppressions of these users, null where none is; one round trip. */
  suppressions(userIds: readonly string[]): Promise<Map<string, Suppression | null>>;
  /** The receipt of a processed forget event, or null while it is pending. */
  receipt(eventId: string): Promise<ForgetReceipt | null>;
  /** Record this namespace in the registry (erasure cleans every registered namespace). */
  registerNamespace(): Promise<void>;
  /** Write each user's new state if its version and write token are still the expected ones; one round trip. */
  apply(writes: readonly ProfileWrite[]): Promise<Map<string, WriteResult>>;
  /** The last published profile of a user (parsed JSON), or null. */
  getProfile(userId: string): Promise<unknown>;
  /** Each user's stored version and write token (and profile JSON, with `withProfile`), null where none is stored; one round trip. */
  heads(userIds: readonly string[], withProfile: boolean): Promise<Map<string, StoredHead | null>>;
  /**
   * Write stored versions to the similar-users snapshot again (a redelivery after a crash may have
   * lost the write that follows a successful apply); sent with the next round trip. Absent or a
   * no-op when the store keeps no snapshot.
   */
  refreshSimilar?(entries: readonly SimilarEntry[]): void;
  /**
   * Count profile writes of users whose comments came from more than one partition of `topic`, by
   * partition set (`<topicId>:<p1>,<p2>`, src/pipeline/spread.ts): what `portrait topics describe`
   * reports. Absent when the store keeps no such record.
   */
  noteSpread?(topic: string, sets: ReadonlyMap<string, number>, now: number): Promise<void>;
  /**
   * Resolves once the writes made so far are on the replicas redis.waitReplicas asks for
   * (src/store/replicas.ts); throws REDIS_UNREPLICATED (retriable) when they are not in time. Absent
   * or immediate when nothing is asked.
   */
  replicated?(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The model registry's storage (src/store/model-registry.ts, docs/redis-keys.md "Model registry").
 * It holds JSON text; what the text means (artifacts, summaries, history entries), validation and
 * the errors are src/classify/registry.ts's.
 */
export interface ModelRegistryStore {
  /** Store an artifact's JSON unless the version is stored already (immutable): true when it was new. */
  putArtifact(version: string, json: string): Promise<boolean>;
  /** Record a version's summary JSON in the index. */
  putSummary(version: string, json: string): Promise<void>;
  /** Every registered version. */
  versions(): Promise<string[]>;
  /** Every registered version's summary JSON, by version. */
  summaries(): Promise<Record<string, string>>;
  /** A version's artifact JSON, or null. */
  artifact(version: string): Promise<string | null>;
  /** The active version, or null (processors use the configured classifier). */
  active(): Promise<string | null>;
  /** Atomically: -1 when the version is not registered, 0 when it is active already, 1 when activated (and `historyEntry` logged). */
  activate(version: string, historyEntry: string): Promise<number>;
  /** Pop the activation stack: the versions before and after ('' = none), or null when there is nothing to roll back. */
  rollback(at: string): Promise<{ from: string; to: string } | null>;
  /** No version active; returns the one that was (or null). */
  deactivate(at: string): Promise<string | null>;
  /** The newest `limit` history entries (JSON), newest first. */
  history(limit: number): Promise<string[]>;
}

/** The shared embedding cache (src/store/embedding-cache.ts): int8 vectors by model id and text. */
export interface EmbeddingCacheStore {
  /** The cached vectors of these texts under a model id, null where none is; one round trip. */
  get(modelId: string, texts: readonly string[]): Promise<(Buffer | null)[]>;
  /** Cache one text's vector under a model id (with the cache's TTL). */
  set(modelId: string, text: string, vector: Buffer): Promise<unknown>;
}

/** The fields of a live processor's stats snapshot (docs/api.md, "Stats publishing"). */
export interface ProcessorStatsFields {
  /** ProcSnapshot JSON (src/metrics/snapshot.ts) */
  stats: string;
  /** epoch ms of the snapshot */
  at: string;
  /** the processor's prom-client registry as JSON */
  metrics?: string;
}

/** Live processors' stats snapshots (src/store/processor-stats.ts): processors write, the API reads. */
export interface ProcessorStatsStore {
  /** Write a processor's snapshot and (re)start its TTL, in one step. */
  put(namespace: string, instanceId: string, fields: ProcessorStatsFields, ttlMs: number): Promise<void>;
  /** Remove a processor's snapshot (it stopped, or writes another namespace now). */
  remove(namespace: string, instanceId: string): Promise<void>;
  /** These fields of every live snapshot of a namespace (REDIS_UNAVAILABLE when Redis fails). */
  read(namespace: string, fields: readonly (keyof ProcessorStatsFields)[]): Promise<(string | null)[][]>;
}
