import { LRUCache } from 'lru-cache';
import { decodeState, encodeState, type EncodedState } from '../profile/index.js';
import type { LoadedUser, StoredProfile, Suppression } from '../store/index.js';

interface Entry {
  version: number;
  token: string;
  applied: Record<string, number>;
  /** recent event-id digests, as stored */
  recent: string;
  /** the state as stored in Redis (meta JSON and float32 centroid bytes), not as objects */
  meta: string;
  centroid: Buffer;
  /** the user's erasure suppression the state was folded under (a later one deletes the stored state, so the write of a cached state fails) */
  suppression: Suppression | null;
}

/**
 * Write-through cache of the user states this processor wrote last, per namespace. A cached state
 * saves the read before the fold; it is never trusted blindly: the write is a compare-and-set on
 * the version and the write token (new on every write, so two states of equal version differ), so
 * if anyone else changed the user meanwhile (another instance after a rebalance, an erasure, a
 * forced replay) the write fails, the entry is dropped and the state is read again.
 * Only users with a stored profile are cached (an absent profile might be an erased user's).
 *
 * Entries keep the state in its stored encoding (what the write sent to Redis), not as decoded
 * objects: a user with 200 decayed terms is ~4-8 KB this way and ~25 KB as a JS object, and a
 * `get` returns exactly what a read from Redis would (centroid rounded to float32). The cache is
 * bounded both by users and by bytes.
 */
export class StateCache {
  private readonly lru: LRUCache<string, Entry>;

  constructor(maxUsers: number, maxBytes = 64 * 1024 * 1024) {
    this.lru = new LRUCache<string, Entry>({
      max: Math.max(1, maxUsers),
      maxSize: Math.max(1024, maxBytes),
      // UTF-16 string, centroid bytes, and a fixed allowance for the entry, its key and applied offsets
      sizeCalculation: (e, key) => 2 * (e.meta.length + key.length + e.token.length + e.recent.length) + e.centroid.byteLength + 64 * (1 + Object.keys(e.applied).length + Object.keys(e.suppression?.offsets ?? {}).length),
    });
  }

  private key(ns: string, userId: string): string {
    return `${ns}\u0000${userId}`;
  }

  get(ns: string, userId: string, dim: number): StoredProfile | undefined {
    const e = this.lru.get(this.key(ns, userId));
    if (!e) return undefined;
    return { version: e.version, token: e.token, applied: { ...e.applied }, recent: e.recent, state: decodeState(e.meta, e.centroid, dim) };
  }

  /**
   * What a read from Redis would give: the cached state and the erasure suppression it was folded
   * under. An erased user's later comments must still be checked against the suppression (a late
   * comment with an event time before the forget stays erased); a newer erasure deletes the stored
   * state, so the compare-and-set of a state cached before it fails and the user is read again.
   */
  loaded(ns: string, userId: string, dim: number): LoadedUser | undefined {
    const profile = this.get(ns, userId, dim);
    return profile && { profile, suppression: this.lru.get(this.key(ns, userId))!.suppression };
  }

  has(ns: string, userId: string): boolean {
    return this.lru.has(this.key(ns, userId));
  }

  /** Cache what was just written; `encoded` is the encoding the write sent (computed here when absent). */
  set(ns: string, userId: string, p: StoredProfile, encoded: EncodedState = encodeState(p.state), suppression: Suppression | null = null): void {
    this.lru.set(this.key(ns, userId), { version: p.version, token: p.token ?? '', applied: { ...p.applied }, recent: p.recent ?? '', meta: encoded.meta, centroid: encoded.centroid, suppression });
  }

  delete(ns: string, userId: string): void {
    this.lru.delete(this.key(ns, userId));
  }

  /** Forget every cached state of a namespace (its state epoch changed: src/pipeline/continuity.ts). */
  clearNamespace(ns: string): void {
    const prefix = `${ns}\u0000`;
    for (const k of [...this.lru.keys()]) if (k.startsWith(prefix)) this.lru.delete(k);
  }

  get size(): number {
    return this.lru.size;
  }

  /** Bytes held, by the size estimate above. */
  get bytes(): number {
    return this.lru.calculatedSize;
  }
}
