/**
 * Offsets on a kafkajs admin: the kafkajs side of KafkaAdmin's offset methods (kafkajs-client.ts).
 * Outside src/kafka, use KafkaAdmin (src/kafka/types.ts); consumers/comments.ts still calls these
 * with the kafkajs admin it builds until it moves to the KafkaClient.
 */
import type { Admin, Kafka } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { askAgain } from './ask-again.js';
import type { PartitionOffsets } from './types.js';

export type { PartitionOffsets } from './types.js';

/** End offsets (high watermarks) now. */
export async function endOffsets(admin: Admin, topic: string): Promise<PartitionOffsets> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
}

/** First offset per partition whose record timestamp is at or after `ts` (the end when none is). */
export async function offsetsAtTime(admin: Admin, topic: string, ts: number): Promise<PartitionOffsets> {
  const [byTime, ends] = await Promise.all([admin.fetchTopicOffsetsByTimestamp(topic, ts), endOffsets(admin, topic)]);
  return new Map(byTime.map((o) => [o.partition, Number(o.offset) < 0 ? (ends.get(o.partition) ?? 0) : Number(o.offset)]));
}

/** First offsets still in the log. */
export async function startOffsets(admin: Admin, topic: string): Promise<PartitionOffsets> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.low)]));
}

/**
 * What a group coordinator answers while it is not ready: its __consumer_offsets partition still
 * loading (a fresh cluster, a coordinator that just moved), none elected yet, or the group moved.
 * kafkajs's consumer retries these; its admin.fetchOffsets does not retry at all, and one such
 * answer at start-up ended `portrait run` on a fresh 3-node cluster (stack-cluster.test.ts).
 */
const COORDINATOR_NOT_READY = new Set(['GROUP_LOAD_IN_PROGRESS', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR_FOR_GROUP']);

/** How long committedOffsets asks again while the coordinator is not ready (then its error is thrown). */
export const COORDINATOR_WAIT_MS = 60_000;

/**
 * A group's committed offsets (undefined per partition when it has none), asked again (250 ms,
 * doubling to 2 s) for up to `waitMs` while the group's coordinator is not ready.
 */
export async function committedOffsets(admin: Pick<Admin, 'fetchOffsets'>, groupId: string, topic: string, waitMs = COORDINATOR_WAIT_MS, pause: (ms: number) => Promise<unknown> = sleep): Promise<Map<number, number | undefined>> {
  const res = await askAgain(COORDINATOR_NOT_READY, () => admin.fetchOffsets({ groupId, topics: [topic] }), waitMs, pause);
  return new Map((res[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset) >= 0 ? Number(p.offset) : undefined]));
}

/**
 * Commit a group's offsets (the group must have no running member). With the kafkajs client this is
 * kafkajs's admin.setOffsets done with a 100 ms fetch wait: admin.setOffsets joins the group with a
 * consumer, seeks, and stops at its first (paused) fetch, which waits kafkajs's default 5 s; a
 * rebuild from the feature log sets offsets twice, so those waits were 10 s of a rebuild's wall time.
 */
export async function setGroupOffsets(admin: Admin, groupId: string, topic: string, offsets: PartitionOffsets, kafka?: Kafka): Promise<void> {
  const partitions = [...offsets].map(([partition, offset]) => ({ partition, offset: String(offset) }));
  if (!kafka || partitions.length === 0) {
    await admin.setOffsets({ groupId, topic, partitions });
    return;
  }
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const description = await consumer.describeGroup();
    if (!['Empty', 'Dead'].includes(description.state)) throw new Error(`the consumer group ${groupId} must have no running members to set its offsets, current state: ${description.state}`);
    await new Promise<void>((resolve, reject) => {
      // seeks commit (autoCommit); the first fetch after them means they were applied
      consumer.on(consumer.events.FETCH, () => resolve());
      consumer.run({ eachBatchAutoResolve: false, eachBatch: async () => {} }).catch(reject);
      consumer.pause([{ topic }]);
      for (const p of partitions) consumer.seek({ topic, ...p });
    });
  } finally {
    await consumer.disconnect();
  }
}
