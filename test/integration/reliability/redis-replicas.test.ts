/**
 * redis.waitReplicas on a real primary and replica (two redis-servers of this test): the store's
 * replicated() resolves once the writes are on the replica; with the replica stopped (SIGSTOP, so
 * the primary still lists it online) it fails with REDIS_UNREPLICATED after redis.waitTimeoutMs,
 * and passes again once the replica runs; with the replica gone, the primary is waited on for the
 * replicas it has (none), with one warning.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ReplicaWait } from '../../../src/store/replicas.js';
import { PortraitError } from '../../../src/util/errors.js';
import type { Logger } from '../../../src/util/logger.js';
import { freePort, ownRedis } from '../../helpers/faults.js';
import { registerCleanup } from '../../helpers/services.js';
import { waitFor } from '../../helpers/wait.js';

describe('redis.waitReplicas on a primary and a replica', () => {
  it('confirms writes on the replica, fails a chunk whose writes did not get there in time, and goes on without a replica that is gone', async () => {
    const primary = ownRedis(await freePort());
    await primary.start();
    const replica = ownRedis(await freePort(), ['--replicaof', '127.0.0.1', String(primary.port)]);
    await replica.start();
    const redis = new Redis(primary.url, { maxRetriesPerRequest: 1 });
    registerCleanup(() => void redis.disconnect());
    await waitFor('the replica online', async () => /slave0:.*state=online/.test(await redis.info('replication')));

    const warnings: string[] = [];
    const log = { warn: (_o: unknown, msg: string) => void warnings.push(msg) } as unknown as Logger;
    let now = 0;
    const rw = new ReplicaWait(redis, { want: 1, timeoutMs: 800, log, clock: () => now });

    await redis.set('k', '1');
    await rw.wait();
    expect(warnings).toEqual([]);

    // the replica stops reading the replication stream; the primary still lists it online
    process.kill(replica.pid()!, 'SIGSTOP');
    try {
      await redis.set('k', '2');
      const t0 = Date.now();
      const err = await rw.wait().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PortraitError);
      expect((err as PortraitError).code).toBe('REDIS_UNREPLICATED');
      expect((err as PortraitError).retriable).toBe(true);
      expect((err as Error).message).toMatch(/reached 0 of 1 replica/);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
    } finally {
      process.kill(replica.pid()!, 'SIGCONT');
    }
    await rw.wait(); // the same writes, now on the replica
    const replicaClient = new Redis(replica.url, { maxRetriesPerRequest: 1 });
    registerCleanup(() => void replicaClient.disconnect());
    expect(await replicaClient.get('k')).toBe('2');

    // the replica is gone: the primary has none online, so the writes go on, with a warning
    process.kill(replica.pid()!, 'SIGKILL');
    await waitFor('the primary without replicas', async () => /connected_slaves:0/.test(await redis.info('replication')));
    now += 10_000; // past the replica count's refresh
    await redis.set('k', '3');
    await rw.wait();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no replica online/);
    await rw.wait();
    expect(warnings).toHaveLength(1); // once per interval
  }, 60_000);
});
