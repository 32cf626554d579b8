import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './redis-client.js';

/** The nodes that hold keys: every primary of a Cluster, or the one server. */
export function primaries(redis: RedisClient): (Redis | Cluster)[] {
  return 'nodes' in redis && typeof redis.nodes === 'function' ? redis.nodes('master') : [redis];
}

/** Every key matching `pattern`, node by node (a Cluster scans each primary), in pages. */
export async function* scanKeys(redis: RedisClient, pattern: string, count = 1000): AsyncGenerator<{ node: Redis | Cluster; keys: string[] }> {
  for (const node of primaries(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) yield { node, keys };
    } while (cursor !== '0');
  }
}

/** Every key matching `pattern` on every primary, as one list: stops paging a node once `limit` keys are found (SCAN COUNT `count`). */
export async function collectKeys(redis: RedisClient, pattern: string, limit = 10_000, count = 500): Promise<string[]> {
  const out: string[] = [];
  for (const node of primaries(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0' && out.length < limit);
  }
  return out;
}
