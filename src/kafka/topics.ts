import type { Admin, ITopicConfig } from 'kafkajs';
import { deadLetterTopic, type Config } from '../config/index.js';
import type { TopicSpec } from './types.js';

export type { TopicSpec } from './types.js';

/** The topics Portrait reads and writes, with the settings each needs. */
export function portraitTopics(cfg: Pick<Config, 'kafka'>): TopicSpec[] {
  const k = cfg.kafka;
  return [
    { topic: k.topics.comments, numPartitions: k.partitions, replicationFactor: k.replicationFactor },
    {
      // Compacted: the latest profile per user is kept forever; a null value (tombstone) erases it.
      topic: k.topics.profiles,
      numPartitions: k.partitions,
      replicationFactor: k.replicationFactor,
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'min.cleanable.dirty.ratio', value: '0.1' },
        { name: 'segment.ms', value: '3600000' },
      ],
    },
    { topic: deadLetterTopic(cfg), numPartitions: k.partitions, replicationFactor: k.replicationFactor },
  ];
}

/** Create missing topics (existing ones are left as they are); returns the names created. KafkaAdmin.ensureTopics outside src/kafka. */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return [];
  const topics: ITopicConfig[] = missing.map((s) => ({
    topic: s.topic,
    numPartitions: s.numPartitions,
    replicationFactor: s.replicationFactor,
    ...(s.configEntries ? { configEntries: s.configEntries } : {}),
  }));
  await admin.createTopics({ topics, waitForLeaders: true });
  return missing.map((s) => s.topic);
}
