/**
 * (e) scale-out: two processor processes in one consumer group on a 6-partition topic. A backlog is
 * produced, the first instance starts, the second is started as soon as the first is under way and
 * joins a few seconds later (a rebalance mid-stream). Throughput, and correctness: every user's commentCount in Redis equals the
 * number of events written for that user (nothing lost, nothing counted twice).
 */
import { RedisProfileStore } from '../../src/store/index.js';
import { texts } from './corpus.js';
import { startInstance, type Instance, type ProcessorSetup } from './pipeline.js';
import { makeEvents, produceBacklog, sleep, uid, type Stack } from './stack.js';

export interface ScaleOutResult {
  events: number;
  users: number;
  partitions: number;
  /** all events / (first batch of either → group caught up) */
  eventsPerSecond: number;
  /** events processed while both instances ran / that time */
  eventsPerSecondBoth: number;
  /** events processed by the first instance alone / that time */
  eventsPerSecondAlone: number;
  secondJoinedAfterEvents: number;
  perInstance: { records: number; applied: number; duplicates: number; rssPeakMiB: number }[];
  correctness: { usersChecked: number; mismatched: number; totalCommentCount: number; expected: number; ok: boolean; examples: string[] };
}

export async function scaleOut(stack: Stack, n: number, setup: ProcessorSetup, log: (s: string) => void = () => {}): Promise<ScaleOutResult> {
  const topics = await stack.topic('scale', 6);
  const events = makeEvents(texts(n), uid('s'), { perUser: 10 });
  const producer = await stack.producer();
  await produceBacklog(producer, topics.comments, events);
  await producer.disconnect();
  const expected = new Map<string, number>();
  for (const e of events) expected.set(e.userId, (expected.get(e.userId) ?? 0) + 1);

  const a = await startInstance(stack, topics, setup, undefined, 'proc-A');
  const shared = { groupId: a.groupId, prefix: a.prefix };
  let b: Instance | undefined;
  const instances = [a];
  try {
    await a.child.request('reset');
    let joinAt = 0;
    let joinedRecords = 0;
    let firstAt = 0;
    for (;;) {
      const ra = await a.child.report();
      if (!firstAt && ra.firstBatchAt) firstAt = ra.firstBatchAt;
      // B starts once A is under way; B's start-up (model, group join) takes a few seconds, so it
      // joins, and the group rebalances, mid-stream
      if (!b && ra.records >= Math.min(n / 10, 300)) {
        log(`  instance A did ${ra.records} events; starting instance B in the same group`);
        b = await startInstance(stack, topics, setup, shared, 'proc-B');
        await b.child.request('reset');
        instances.push(b);
        joinAt = Date.now();
        joinedRecords = (await a.child.report()).records;
        log(`  instance B joined after ${joinedRecords} events`);
        if (joinedRecords >= n) log('  (the backlog was done before B joined: use a larger --scale-events)');
      }
      const { lag } = await stack.lag(a.groupId, topics.comments);
      if (lag === 0) break;
      for (const i of instances) if (i.child.error) throw new Error(i.child.error);
      if (firstAt && Date.now() - firstAt > 900_000) throw new Error('scale-out run did not finish');
      await sleep(250);
    }
    const reports = await Promise.all(instances.map((i) => i.child.report()));
    const lastAt = Math.max(...reports.map((r) => r.lastBatchAt));
    const total = reports.reduce((s, r) => s + r.records, 0);
    const alone = joinedRecords;
    const both = total - alone;

    // correctness: every user's count in Redis equals the events written for them
    const store = new RedisProfileStore(stack.redis, { keyPrefix: a.prefix, namespace: 'main', userTtlSeconds: 0 });
    let mismatched = 0;
    let totalCount = 0;
    const examples: string[] = [];
    for (const [u, want] of expected) {
      const p = (await store.getProfile(u)) as { commentCount?: number } | null;
      const got = p?.commentCount ?? 0;
      totalCount += got;
      if (got !== want) {
        mismatched++;
        if (examples.length < 5) examples.push(`${u}: ${got} != ${want}`);
      }
    }
    return {
      events: n,
      users: expected.size,
      partitions: 6,
      eventsPerSecond: Math.round(n / Math.max(1e-3, (lastAt - firstAt) / 1000)),
      eventsPerSecondBoth: Math.round(both / Math.max(1e-3, (lastAt - joinAt) / 1000)),
      eventsPerSecondAlone: Math.round(alone / Math.max(1e-3, (joinAt - firstAt) / 1000)),
      secondJoinedAfterEvents: alone,
      perInstance: reports.map((r, i) => ({ records: r.records, applied: r.applied, duplicates: r.duplicates, rssPeakMiB: instances[i]!.child.memory().hwm })),
      correctness: { usersChecked: expected.size, mismatched, totalCommentCount: totalCount, expected: n, ok: mismatched === 0 && totalCount === n, examples },
    };
  } finally {
    await Promise.all(instances.map((i) => i.child.stop()));
  }
}
