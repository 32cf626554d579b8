/** What the API reads from the similar-users index (GET /v1/users/:id/similar, /readyz, metrics); kept current by the profiles consumer (consumers/profiles.ts). */
import type { SimilarHit } from './index.js';

export interface FollowerStatus {
  /** true once every partition was read up to its end offset at start-up */
  ready: boolean;
  users: number;
  profiles: number;
  tombstones: number;
  /** records that were not usable (bad JSON, centroid of another dimension) */
  skipped: number;
  dim: number | null;
  kernel: string | null;
  memoryBytes: number;
  /** where the index started from (api.similarSource) */
  source?: 'topic' | 'snapshot';
  /** snapshot source: entries loaded from the similar-users snapshot, and how long the load took */
  snapshotEntries?: number;
  snapshotLoadMs?: number;
  /** records of the followed topic older than what the index holds (the minute replayed after a snapshot load) */
  older?: number;
  /** users dropped because their profile was gone when a query met them (erased, or expired) */
  dropped?: number;
}

/** What the API needs from the similar-users index (GET /v1/users/:id/similar). */
export interface SimilarSource {
  status(): FollowerStatus;
  /** undefined when the user is not indexed */
  similarTo(userId: string, k: number): SimilarHit[] | undefined | Promise<SimilarHit[] | undefined>;
}

/** One entry of the similar-users snapshot as the index takes it (src/store/similar-snapshot.ts SnapshotRow). */
export interface SnapshotEntry {
  userId: string;
  version: number;
  /** the int8 centroid (a view: copied by the index) */
  row: Int8Array;
}

/** What the API's index reads at start-up instead of replaying the profiles topic (api.similarSource: snapshot). */
export interface SimilarSnapshotReader {
  load(onRow: (row: SnapshotEntry) => void): Promise<{ entries: number }>;
}
