import { describe, expect, it } from 'vitest';
import { StallWatch } from '../../../src/kafka/stall.js';

function watch(afterMs = 1000) {
  let now = 0;
  const w = new StallWatch(afterMs, () => now);
  return { w, advance: (ms: number) => (now += ms) };
}

describe('StallWatch: a chunk held in one stage, or a loop that stopped fetching, is said once', () => {
  it('a chunk in one stage past the limit is said once, with its stage and offset', () => {
    const { w, advance } = watch();
    w.enter(2, 'continuity-check', 640);
    advance(999);
    w.fetched();
    expect(w.overdue()).toEqual([]);
    advance(1);
    expect(w.overdue()).toEqual([{ partition: 2, stage: 'continuity-check', firstOffset: 640, forMs: 1000 }]);
    advance(5000);
    expect(w.overdue(), 'said once').toEqual([]);
  });

  it('moving on to the next stage starts the clock again; the same stage entered again does not', () => {
    const { w, advance } = watch();
    w.enter(0, 'handler', 0);
    advance(800);
    w.enter(0, 'produce', 0);
    advance(800);
    w.fetched();
    expect(w.overdue()).toEqual([]);
    w.enter(0, 'produce', 0);
    advance(200);
    expect(w.overdue().map((s) => s.stage)).toEqual(['produce']);
    // the next chunk of the partition in the same stage is a new wait
    w.enter(0, 'produce', 64);
    advance(999);
    expect(w.overdue()).toEqual([]);
  });

  it('a chunk left is forgotten', () => {
    const { w, advance } = watch();
    w.enter(1, 'confirm', 10);
    w.leave(1);
    advance(2000);
    w.fetched();
    expect(w.overdue()).toEqual([]);
  });

  it('no fetch for the limit with no chunk in flight is the loop itself stuck, said once until a fetch starts', () => {
    const { w, advance } = watch();
    advance(1500);
    expect(w.overdue()).toEqual([{ stage: 'fetch', forMs: 1500 }]);
    advance(1500);
    expect(w.overdue()).toEqual([]);
    w.fetched();
    advance(1000);
    expect(w.overdue()).toEqual([{ stage: 'fetch', forMs: 1000 }]);
  });

  it('a fetcher waiting for its chunks is not stuck itself; nor is a loop not expected to run', () => {
    const { w, advance } = watch();
    w.enter(0, 'handler', 0);
    advance(1500);
    expect(w.overdue().map((s) => s.stage)).toEqual(['handler']);
    w.leave(0);
    expect(w.overdue(false)).toEqual([]);
    expect(w.overdue().map((s) => s.stage)).toEqual(['fetch']);
  });
});

describe('StallWatch: the offset commit in flight', () => {
  it('is said once when in flight past the limit; a commit that settled is forgotten', () => {
    let now = 0;
    const w = new StallWatch(1000, () => now);
    w.commitStarted();
    now += 500;
    w.fetched();
    w.commitEnded();
    w.commitStarted();
    now += 999;
    w.fetched();
    expect(w.overdue()).toEqual([]);
    now += 1;
    expect(w.overdue()).toEqual([{ stage: 'commit', forMs: 1000 }]);
    now += 1000;
    w.fetched();
    expect(w.overdue()).toEqual([]);
    w.commitEnded();
    now += 5000;
    w.fetched();
    expect(w.overdue()).toEqual([]);
  });
});

describe('StallWatch: a group coordinator fallen silent', () => {
  it('is silent once no heartbeat went through for longer than the limit; a heartbeat or a join ends it', () => {
    let now = 0;
    const w = new StallWatch(60_000, () => now);
    now += 15_000;
    expect(w.coordinatorSilent(15_000, 70_000)).toBeUndefined();
    now += 1;
    expect(w.coordinatorSilent(15_000, 70_000)).toBe(15_001);
    w.heartbeat();
    now += 10_000;
    expect(w.coordinatorSilent(15_000, 70_000)).toBeUndefined();
  });

  it('a join under way is given the rebalance timeout, then counts as silence from its start', () => {
    let now = 0;
    const w = new StallWatch(60_000, () => now);
    now += 10_000;
    w.joining();
    now += 69_999;
    expect(w.coordinatorSilent(15_000, 70_000), 'joining: every member may take the rebalance timeout').toBeUndefined();
    now += 1;
    expect(w.coordinatorSilent(15_000, 70_000)).toBe(70_000);
    w.heartbeat(); // the join completed
    now += 1000;
    expect(w.coordinatorSilent(15_000, 70_000)).toBeUndefined();
  });
});
