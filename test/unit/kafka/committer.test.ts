import { describe, expect, it } from 'vitest';
import { BackgroundCommitter, type OffsetToCommit } from '../../../src/kafka/committer.js';

/** A commit function whose calls the test completes by hand. */
function manualBroker() {
  const calls: Array<{ offsets: OffsetToCommit[]; resolve: () => void; reject: (e: Error) => void }> = [];
  const commit = (offsets: OffsetToCommit[]) => new Promise<void>((resolve, reject) => calls.push({ offsets, resolve, reject }));
  return { calls, commit };
}
const tick = () => new Promise<void>((r) => setImmediate(r));
const o = (partition: number, offset: number, topic = 't'): OffsetToCommit => ({ topic, partition, offset: String(offset) });

describe('BackgroundCommitter', () => {
  it('sends one request at a time and coalesces what was asked meanwhile into the next, newest offset per partition', async () => {
    const b = manualBroker();
    const c = new BackgroundCommitter(b.commit, () => {});
    c.request(o(0, 10));
    await tick();
    expect(b.calls).toHaveLength(1);
    c.request(o(0, 20));
    c.request(o(1, 5));
    c.request(o(0, 30));
    await tick();
    expect(b.calls).toHaveLength(1); // still one in flight
    b.calls[0]!.resolve();
    await tick();
    expect(b.calls).toHaveLength(2);
    expect(b.calls[1]!.offsets).toEqual([o(0, 30), o(1, 5)]);
    b.calls[1]!.resolve();
    await c.flush();
    expect(b.calls).toHaveLength(2);
  });

  it('never moves a pending partition offset backwards', async () => {
    const b = manualBroker();
    const c = new BackgroundCommitter(b.commit, () => {});
    c.request(o(0, 1));
    c.request(o(0, 50));
    c.request(o(0, 40));
    await tick();
    b.calls[0]!.resolve();
    await tick();
    expect(b.calls[1]!.offsets).toEqual([o(0, 50)]);
    b.calls[1]!.resolve();
    await c.flush();
  });

  it('keeps topics apart', async () => {
    const b = manualBroker();
    const c = new BackgroundCommitter(b.commit, () => {});
    c.request(o(0, 1, 'a'));
    c.request(o(0, 2, 'b'));
    c.request(o(0, 3, 'a'));
    await tick();
    expect(b.calls[0]!.offsets).toEqual([o(0, 1, 'a')]);
    b.calls[0]!.resolve();
    await tick();
    expect(b.calls[1]!.offsets).toEqual([o(0, 2, 'b'), o(0, 3, 'a')]);
    b.calls[1]!.resolve();
    await c.flush();
  });

  it('reports a failed commit, counts it, and goes on with the next request', async () => {
    const b = manualBroker();
    const errors: Array<[unknown, OffsetToCommit[]]> = [];
    const c = new BackgroundCommitter(b.commit, (err, offsets) => errors.push([err, offsets]));
    c.request(o(2, 7));
    await tick();
    c.request(o(2, 9));
    b.calls[0]!.reject(new Error('REBALANCE_IN_PROGRESS'));
    await tick();
    expect(errors).toHaveLength(1);
    expect((errors[0]![0] as Error).message).toBe('REBALANCE_IN_PROGRESS');
    expect(errors[0]![1]).toEqual([o(2, 7)]);
    expect(c.failed).toBe(1);
    expect(b.calls[1]!.offsets).toEqual([o(2, 9)]);
    b.calls[1]!.resolve();
    await c.flush();
  });

  it('flush waits until everything requested has been sent, including requests made while flushing', async () => {
    const b = manualBroker();
    const c = new BackgroundCommitter(b.commit, () => {});
    let flushed = false;
    await c.flush(); // nothing requested: at once
    c.request(o(0, 1));
    const f = c.flush().then(() => (flushed = true));
    await tick();
    c.request(o(0, 2));
    b.calls[0]!.resolve();
    await tick();
    expect(flushed).toBe(false);
    expect(b.calls).toHaveLength(2);
    b.calls[1]!.resolve();
    await f;
    expect(flushed).toBe(true);
  });
});
