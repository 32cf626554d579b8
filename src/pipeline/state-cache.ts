import { LRUCache } from 'lru-cache';
import type { StoredProfile } from '../store/index.js';

/**
 * Write-through cache of the user states this processor wrote last, per namespace. A cached state
 * saves the read before the fold; it is never trusted blindly: the write is a compare-and-set on
 * the version and the write token (new on every write, so two states of equal version differ), so if
 * anyone else changed the user meanwhile (another instance after a rebalance,
 * an erasure, a forced replay) the write fails, the entry is dropped and the state is read again.
 * Only users with a stored profile are cached (an absent profile might be an erased user's).
 */
export class StateCache {
  private readonly lru: LRUCache<string, StoredProfile>;

  constructor(maxUsers: number) {
    this.lru = new LRUCache({ max: Math.max(1, maxUsers) });
  }

  private key(ns: string, userId: string): string {
    return `${ns}\u0000${userId}`;
  }

  get(ns: string, userId: string): StoredProfile | undefined {
    return this.lru.get(this.key(ns, userId));
  }

  /** Keeps the state exactly as a read from Redis would return it (centroid rounded to float32). */
  set(ns: string, userId: string, p: StoredProfile): void {
    const centroid = Float64Array.from(Float32Array.from(p.state.centroid));
    this.lru.set(this.key(ns, userId), { ...p, state: { ...p.state, centroid } });
  }

  delete(ns: string, userId: string): void {
    this.lru.delete(this.key(ns, userId));
  }

  get size(): number {
    return this.lru.size;
  }
}
