/**
 * Offsets on a kafkajs admin: the kafkajs side of KafkaAdmin's offset methods (kafkajs-client.ts).
 * Outside src/kafka, use KafkaAdmin (src/kafka/types.ts); consumers/comments.ts still calls these
 * with the kafkajs admin it builds until it moves to the KafkaClient.
 */
import type { Admin } from 'kafkajs';
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

export async function setGroupOffsets(admin: Admin, groupId: string, topic: string, offsets: PartitionOffsets): Promise<void> {
  await admin.setOffsets({ groupId, topic, partitions: [...offsets].map(([partition, offset]) => ({ partition, offset: String(offset) })) });
}
