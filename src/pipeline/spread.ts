/**
 * Users whose comments arrive on more than one partition of the comments topic: a producer that
 * does not key by userId with the murmur2 partitioner (librdkafka's default is CRC32; docs/events.md,
 * "Partitioning"). The store stage finds them in the applied offsets it writes (fold.ts
 * `partitionsOf`); this decides when to warn about one (once per user per interval), so an operator
 * can find the producer without a log line per batch.
 */

/** A user is warned about at most once per this interval (per processor). */
export const SPREAD_WARN_INTERVAL_MS = 10 * 60_000;

/** Users remembered; past it, those warned longest ago are forgotten first (they may be warned again sooner). */
const MAX_REMEMBERED = 10_000;

export interface SpreadUser {
  userId: string;
  topic: string;
  topicId?: string | undefined;
  /** the partitions the user's applied offsets name, ascending (two or more) */
  partitions: number[];
}

export class SpreadWarnings {
  /** user → when last warned; insertion order is warning order (re-warned users move to the end) */
  private readonly last = new Map<string, number>();

  constructor(private readonly intervalMs = SPREAD_WARN_INTERVAL_MS) {}

  /** Whether to warn about the user now; if so, remembered as warned at `now`. */
  due(userId: string, now: number): boolean {
    const at = this.last.get(userId);
    if (at !== undefined && now - at < this.intervalMs) return false;
    this.last.delete(userId);
    this.last.set(userId, now);
    if (this.last.size > MAX_REMEMBERED) this.last.delete(this.last.keys().next().value!);
    return true;
  }
}

/**
 * Per partition set (`<topicId>:<p1>,<p2>...`, topicId '' when unknown), how many written profiles
 * of spread users named it: what the store records for `portrait topics describe`.
 */
export function spreadSets(users: readonly SpreadUser[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const u of users) {
    const k = `${u.topicId ?? ''}:${u.partitions.join(',')}`;
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}
