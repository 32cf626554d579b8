/**
 * The record of users seen on more than one partition of an input topic (src/pipeline/spread.ts),
 * kept for `portrait topics describe`: one hash per topic, `<prefix>:spread:<topic>`, with per
 * partition set (`<topicId>:<p1>,<p2>`) the number of profile writes that named it (`n:<set>`) and
 * the last one's time (`t:<set>`, epoch ms). No user id is kept: the processor's warning log names
 * the users. The key expires 7 days after its last write, so a fixed producer stops showing.
 */
import type { Keys } from './keys.js';
import type { RedisClient } from './redis-client.js';

export const SPREAD_TTL_SECONDS = 7 * 86_400;

export interface SpreadEntry {
  /** the topic's ID ('' when the broker gave none) */
  topicId: string;
  partitions: number[];
  /** profile writes of spread users that named this partition set */
  writes: number;
  /** the last such write, epoch ms */
  last: number;
}

export async function noteSpread(redis: RedisClient, keys: Keys, topic: string, sets: ReadonlyMap<string, number>, now: number): Promise<void> {
  if (sets.size === 0) return;
  const key = keys.spread(topic);
  const ops: Promise<unknown>[] = [];
  for (const [set, n] of sets) {
    ops.push(redis.hincrby(key, `n:${set}`, n));
    ops.push(redis.hset(key, `t:${set}`, String(now)));
  }
  ops.push(redis.expire(key, SPREAD_TTL_SECONDS));
  await Promise.all(ops);
}

export async function readSpread(redis: RedisClient, keys: Keys, topic: string): Promise<SpreadEntry[]> {
  const h = await redis.hgetall(keys.spread(topic));
  const out: SpreadEntry[] = [];
  for (const [field, value] of Object.entries(h)) {
    if (!field.startsWith('n:')) continue;
    const set = field.slice(2);
    const colon = set.lastIndexOf(':');
    const partitions = set
      .slice(colon + 1)
      .split(',')
      .filter((p) => /^\d+$/.test(p))
      .map(Number);
    out.push({ topicId: set.slice(0, colon), partitions, writes: Number(value), last: Number(h[`t:${set}`] ?? 0) });
  }
  return out.sort((a, b) => b.last - a.last);
}
