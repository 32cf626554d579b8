/**
 * redis.waitReplicas on a real primary and replica (two redis-servers of this test): the store's
 * replicated() resolves once the writes are on the replica; with the replica stopped (SIGSTOP, so
 * the primary still lists it online) it fails with REDIS_UNREPLICATED after redis.waitTimeoutMs,
 * and passes again once the replica runs; with the replica gone, it keeps failing (saying how to go
 * on without it), while a processor that never saw the replica goes on, saying so once.
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
  it('confirms writes on the replica, fails a chunk whose writes did not get there in time, keeps waiting for a replica that is gone (a new processor goes on, and says so once)', async () => {
    const primary = ownRedis(await freePort());
    await primary.start();
    const replica = ownRedis(await freePort(), ['--replicaof', '127.0.0.1', String(primary.port)]);
    await replica.start();
    const redis = new Redis(primary.url, { maxRetriesPerRequest: 1 });
    registerCleanup(() => void redis.disconnect());
    await waitFor('the replica online', async () => /slave0:.*state=online/.test(await redis.info('replication')));

    const warnings: string[] = [];
    const infos: string[] = [];
    const log = { warn: (_o: unknown, msg: string) => void warnings.push(msg), info: (_o: unknown, msg: string) => void infos.push(msg) } as unknown as Logger;
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
    expect(await replicaClient.get('k')).toBe('2');
    replicaClient.disconnect();

    // the replica is gone: its chunks wait for it (a replica cut off while its primary writes on is
    // what a failover promotes with writes missing), and say how to go on without it
    process.kill(replica.pid()!, 'SIGKILL');
    await waitFor('the primary without replicas', async () => /connected_slaves:0/.test(await redis.info('replication')));
    now += 10_000; // past the replica count's refresh
    await redis.set('k', '3');
    const gone = await rw.wait().then(
      () => undefined,
      (e: unknown) => e as PortraitError,
    );
    expect(gone?.code).toBe('REDIS_UNREPLICATED');
    expect(gone?.message).toMatch(/had 1 online before and has 0 now.*redis\.waitReplicas to 0, or restart the processor/);
    expect(warnings).toEqual([]);

    // a processor started now (a primary that never had a replica in its time) goes on, and says so once
    const fresh = new ReplicaWait(redis, { want: 1, timeoutMs: 800, log, clock: () => now });
    await fresh.wait();
    now += 10_000;
    await fresh.wait();
    expect(infos).toHaveLength(1);
    expect(infos[0]).toMatch(/no replica online/);
    expect(warnings).toEqual([]);
  }, 60_000);
});
