/**
 * A chunk whose writes Redis acknowledged but did not confirm on a replica (redis.waitReplicas)
 * fails; if the primary then dies, the promoted replica never had those writes. The retry must fold
 * the chunk again: nothing of it may survive in the processor's state cache, which would make its
 * events look applied already (and be committed without ever reaching the new primary).
 */
import { describe, expect, it } from 'vitest';
import type { InRecord } from '../../../src/pipeline/stage.js';
import { StateCache } from '../../../src/pipeline/state-cache.js';
import { PortraitError } from '../../../src/util/errors.js';
import { commentAt, MemoryStore, memoryFlow } from '../fuzz/fakes.js';

/** A primary with one replica: replicated() confirms (and the replica copies the rows) unless cut off; failover() promotes the replica. */
class ReplicatedStore extends MemoryStore {
  cutOff = false;
  private replica = new Map<string, typeof this.rows extends Map<string, infer R> ? R : never>();
  async replicated(): Promise<void> {
    if (this.cutOff) throw new PortraitError('REDIS_UNREPLICATED', 'writes reached 0 of 1 replica(s)');
    this.replica = new Map([...this.rows].map(([u, r]) => [u, structuredClone(r)]));
  }
  failover(): void {
    this.rows.clear();
    for (const [u, r] of this.replica) this.rows.set(u, r);
    this.cutOff = false;
  }
}

const comment = (offset: number, userId: string): InRecord => commentAt(offset, userId);

describe('a chunk whose writes were not confirmed on a replica', () => {
  it('is folded again after a failover that lost its writes: its states were not cached', async () => {
    const store = new ReplicatedStore();
    const f = memoryFlow(store, new StateCache(100));
    await f.process([comment(0, 'ann'), comment(1, 'ann')]);

    store.cutOff = true;
    const chunk = [comment(2, 'ann'), comment(3, 'ann')];
    await expect(f.process(chunk)).rejects.toMatchObject({ code: 'REDIS_UNREPLICATED' });
    expect(store.rows.get('ann')?.p.state.count).toBe(4); // on the primary, unconfirmed

    store.failover(); // the replica, promoted, has the first chunk only
    expect(store.rows.get('ann')?.p.state.count).toBe(2);
    const retry = await f.process(chunk);
    expect(retry.stats.applied).toBe(2);
    expect(store.rows.get('ann')?.p.state.count).toBe(4);
    expect(store.rows.get('ann')?.p.version).toBe(2);
  });

  it('a confirmed chunk is cached: the next one needs no read', async () => {
    const store = new ReplicatedStore();
    let loads = 0;
    const load = store.load.bind(store);
    store.load = async (ids) => {
      loads++;
      return load(ids);
    };
    const f = memoryFlow(store, new StateCache(100));
    await f.process([comment(0, 'ann')]);
    await f.process([comment(1, 'ann')]);
    expect(loads).toBe(1);
    expect(store.rows.get('ann')?.p.state.count).toBe(2);
  });
});
