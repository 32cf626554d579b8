import type { AggregateState } from '../profile/index.js';

/** What the store holds for one user. */
export interface StoredProfile {
  /** per-user monotonic version; 0 means "no profile yet" */
  version: number;
  state: AggregateState;
  /** next offset to apply per "topic:partition" (events below it are already folded in) */
  applied: Record<string, number>;
}

export interface ProfileWrite {
  userId: string;
  /** the version that was read (0 = none) */
  expectedVersion: number;
  version: number;
  state: AggregateState;
  applied: Record<string, number>;
  /** the derived profile event, as published (never raw text) */
  profileJson: string;
  updatedAt: number;
}

export type WriteResult = { ok: true; version: number } | { ok: false; currentVersion: number };

/** Per-user profile state. Implementations must make `apply` atomic per user and compare-and-set on version. */
export interface ProfileStore {
  readonly namespace: string;
  /** Load the states of these users (null for a user without one); one round trip. */
  load(userIds: readonly string[], dim: number): Promise<Map<string, StoredProfile | null>>;
  /** Write each user's new state if its version is still the expected one; one round trip. */
  apply(writes: readonly ProfileWrite[]): Promise<Map<string, WriteResult>>;
  /** The last published profile of a user (parsed JSON), or null. */
  getProfile(userId: string): Promise<unknown>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
