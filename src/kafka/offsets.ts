/**
 * Offsets on a kafkajs admin: the kafkajs side of KafkaAdmin's offset methods (kafkajs-client.ts).
 * Outside src/kafka, use KafkaAdmin (src/kafka/types.ts); consumers/comments.ts still calls these
 * with the kafkajs admin it builds until it moves to the KafkaClient.
 */
import type { Admin, Kafka } from 'kafkajs';
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

/** A group's committed offsets (undefined per partition when it has none). */
export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Map<number, number | undefined>> {
  const res = await admin.fetchOffsets({ groupId, topics: [topic] });
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
