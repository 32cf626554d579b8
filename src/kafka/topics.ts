import type { Admin, ConfigResourceTypes, ConfigSource, ITopicConfig } from 'kafkajs';
import { deadLetterTopic, featuresTopic, type Config } from '../config/index.js';
import { askAgain } from './ask-again.js';
import { configuredRetention } from './retention.js';
import type { TopicSpec } from './types.js';

export type { TopicSpec } from './types.js';

/** A compacted topic's settings: compacted soon after writes (hour-long segments, 10 % dirty). */
const COMPACTED = [
  { name: 'cleanup.policy', value: 'compact' },
  { name: 'min.cleanable.dirty.ratio', value: '0.1' },
  { name: 'segment.ms', value: '3600000' },
] as const;

/** The topics Portrait reads and writes, with the settings each needs (retention: src/kafka/retention.ts). */
export function portraitTopics(cfg: Pick<Config, 'kafka'>): TopicSpec[] {
  const k = cfg.kafka;
  const retention = configuredRetention(cfg);
  return [
    {
      // Deleted by age: a rebuild folds what it still holds (kafka.retentionDays.comments).
      topic: k.topics.comments,
      numPartitions: k.partitions,
      replicationFactor: k.replicationFactor,
      configEntries: [
        { name: 'cleanup.policy', value: 'delete' },
        { name: 'retention.ms', value: retention.comments },
      ],
    },
    {
      // Compacted: the latest profile per user is kept forever; a null value (tombstone) erases it.
      topic: k.topics.profiles,
      numPartitions: k.partitions,
      replicationFactor: k.replicationFactor,
      configEntries: [...COMPACTED],
    },
    ...(k.featureLog
      ? [
          {
            // Compacted: one record per folded comment until `portrait forget` tombstones it.
            topic: featuresTopic(cfg),
            numPartitions: k.partitions,
            replicationFactor: k.replicationFactor,
            configEntries: [...COMPACTED],
          },
        ]
      : []),
    {
      topic: deadLetterTopic(cfg),
      numPartitions: k.partitions,
      replicationFactor: k.replicationFactor,
      configEntries: [
        { name: 'cleanup.policy', value: 'delete' },
        { name: 'retention.ms', value: retention.deadLetter },
      ],
    },
  ];
}

/**
 * What a broker answers about a topic created a moment ago, until its metadata has caught up with
 * the controller's (a cluster of several brokers: the broker kafkajs asks is not always the one that
 * created it) or the topic's leaders are elected. kafkajs's createTopics waits for leaders but gives up
 * at the first "unknown topic", and its describeConfigs does not ask again at all: `portrait topics
 * create` failed on a freshly started 3-node cluster (stack-cluster.test.ts, 1 run of the suite).
 */
const NEW_TOPIC_NOT_READY = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/** How long a just-created topic may stay unknown to the broker asked (then its error is thrown). */
export const NEW_TOPIC_WAIT_MS = 30_000;

/** Create missing topics (existing ones are left as they are) and wait for their leaders; returns the names created. KafkaAdmin.ensureTopics outside src/kafka. */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[], pause?: (ms: number) => Promise<unknown>): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return [];
  const topics: ITopicConfig[] = missing.map((s) => ({
    topic: s.topic,
    numPartitions: s.numPartitions,
    replicationFactor: s.replicationFactor,
    ...(s.configEntries ? { configEntries: s.configEntries } : {}),
  }));
  const names = missing.map((s) => s.topic);
  // false: kafkajs found them existing (created by our first try, or by someone else meanwhile) and did not wait for their leaders
  const waitedForLeaders = await askAgain(NEW_TOPIC_NOT_READY, () => admin.createTopics({ topics, waitForLeaders: true }), NEW_TOPIC_WAIT_MS, pause);
  if (!waitedForLeaders)
    await askAgain(
      NEW_TOPIC_NOT_READY,
      async () => {
        const meta = await admin.fetchTopicMetadata({ topics: names });
        const leaderless = meta.topics.flatMap((t) => t.partitions.filter((p) => p.leader < 0).map((p) => `${t.name}/${p.partitionId}`));
        if (leaderless.length > 0) throw Object.assign(new Error(`no leader yet for ${leaderless.join(', ')}`), { type: 'LEADER_NOT_AVAILABLE' });
      },
      NEW_TOPIC_WAIT_MS,
      pause,
    );
  return names;
}

// Kafka protocol constants (DescribeConfigs / AlterConfigs): kafkajs exports them from a CommonJS
// object that Node's ESM loader does not see as named exports, so they are spelled out here.
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;
const TOPIC_CONFIG_SOURCE = 1 as ConfigSource;

/**
 * The effective value of each named setting per topic (defaults included), from one DescribeConfigs
 * request. A topic the broker asked does not know is asked about again for up to NEW_TOPIC_WAIT_MS
 * (one just created), then fails the call. KafkaAdmin.topicSettings outside src/kafka.
 */
export async function topicSettings(admin: Admin, topics: readonly string[], names: readonly string[], pause?: (ms: number) => Promise<unknown>): Promise<Map<string, Record<string, string | null>>> {
  const out = new Map<string, Record<string, string | null>>();
  if (topics.length === 0) return out;
  // kafkajs throws the first resource's error; a topic just created may be unknown to the broker asked for a moment
  const res = await askAgain(NEW_TOPIC_NOT_READY, () => admin.describeConfigs({ resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: [...names] })), includeSynonyms: false }), NEW_TOPIC_WAIT_MS, pause);
  for (const r of res.resources) {
    if (r.errorCode !== 0) continue;
    out.set(r.resourceName, Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue])));
  }
  return out;
}

/**
 * Set some of a topic's settings, keeping its other topic-level overrides (AlterConfigs replaces
 * the whole set, so the current overrides are read first and sent back with the change).
 */
export async function setTopicSettings(admin: Admin, topic: string, settings: Readonly<Record<string, string>>): Promise<void> {
  const res = await admin.describeConfigs({ resources: [{ type: TOPIC_RESOURCE, name: topic }], includeSynonyms: false });
  const current = res.resources[0]?.configEntries.filter((e) => e.configSource === TOPIC_CONFIG_SOURCE && e.configValue !== null && !e.isSensitive) ?? [];
  const merged = new Map(current.map((e) => [e.configName, e.configValue]));
  for (const [name, value] of Object.entries(settings)) merged.set(name, value);
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC_RESOURCE, name: topic, configEntries: [...merged].map(([name, value]) => ({ name, value })) }] });
}
