/**
 * What the store stage hands the similar-users snapshot (src/store/similar-snapshot.ts): every
 * write carries the centroid of the version it writes (the store queues it once the write won),
 * and a redelivery that re-publishes stored versions asks the store to send their entries again
 * (a crash between the compare-and-set and the write-behind's flush would have lost them).
 */
import { describe, expect, it } from 'vitest';
import type { InRecord } from '../../../src/pipeline/stage.js';
import type { ProfileWrite, SimilarEntry } from '../../../src/store/index.js';
import { commentAt, MemoryStore, memoryFlow } from '../fuzz/fakes.js';

class SnapshotStore extends MemoryStore {
  readonly queued: SimilarEntry[] = [];
  readonly refreshed: SimilarEntry[] = [];
  override async apply(writes: readonly ProfileWrite[]) {
    const res = await super.apply(writes);
    for (const w of writes) if (res.get(w.userId)?.ok && w.centroid) this.queued.push({ userId: w.userId, version: w.version, centroid: Array.from(w.centroid) });
    return res;
  }
  refreshSimilar(entries: readonly SimilarEntry[]) {
    this.refreshed.push(...entries.map((e) => ({ ...e, centroid: Array.from(e.centroid) })));
  }
}

const comment = (offset: number, userId: string): InRecord => commentAt(offset, userId);

describe('store stage → similar-users snapshot entries', () => {
  it('each written version carries its unit centroid; a redelivery asks for the stored versions again', async () => {
    const store = new SnapshotStore();
    const f = memoryFlow(store);
    const batch = [comment(0, 'a'), comment(1, 'b'), comment(2, 'a')];
    await f.process(batch);
    expect(store.queued.map((e) => [e.userId, e.version]).sort()).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    for (const e of store.queued) expect(Math.hypot(...(e.centroid as number[]))).toBeCloseTo(1, 6);
    expect(store.refreshed).toEqual([]);

    // the same records again (a crash before the commit): nothing new is written, the stored
    // versions are re-published and their snapshot entries sent again
    await f.process(batch);
    expect(store.queued).toHaveLength(2);
    expect(store.refreshed.map((e) => [e.userId, e.version]).sort()).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    for (const r of store.refreshed) {
      const w = store.queued.find((q) => q.userId === r.userId)!;
      (r.centroid as number[]).forEach((x, i) => expect(x).toBeCloseTo((w.centroid as number[])[i]!, 5));
    }
  });
});
