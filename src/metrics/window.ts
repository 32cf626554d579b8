/**
 * Small sliding windows for the live stats snapshot (the dashboard): percentiles of recent
 * latencies and recent event rates. Pure; the clock is passed in.
 */
import { quantileSorted } from '../util/stats.js';

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** samples in the window */
  count: number;
}

/** The last `capacity` samples younger than `windowMs`; percentiles by nearest rank. */
export class LatencyWindow {
  private readonly values: Float64Array;
  private readonly times: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(
    private readonly windowMs = 60_000,
    capacity = 2048,
  ) {
    this.values = new Float64Array(capacity);
    this.times = new Float64Array(capacity);
  }

  record(value: number, now: number): void {
    if (!Number.isFinite(value)) return;
    this.values[this.next] = value;
    this.times[this.next] = now;
    this.next = (this.next + 1) % this.values.length;
    this.filled = Math.min(this.filled + 1, this.values.length);
  }

  percentiles(now: number): Percentiles {
    const live: number[] = [];
    for (let i = 0; i < this.filled; i++) if (now - this.times[i]! <= this.windowMs) live.push(this.values[i]!);
    if (live.length === 0) return { p50: 0, p95: 0, p99: 0, max: 0, count: 0 };
    live.sort((a, b) => a - b);
    const rank = (q: number) => quantileSorted(live, q);
    return { p50: rank(0.5), p95: rank(0.95), p99: rank(0.99), max: live[live.length - 1]!, count: live.length };
  }
}

/** Counts per second in one-second buckets; `rate` averages over the window (or the time since the first add). */
export class RateWindow {
  private readonly buckets: Float64Array;
  private readonly seconds: Float64Array;
  private firstAt: number | undefined;

  constructor(private readonly windowSec = 10) {
    this.buckets = new Float64Array(windowSec + 1);
    this.seconds = new Float64Array(windowSec + 1).fill(-1);
  }

  add(n: number, now: number): void {
    this.firstAt ??= now;
    const sec = Math.floor(now / 1000);
    const i = sec % this.buckets.length;
    if (this.seconds[i] !== sec) {
      this.seconds[i] = sec;
      this.buckets[i] = 0;
    }
    this.buckets[i]! += n;
  }

  /** Events per second over the last `windowSec` seconds (the current one included). */
  rate(now: number): number {
    if (this.firstAt === undefined) return 0;
    const sec = Math.floor(now / 1000);
    let sum = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      const s = this.seconds[i]!;
      if (s >= 0 && s > sec - this.windowSec && s <= sec) sum += this.buckets[i]!;
    }
    const spanSec = Math.min(this.windowSec, Math.max(1, (now - this.firstAt) / 1000));
    return sum / spanSec;
  }
}
