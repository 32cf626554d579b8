import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ensureTopics, topicSettings } from '../../../src/kafka/topics.js';
import type { TopicSpec } from '../../../src/kafka/types.js';

/** kafkajs's error for a broker's answer (KafkaJSProtocolError: a type and a retriable flag). */
const protocolError = (type: string) => Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type, retriable: true });

const SPECS: TopicSpec[] = [
  { topic: 'a', numPartitions: 2, replicationFactor: 3 },
  { topic: 'b', numPartitions: 1, replicationFactor: 3 },
];

/**
 * An admin of a cluster where `b` exists already; createTopics answers `creates` in turn (an error
 * is thrown), fetchTopicMetadata gives `leaders` in turn (one leader per partition of `a`, -1: none
 * yet), describeConfigs throws `describeErrors` in turn, then answers.
 */
function cluster(o: { creates: (boolean | Error)[]; leaders?: number[][]; describeErrors?: Error[] }) {
  const calls = { creates: 0, metadata: 0, describes: 0, pauses: [] as number[] };
  const fake = {
    listTopics: async () => ['b'],
    createTopics: async () => {
      calls.creates++;
      const r = o.creates.shift();
      if (r instanceof Error) throw r;
      return r ?? true;
    },
    fetchTopicMetadata: async () => {
      calls.metadata++;
      const leaders = o.leaders?.shift() ?? [1, 2];
      return { topics: [{ name: 'a', partitions: leaders.map((leader, partitionId) => ({ partitionId, leader, replicas: [1, 2, 3], isr: [1, 2, 3], offlineReplicas: [], partitionErrorCode: 0 })) }] };
    },
    describeConfigs: async () => {
      calls.describes++;
      const err = o.describeErrors?.shift();
      if (err) throw err;
      return {
        throttleTime: 0,
        resources: [
          { errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'a', configEntries: [{ configName: 'retention.ms', configValue: '1000', readOnly: false, isDefault: false, configSource: 1, isSensitive: false, configSynonyms: [] }] },
        ],
      };
    },
  };
  const pause = async (ms: number) => void calls.pauses.push(ms);
  return { admin: fake as unknown as Admin, calls, pause };
}

describe('ensureTopics on a cluster whose brokers learn a new topic one after another', () => {
  it('creates the missing topics once, kafkajs having waited for their leaders', async () => {
    const c = cluster({ creates: [true] });
    expect(await ensureTopics(c.admin, SPECS, c.pause)).toEqual(['a']);
    expect([c.calls.creates, c.calls.metadata, c.calls.pauses]).toEqual([1, 0, []]);
  });

  it('asks again when the broker did not know the new topic yet, then waits for its leaders itself (kafkajs answers "exists" without waiting)', async () => {
    const c = cluster({
      creates: [protocolError('UNKNOWN_TOPIC_OR_PARTITION'), false],
      leaders: [
        [-1, 2],
        [1, 2],
      ],
    });
    expect(await ensureTopics(c.admin, SPECS, c.pause)).toEqual(['a']);
    expect([c.calls.creates, c.calls.metadata]).toEqual([2, 2]);
    expect(c.calls.pauses).toEqual([250, 250]);
  });

  it('throws any other error at once', async () => {
    const err = protocolError('INVALID_REPLICATION_FACTOR');
    const c = cluster({ creates: [err] });
    await expect(ensureTopics(c.admin, SPECS, c.pause)).rejects.toBe(err);
    expect(c.calls.pauses).toEqual([]);
  });

  it('gives up with the last error after its wait (30 s of pauses)', async () => {
    const c = cluster({ creates: Array.from({ length: 40 }, () => protocolError('UNKNOWN_TOPIC_OR_PARTITION')) });
    await expect(ensureTopics(c.admin, SPECS, c.pause)).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(c.calls.pauses.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(30_000);
    expect(c.calls.pauses.reduce((a, b) => a + b, 0)).toBeGreaterThan(27_000);
  });
});

describe('topicSettings', () => {
  it('asks again while the broker asked does not know a just-created topic (kafkajs throws the first resource error)', async () => {
    const c = cluster({ creates: [], describeErrors: [protocolError('UNKNOWN_TOPIC_OR_PARTITION'), protocolError('UNKNOWN_TOPIC_OR_PARTITION')] });
    const got = await topicSettings(c.admin, ['a'], ['retention.ms'], c.pause);
    expect(got.get('a')).toEqual({ 'retention.ms': '1000' });
    expect([c.calls.describes, c.calls.pauses]).toEqual([3, [250, 500]]);
  });
});
