import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { KafkaJsAdmin } from '../../src/kafka/kafkajs-client.js';
import { groupLag } from '../../src/metrics/lag.js';
import { uniqueName } from './services.js';
import { waitFor } from './wait.js';

/** Wait until the group's committed offsets reach the end of every partition of the topic. */
export async function waitForCaughtUp(admin: Admin, groupId: string, topic: string, timeoutMs = 120_000): Promise<void> {
  let lag = Infinity;
  await waitFor(
    () => `group ${groupId} to catch up on ${topic} (lag: ${lag})`,
    async () => {
      try {
        ({ lag } = await groupLag(new KafkaJsAdmin(admin), groupId, topic));
      } catch (err) {
        // a group the processor has not joined yet: its coordinator may still be loading (retriable)
        if ((err as { retriable?: boolean }).retriable) return false;
        throw err;
      }
      return lag === 0;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

export type ReadMessage = KafkaMessage & { partition: number };

/** Every message currently in the topic (up to the end offsets at call time), in partition order. */
export async function readAll(kafka: Kafka, admin: Admin, topic: string): Promise<ReadMessage[]> {
  const ends = await admin.fetchTopicOffsets(topic);
  const remaining = new Map(ends.filter((e) => Number(e.high) > Number(e.low)).map((e) => [e.partition, Number(e.high)]));
  const out: ReadMessage[] = [];
  if (remaining.size === 0) return out;
  const groupId = uniqueName('reader');
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        out.push({ ...message, partition });
        if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) remaining.delete(partition);
        if (remaining.size === 0) resolve();
      },
    });
  });
  await consumer.disconnect();
  await admin.deleteGroups([groupId]).catch(() => {});
  out.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
  return out;
}
