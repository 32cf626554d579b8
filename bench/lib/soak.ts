/**
 * (f) soak: one processor under a steady load (default 80% of the measured throughput) for M
 * minutes; consumer lag and the processor's RSS sampled every 10 s. The corpus holds ~14,600
 * unique texts; past that the stream repeats them with a counter appended (" #2", " #3", …), so
 * every text stays new to the embedding caches. The users are a fixed population (default 2,000),
 * so the processor's per-user state cache reaches its steady size early: growth after that is a leak.
 */
import { corpus } from './corpus.js';
import { startInstance, type ProcessorSetup } from './pipeline.js';
import { makeEvents, sleep, produceSteady, uid, type Stack } from './stack.js';

export interface SoakSample {
  t: number;
  lag: number;
  rssMiB: number;
  /** the processor's main-thread V8 heap in use and its external memory (Buffers), MiB */
  heapMiB?: number;
  /** the main thread's committed V8 heap, MiB */
  heapTotalMiB?: number;
  externalMiB?: number;
}

export interface SoakResult {
  minutes: number;
  rate: number;
  events: number;
  samples: SoakSample[];
  /** least-squares slope of lag over time, events/s (≈ 0 when the processor keeps up) */
  lagSlopePerSecond: number;
  lagMax: number;
  lagAtEnd: number;
  users: number;
  /**
   * RSS growth over the steady part of the run (from max(60 s, 20 % of the run), when the caches are
   * full, to the end), from a least-squares line through the samples (single samples jump with GC)
   */
  rssGrowthPct: number;
  /** the same line's slope, MiB per minute; and the main-thread heap's */
  rssSlopeMiBPerMin: number;
  heapSlopeMiBPerMin: number;
  rssStartMiB: number;
  rssEndMiB: number;
  rssPeakMiB: number;
  eventLoopDelayMs: { p99: number; max: number };
  cpuMsPer1k: number;
}

function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export async function soak(stack: Stack, rate: number, minutes: number, setup: ProcessorSetup, log: (s: string) => void = () => {}, users = 2000): Promise<SoakResult> {
  const topics = await stack.topic('soak', 6);
  const inst = await startInstance(stack, topics, setup, undefined, 'proc-soak');
  const all = corpus();
  const n = Math.round(rate * minutes * 60);
  const items = Array.from({ length: n }, (_, i) => all[i % all.length]!);
  const events = makeEvents(items, uid('k'), { perUser: 10, users, ts: () => Date.now(), suffix: (i) => (i < all.length ? '' : ` #${Math.floor(i / all.length) + 1}`) });
  const samples: SoakSample[] = [];
  const t0 = Date.now();
  let stop = false;
  const sampler = (async () => {
    while (!stop) {
      await sleep(10_000 - ((Date.now() - t0) % 10_000));
      if (stop) break;
      const { lag } = await stack.lag(inst.groupId, topics.comments).catch(() => ({ lag: NaN }));
      const rep = await inst.child.report().catch(() => undefined);
      const s: SoakSample = { t: Math.round((Date.now() - t0) / 1000), lag, rssMiB: inst.child.memory().rss, heapMiB: rep?.probe.heapUsedMiB, heapTotalMiB: rep?.probe.heapTotalMiB, externalMiB: rep?.probe.externalMiB };
      samples.push(s);
      log(`    t=${s.t}s lag=${s.lag} rss=${s.rssMiB} MiB heap=${s.heapMiB}/${s.heapTotalMiB} MiB external=${s.externalMiB} MiB`);
    }
  })();
  try {
    await stack.waitForGroupStable(inst.groupId, 1);
    await inst.child.request('reset');
    const producer = await stack.producer();
    log(`  soak: ${Math.round(rate)} events/s for ${minutes} min`);
    await produceSteady(producer, topics.comments, events, rate);
    await producer.disconnect();
    stop = true;
    await sampler;
    const lagged = samples.filter((s) => Number.isFinite(s.lag));
    const after = samples.filter((s) => s.t >= Math.max(60, minutes * 60 * 0.2));
    const steady = after.length >= 2 ? after : samples;
    const rssSlope = slope(
      steady.map((s) => s.t),
      steady.map((s) => s.rssMiB),
    );
    const heaped = steady.filter((s) => s.heapMiB !== undefined);
    const heapSlope = slope(
      heaped.map((s) => s.t),
      heaped.map((s) => s.heapMiB!),
    );
    const meanT = steady.reduce((a, s) => a + s.t, 0) / Math.max(1, steady.length);
    const meanR = steady.reduce((a, s) => a + s.rssMiB, 0) / Math.max(1, steady.length);
    const fit = (t: number) => meanR + rssSlope * (t - meanT);
    const tStart = steady[0]?.t ?? 0;
    const tEnd = steady[steady.length - 1]?.t ?? 0;
    const mem = inst.child.memory();
    await stack.waitForLag(inst.groupId, topics.comments, 0, 60_000).catch(() => undefined);
    const rep = await inst.child.report();
    return {
      minutes,
      users,
      rate: Math.round(rate),
      events: n,
      samples,
      lagSlopePerSecond:
        Math.round(
          slope(
            lagged.map((s) => s.t),
            lagged.map((s) => s.lag),
          ) * 100,
        ) / 100,
      lagMax: Math.max(0, ...lagged.map((s) => s.lag)),
      lagAtEnd: lagged[lagged.length - 1]?.lag ?? NaN,
      rssGrowthPct: steady.length >= 2 ? Math.round(((fit(tEnd) - fit(tStart)) / fit(tStart)) * 1000) / 10 : NaN,
      rssSlopeMiBPerMin: Math.round(rssSlope * 60 * 100) / 100,
      heapSlopeMiBPerMin: Math.round(heapSlope * 60 * 100) / 100,
      rssStartMiB: Math.round(fit(tStart) * 10) / 10,
      rssEndMiB: Math.round(fit(tEnd) * 10) / 10,
      rssPeakMiB: mem.hwm,
      eventLoopDelayMs: { p99: rep.probe.eventLoopDelayMs.p99, max: rep.probe.eventLoopDelayMs.max },
      cpuMsPer1k: Math.round((rep.probe.cpuMs / Math.max(1, rep.records)) * 1000),
    };
  } finally {
    stop = true;
    await inst.child.stop();
  }
}
