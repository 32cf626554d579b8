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
  /** RSS at the end vs the first sample at or after max(60 s, 20% of the run), when the caches are full */
  rssGrowthPct: number;
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
      const s = { t: Math.round((Date.now() - t0) / 1000), lag, rssMiB: inst.child.memory().rss };
      samples.push(s);
      log(`    t=${s.t}s lag=${s.lag} rss=${s.rssMiB} MiB`);
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
    const start = after[0] ?? samples[0];
    const end = samples[samples.length - 1];
    const mem = inst.child.memory();
    await stack.waitForLag(inst.groupId, topics.comments, 0, 60_000).catch(() => undefined);
    const rep = await inst.child.report();
    return {
      minutes,
      users,
      rate: Math.round(rate),
      events: n,
      samples,
      lagSlopePerSecond: Math.round(slope(lagged.map((s) => s.t), lagged.map((s) => s.lag)) * 100) / 100,
      lagMax: Math.max(0, ...lagged.map((s) => s.lag)),
      lagAtEnd: lagged[lagged.length - 1]?.lag ?? NaN,
      rssGrowthPct: start && end ? Math.round(((end.rssMiB - start.rssMiB) / start.rssMiB) * 1000) / 10 : NaN,
      rssStartMiB: start?.rssMiB ?? NaN,
      rssEndMiB: end?.rssMiB ?? NaN,
      rssPeakMiB: mem.hwm,
      eventLoopDelayMs: { p99: rep.probe.eventLoopDelayMs.p99, max: rep.probe.eventLoopDelayMs.max },
      cpuMsPer1k: Math.round((rep.probe.cpuMs / Math.max(1, rep.records)) * 1000),
    };
  } finally {
    stop = true;
    await inst.child.stop();
  }
}
