import { afterEach, describe, expect, it, vi } from 'vitest';
import { WriteBehind } from '../../../src/store/write-behind.js';

describe('WriteBehind', () => {
  afterEach(() => vi.useRealTimers());

  it('holds writes until flush, then issues them all in the same tick, in order', async () => {
    const wb = new WriteBehind(1000);
    const issued: number[] = [];
    const results = [1, 2, 3].map((n) => wb.add(async () => (issued.push(n), n * 10)));
    await Promise.resolve();
    expect(issued).toEqual([]);
    expect(wb.pending).toBe(3);
    wb.flush();
    expect(issued).toEqual([1, 2, 3]); // synchronously: they join the caller's pipeline
    expect(wb.pending).toBe(0);
    expect(await Promise.all(results)).toEqual([10, 20, 30]);
  });

  it('sends on its own after maxDelayMs when nothing flushes it', async () => {
    vi.useFakeTimers();
    const wb = new WriteBehind(100);
    const write = vi.fn(async () => 'ok');
    const p = wb.add(write);
    vi.advanceTimersByTime(99);
    expect(write).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(write).toHaveBeenCalledTimes(1);
    await expect(p).resolves.toBe('ok');
  });

  it('passes a failed write to its caller and keeps the others', async () => {
    const wb = new WriteBehind(1000);
    const bad = wb.add(async () => {
      throw new Error('READONLY');
    });
    const good = wb.add(async () => 'ok');
    wb.flush();
    await expect(bad).rejects.toThrow('READONLY');
    await expect(good).resolves.toBe('ok');
  });

  it('a flush with nothing queued does nothing, and a later add starts a new timer', () => {
    vi.useFakeTimers();
    const wb = new WriteBehind(50);
    wb.flush();
    const write = vi.fn(async () => undefined);
    void wb.add(write);
    wb.flush();
    void wb.add(write);
    vi.advanceTimersByTime(50);
    expect(write).toHaveBeenCalledTimes(2);
  });
});
