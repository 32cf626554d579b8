/**
 * A user's comments and forget on different partitions, processed by two instances at once: the
 * erasure (suppression recorded, keys deleted) lands between this instance's load (no profile, no
 * suppression) and its first write, which then finds no key and succeeds. The store stage reads the
 * suppression again after a first write and, where it covers a folded comment, erases the user
 * again and folds once more with it: the erased comments stay erased, later ones are kept.
 */
import { describe, expect, it } from 'vitest';
import { StateCache } from '../../../src/pipeline/state-cache.js';
import type { InRecord } from '../../../src/pipeline/stage.js';
import type { ProfileWrite, Suppression } from '../../../src/store/index.js';
import { commentAt, MemoryStore, memoryFlow, T0 } from '../fuzz/fakes.js';

/** Another instance's erasure of `userId` lands between this one's load and its compare-and-set. */
class RacedStore extends MemoryStore {
  constructor(private readonly race: { userId: string; suppression: Suppression } | undefined) {
    super();
  }
  override async apply(writes: readonly ProfileWrite[]) {
    const r = this.race;
    if (r && writes.some((w) => w.userId === r.userId)) {
      this.erasures.set(r.userId, r.suppression);
      this.rows.delete(r.userId);
    }
    return super.apply(writes);
  }
}

// partition 2 unless said
const comment = (offset: number, userId: string, tsOffset = offset, partition = 2): InRecord => commentAt(offset, userId, { tsOffset, partition });

// dave's forget, on partition 4 (its event time: between the comments at 1 s and 3 s)
const forget: Suppression = { ts: T0 + 2000, offsets: { 'comments:4': 8 } };

describe('a first write racing an erasure processed by another instance', () => {
  it('is erased again: no comment at or before the forget survives, later ones do', async () => {
    const store = new RacedStore({ userId: 'dave', suppression: forget });
    const out = await memoryFlow(store).process([comment(0, 'dave'), comment(1, 'dave'), comment(3, 'dave'), comment(4, 'carol')]);
    const dave = store.rows.get('dave');
    expect(dave?.p.state.count).toBe(1); // only the comment at 3 s, after the forget
    expect(JSON.parse(dave!.profileJson).causedBy).toEqual(['e-3']);
    expect(store.rows.get('carol')?.p.state.count).toBe(1);
    expect(out.stats.conflicts).toBe(1); // folded again
    // what is published for dave is the state that stands
    expect(out.profiles.filter((r) => String(r.key) === 'dave').map((r) => JSON.parse(String(r.value)).causedBy)).toEqual([['e-3']]);
  });

  it('leaves nothing when every folded comment is covered', async () => {
    const store = new RacedStore({ userId: 'dave', suppression: { ...forget, ts: T0 + 60_000 } });
    const out = await memoryFlow(store).process([comment(0, 'dave'), comment(1, 'dave')]);
    expect(store.rows.has('dave')).toBe(false);
    expect(out.stats.suppressed).toBe(2);
    expect(out.profiles).toEqual([]);
  });

  it('without a race, a first write is kept as it is (the suppression read finds none)', async () => {
    const store = new RacedStore(undefined);
    const out = await memoryFlow(store).process([comment(0, 'dave'), comment(1, 'dave')]);
    expect(store.rows.get('dave')?.p.state.count).toBe(2);
    expect(out.stats.conflicts).toBe(0);
  });
});

const forgetRecord = (offset: number, userId: string, tsOffset: number, partition: number): InRecord => ({
  topic: 'comments',
  partition,
  offset,
  key: Buffer.from(userId),
  value: Buffer.from(JSON.stringify({ type: 'forget', schemaVersion: 1, eventId: `f-${offset}`, userId, ts: T0 + tsOffset * 1000 })),
  headers: {},
});

describe('a state this processor wrote after an erasure, taken from its state cache', () => {
  it('still drops a late comment with an event time before the forget (another partition)', async () => {
    const store = new MemoryStore();
    const f = memoryFlow(store, new StateCache(100));
    await f.process([comment(0, 'dave', 0, 2), comment(1, 'dave', 1, 2)]);
    await f.process([forgetRecord(7, 'dave', 10, 4)]); // the forget, on partition 4
    await f.process([comment(2, 'dave', 20, 2)]); // after it: kept, and the state cached
    const late = await f.process([comment(3, 'dave', 5, 2)]); // a late comment from before the forget, on partition 2
    expect(late.stats.suppressed).toBe(1);
    expect(store.rows.get('dave')?.p.state.count).toBe(1);
    expect(JSON.parse(store.rows.get('dave')!.profileJson).causedBy).toEqual(['e-2']);
  });
});

describe('a forget delivered again (a rebalance before its commit) after later comments on another partition were folded', () => {
  it('does not erase them: its receipt says it was applied; the current profile is published again', async () => {
    const store = new MemoryStore();
    const f = memoryFlow(store);
    await f.process([comment(0, 'dave', 0, 2), comment(1, 'dave', 1, 2)]);
    const first = await f.process([forgetRecord(7, 'dave', 10, 4)]);
    expect(first.profiles).toEqual([{ key: 'dave', value: null }]);
    await f.process([comment(2, 'dave', 20, 2)]); // after the forget, on partition 2
    const again = await f.process([forgetRecord(7, 'dave', 10, 4)]); // the forget's chunk, delivered again
    expect(store.rows.get('dave')?.p.state.count).toBe(1);
    expect(again.profiles).toEqual([{ key: 'dave', value: store.rows.get('dave')!.profileJson }]);
  });

  it('publishes the tombstone again while the user is still erased (it may have been lost in a crash)', async () => {
    const store = new MemoryStore();
    const f = memoryFlow(store);
    await f.process([comment(0, 'dave', 0, 2)]);
    await f.process([forgetRecord(7, 'dave', 10, 4)]);
    const again = await f.process([comment(8, 'dave', 5, 4), forgetRecord(7, 'dave', 10, 4)].reverse());
    expect(store.rows.has('dave')).toBe(false);
    expect(again.profiles).toEqual([{ key: 'dave', value: null }]);
  });
});
