/**
 * A user's recent profile versions, for the dashboard: a capped Redis list per user, newest first,
 *
 *   <prefix>:<ns>:u:{<user>}:h    list of HistoryEntry JSON (Keys.history), at most `max` entries
 *
 * in the user's hash tag (so erasure's per-user key list and Cluster slots cover it). The
 * processor pushes one entry per applied version atomically with the profile write
 * (src/store/lua/apply-profile-2.lua); the API reads it (`RedisHistory.read`, src/api/server.ts).
 * No comment text. The entry itself is src/events/history-entry.ts's.
 */
import type { HistoryEntry } from '../events/history-entry.js';
import { PortraitError } from '../util/errors.js';
import type { Keys } from './keys.js';
import type { RedisClient } from './redis-client.js';

const unavailable = (err: unknown, what: string) => new PortraitError('REDIS_UNAVAILABLE', `Redis history ${what} failed: ${(err as Error).message}`, { cause: err });

function parseEntry(raw: string): HistoryEntry | undefined {
  try {
    const v = JSON.parse(raw) as HistoryEntry;
    return typeof v?.version === 'number' && typeof v.updatedAt === 'string' && Array.isArray(v.interests) ? v : undefined;
  } catch {
    return undefined;
  }
}

export interface RedisHistoryOptions {
  /** entries kept per user */
  max: number;
  /** key TTL refreshed on append (redis.userTtlSeconds); 0 = none */
  ttlSeconds?: number;
}

export class RedisHistory {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly opts: RedisHistoryOptions,
  ) {}

  /** Append one entry per user (newest first, capped); one round trip on the auto-pipelined connection. */
  async append(items: readonly { userId: string; entry: HistoryEntry }[]): Promise<void> {
    try {
      await Promise.all(
        items.map(({ userId, entry }) => {
          const key = this.keys.history(userId);
          const m = this.redis
            .multi()
            .lpush(key, JSON.stringify(entry))
            .ltrim(key, 0, this.opts.max - 1);
          if (this.opts.ttlSeconds) m.expire(key, this.opts.ttlSeconds);
          return m.exec();
        }),
      );
    } catch (err) {
      throw unavailable(err, 'append');
    }
  }

  /** The newest `limit` versions, newest first, one entry per version (a re-sent version is listed once). */
  async read(userId: string, limit: number): Promise<HistoryEntry[]> {
    let raw: string[];
    try {
      raw = await this.redis.lrange(this.keys.history(userId), 0, Math.max(0, limit * 2 - 1));
    } catch (err) {
      throw unavailable(err, 'read');
    }
    const seen = new Set<number>();
    const out: HistoryEntry[] = [];
    for (const r of raw) {
      const e = parseEntry(r);
      if (!e || seen.has(e.version)) continue;
      seen.add(e.version);
      out.push(e);
    }
    return out.sort((a, b) => b.version - a.version).slice(0, limit);
  }
}
