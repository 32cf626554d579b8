import { describe, expect, it } from 'vitest';
import { LatencyWindow, RateWindow } from '../../../src/metrics/window.js';

describe('LatencyWindow', () => {
  it('nearest-rank percentiles over the samples younger than the window', () => {
    const w = new LatencyWindow(60_000, 1000);
    for (let i = 1; i <= 100; i++) w.record(i, 1000);
    w.record(9999, 0); // older than the window at t = 70 000
    w.record(Number.NaN, 1000); // ignored
    expect(w.percentiles(61_000)).toEqual({ p50: 50, p95: 95, p99: 99, max: 100, count: 100 });
    expect(w.percentiles(1_000_000).count).toBe(0);
  });

  it('keeps only the last `capacity` samples', () => {
    const w = new LatencyWindow(60_000, 4);
    for (const v of [100, 100, 1, 2, 3, 4]) w.record(v, 0);
    expect(w.percentiles(0)).toMatchObject({ max: 4, count: 4 });
  });
});

describe('RateWindow', () => {
  it('events per second over the window, over the time since the first add at start-up', () => {
    const r = new RateWindow(10);
    expect(r.rate(0)).toBe(0);
    r.add(10, 0);
    expect(r.rate(500)).toBe(10); // at least one second of span
    for (let s = 1; s < 20; s++) r.add(10, s * 1000);
    expect(r.rate(19_500)).toBe(10);
    expect(r.rate(40_000)).toBe(0); // all buckets aged out
  });
});
