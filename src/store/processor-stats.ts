/**
 * Live processors' stats snapshots in Redis (docs/api.md, "Stats publishing"): every processor
 * writes its own (src/metrics/publisher.ts decides what and when), the API reads them all
 * (src/api/stats.ts), so no API instance ever needs to reach a processor.
 *
 *   <prefix>:<ns>:proc:{<instanceId>}   hash, TTL ~15 s (gone soon after the processor is)
 *     stats     ProcSnapshot JSON (src/metrics/snapshot.ts), < 2 KB
 *     metrics   the processor's prom-client registry as JSON, for the API's /metrics
 *     at        epoch ms of the snapshot
 *
 * The instance id is escaped like a user id (Keys.proc), so the key has one hash tag; the API
 * finds the snapshots with SCAN on every primary.
 */
import { PortraitError } from '../util/errors.js';
import { Keys } from './keys.js';
import type { RedisClient } from './redis-client.js';
import { collectKeys } from './scan.js';
import type { ProcessorStatsFields, ProcessorStatsStore } from './types.js';

function unavailable(err: unknown): PortraitError {
  return new PortraitError('REDIS_UNAVAILABLE', `Redis stats read failed: ${(err as Error).message}`, { cause: err });
}

export class RedisProcessorStats implements ProcessorStatsStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
  ) {}

  /** The key of a processor's snapshot. */
  key(namespace: string, instanceId: string): string {
    return new Keys(this.keyPrefix, namespace).proc(instanceId);
  }

  async put(namespace: string, instanceId: string, fields: ProcessorStatsFields, ttlMs: number): Promise<void> {
    const key = this.key(namespace, instanceId);
    await this.redis.multi().hset(key, fields).pexpire(key, ttlMs).exec();
  }

  async remove(namespace: string, instanceId: string): Promise<void> {
    await this.redis.del(this.key(namespace, instanceId));
  }

  async read(namespace: string, fields: readonly (keyof ProcessorStatsFields)[]): Promise<(string | null)[][]> {
    try {
      const keys = await collectKeys(this.redis, new Keys(this.keyPrefix, namespace).procPattern(), 1000);
      return await Promise.all(keys.map((k) => this.redis.hmget(k, ...fields)));
    } catch (err) {
      throw unavailable(err);
    }
  }
}
