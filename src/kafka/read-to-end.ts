/**
 * Read a topic from its start to the end offsets it has when the call begins (every partition),
 * with a throwaway consumer group that is deleted afterwards. For operator commands that scan a
 * topic once (the feature log at a forget; evaluate-profiles reading profile events back).
 */
import { randomBytes } from 'node:crypto';
import type { Following, KafkaAdmin, KafkaClient, KafkaRecord } from './types.js';

export async function readToEnd(kafka: KafkaClient, admin: KafkaAdmin, topic: string, onRecord: (r: KafkaRecord) => void, groupPrefix = 'portrait-reader'): Promise<void> {
  const ends = new Map((await admin.topicOffsets(topic)).filter((e) => e.end > e.start).map((e) => [e.partition, e.end]));
  if (ends.size === 0) return;
  const groupId = `${groupPrefix}-${randomBytes(4).toString('hex')}`;
  let caughtUp!: () => void;
  const read = new Promise<void>((resolve) => (caughtUp = resolve));
  let reader: Following | undefined;
  try {
    reader = await kafka.follow(topic, { groupId, fromBeginning: true }, async (batch) => {
      const end = ends.get(batch.partition);
      if (end === undefined) return;
      for (const r of batch.records) if (r.offset < end) onRecord(r);
      // the last offset fetched counts control records too: a partition ends with one after a transaction
      if (batch.lastOffset + 1 >= end) ends.delete(batch.partition);
      if (ends.size === 0) caughtUp();
    });
    await read;
  } finally {
    await reader?.stop();
    await admin.deleteGroups([groupId]).catch(() => {});
  }
}
