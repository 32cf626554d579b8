/** (c) the naive baseline: a backlog of n unique comments drained by bench/child/baseline.ts. */
import { fileURLToPath } from 'node:url';
import type { ProbeSnapshot } from './probe.js';
import { BenchChild } from './child.js';
import { texts } from './corpus.js';
import { makeEvents, produceBacklog, sleep, type Stack, uid } from './stack.js';

export interface BaselineResult {
  events: number;
  eventsPerSecond: number;
  seconds: number;
  msPerEvent: { embed: number; predict: number; redis: number; produce: number };
  trainRows: number;
  trainSeconds: number | null;
  rssPeakMiB: number;
  eventLoopDelayMs: { p99: number; max: number };
  redisRoundTripsPerEvent: number;
  /** CPU time of the naive process per 1000 events, ms (since its consumer started) */
  cpuMsPer1k: number;
}

export async function baseline(stack: Stack, n: number, model: { modelDir: string; model: string }, trainRows = 300, log: (s: string) => void = () => {}): Promise<BaselineResult> {
  const topics = await stack.topic('naive', 6);
  const events = makeEvents(texts(n), uid('n'), { perUser: 10 });
  const producer = await stack.producer();
  await produceBacklog(producer, topics.comments, events);
  await producer.disconnect();
  const prefix = stack.prefix();
  const groupId = stack.group('naive');
  await stack.admin.createTopics({ topics: [{ topic: topics.profiles, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
  const cacheFile = fileURLToPath(new URL('../results/cache-naive-rf-{tag}.json', import.meta.url));
  log(`  backlog of ${n} events produced; starting the naive consumer (first run trains a default random forest on ${trainRows} rows)`);
  const child = new BenchChild(
    'baseline.ts',
    { BENCH_ARGS: JSON.stringify({ brokers: stack.brokers, redisUrl: stack.redisUrl, topic: topics.comments, profilesTopic: topics.profiles, groupId, prefix, modelDir: model.modelDir, model: model.model, trainRows, cacheFile }) },
    'naive',
  );
  try {
    const ready = await child.waitFor('ready', 900_000);
    const t0 = Date.now();
    let r: { done: number; first: number; last: number; stage: BaselineResult['msPerEvent']; probe: ProbeSnapshot };
    for (;;) {
      r = (await child.request('report')).report as typeof r;
      if (r.done >= n) break;
      if (Date.now() - t0 > 900_000) throw new Error(`naive baseline did not finish: ${r.done}/${n}`);
      await sleep(500);
    }
    const span = (r.last - r.first) / 1000;
    const per = (x: number) => Math.round((x / n) * 100) / 100;
    return {
      events: n,
      eventsPerSecond: Math.round(((n - 1) / Math.max(span, 1e-3)) * 10) / 10,
      seconds: Math.round(span * 100) / 100,
      msPerEvent: { embed: per(r.stage.embed), predict: per(r.stage.predict), redis: per(r.stage.redis), produce: per(r.stage.produce) },
      trainRows,
      trainSeconds: (ready.trainSeconds as number) > 0 ? Math.round((ready.trainSeconds as number) * 10) / 10 : null,
      rssPeakMiB: child.memory().hwm,
      eventLoopDelayMs: { p99: r.probe.eventLoopDelayMs.p99, max: r.probe.eventLoopDelayMs.max },
      redisRoundTripsPerEvent: Math.round((r.probe.redis.writes / n) * 100) / 100,
      cpuMsPer1k: Math.round((r.probe.cpuMs / n) * 1000),
    };
  } finally {
    await child.stop();
  }
}
