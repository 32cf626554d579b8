/**
 * kafkajs#1303 reproduced on kafkajs's own send code (its producer's sendMessages and retrier),
 * over a two-broker cluster in memory: broker 2 fails the first produce (killed), the refreshed
 * metadata then names broker 1 as the leader of broker 2's partitions, and broker 1 had answered
 * already. kafkajs's retry sends nothing more and resolves: the records of broker 2's partitions
 * were never written. expectComplete turns that into a retriable failure.
 */
import { createRequire } from 'node:module';
import type { Message, PartitionerArgs, RecordMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { expectComplete, partitionRecorder, type Placements } from '../../../src/kafka/complete-send.js';
import { PortraitError } from '../../../src/util/errors.js';

const require = createRequire(import.meta.url);
type Send = (req: { acks: number; topicMessages: { topic: string; messages: Message[] }[] }) => Promise<RecordMetadata[]>;
const createSendMessages = require('kafkajs/src/producer/sendMessages') as (deps: object) => Send;
const createRetry = require('kafkajs/src/retry') as (o: object) => (fn: (bail: (e: Error) => void) => Promise<unknown>) => Promise<never>;
const { KafkaJSConnectionError } = require('kafkajs/src/errors') as { KafkaJSConnectionError: new (m: string, o: object) => Error };

const TOPIC = 'profiles';

/** Partitions 0 and 1 led by broker 1, partition 2 by broker 2 until broker 2 fails; then broker 1 leads all. */
function cluster() {
  let failed = false;
  const written: Record<number, string[]> = {};
  const leaders = () => (failed ? { 0: 1, 1: 1, 2: 1 } : { 0: 1, 1: 1, 2: 2 }) as Record<number, number>;
  const broker = (nodeId: number) => ({
    nodeId,
    async produce({ topicData }: { topicData: { topic: string; partitions: { partition: number; messages: Message[] }[] }[] }) {
      if (nodeId === 2) {
        failed = true;
        throw new KafkaJSConnectionError('Connection error: read ECONNRESET', { broker: '127.0.0.1:2' });
      }
      for (const t of topicData) for (const p of t.partitions) (written[p.partition] ??= []).push(...p.messages.map((m) => String(m.value)));
      return { topics: topicData.map((t) => ({ topicName: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '0' })) })) };
    },
  });
  const brokers = new Map([1, 2].map((n) => [n, broker(n)]));
  return {
    written,
    deps: {
      cluster: {
        refreshMetadataIfNecessary: async () => {},
        refreshMetadata: async () => {},
        addMultipleTargetTopics: async () => {},
        isConnected: () => true,
        removeBroker: () => {},
        findTopicPartitionMetadata: () => [0, 1, 2].map((partitionId) => ({ partitionId, leader: leaders()[partitionId] })),
        findLeaderForPartitions: (_topic: string, partitions: string[]) => {
          const out: Record<number, number[]> = {};
          for (const p of partitions.map(Number)) (out[leaders()[p]!] ??= []).push(p);
          return out;
        },
        findBroker: async ({ nodeId }: { nodeId: number | string }) => brokers.get(Number(nodeId)),
      },
      eosManager: {
        isTransactional: () => false,
        acquireBrokerLock: async () => {},
        releaseBrokerLock: async () => {},
        getSequence: () => 0,
        updateSequence: () => {},
        getProducerId: () => 1,
        getProducerEpoch: () => 0,
      },
      retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
      logger: { error: () => {}, debug: () => {}, warn: () => {}, info: () => {} },
    },
  };
}

/** Messages for partitions 0, 1 and 2. */
const messages = (): Message[] => [0, 1, 2].map((partition) => ({ key: `u${partition}`, value: `v${partition}`, partition }));

describe('kafkajs#1303: a send resolved without every partition written', () => {
  it('kafkajs resolves a send whose moved partition was never sent (the upstream bug this guards against)', async () => {
    const c = cluster();
    const placements: Placements = new WeakMap();
    const send = createSendMessages({ ...c.deps, partitioner: partitionRecorder(placements)() });
    const topicMessages = [{ topic: TOPIC, messages: messages() }];
    const acks = await send({ acks: -1, topicMessages });
    expect(c.written[2], 'partition 2 was never written').toBeUndefined();
    expect(acks.map((a) => a.partition).sort()).toEqual([0, 1]);
    // what Portrait does with that answer
    let err: unknown;
    try {
      expectComplete(topicMessages, acks, placements);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PortraitError);
    expect((err as PortraitError).code).toBe('KAFKA_PRODUCE_INCOMPLETE');
    expect((err as PortraitError).message).toContain('profiles:2 (1 record(s)');
  });

  it('a send with every partition acknowledged passes; an acknowledgement with an error code does not count', () => {
    const placements: Placements = new WeakMap();
    const topicMessages = [{ topic: TOPIC, messages: messages() }];
    const ok = [0, 1, 2].map((partition) => ({ topicName: TOPIC, partition, errorCode: 0 }));
    expect(() => expectComplete(topicMessages, ok, placements)).not.toThrow();
    const one = ok.map((a) => (a.partition === 1 ? { ...a, errorCode: 6 } : a));
    expect(() => expectComplete(topicMessages, one, placements)).toThrow(/profiles:1 /);
  });

  it('a message the partitioner placed is checked on its partition; one never placed counts as missing', () => {
    const placements: Placements = new WeakMap();
    const placed: Message = { key: 'ann', value: 'x' };
    const never: Message = { key: 'bob', value: 'y' };
    placements.set(placed, 2);
    expect(() => expectComplete([{ topic: TOPIC, messages: [placed] }], [{ topicName: TOPIC, partition: 2, errorCode: 0 }], placements)).not.toThrow();
    expect(() => expectComplete([{ topic: TOPIC, messages: [placed] }], [{ topicName: TOPIC, partition: 1, errorCode: 0 }], placements)).toThrow(/profiles:2 /);
    expect(() => expectComplete([{ topic: TOPIC, messages: [never] }], [{ topicName: TOPIC, partition: 0, errorCode: 0 }], placements)).toThrow(/profiles:\? /);
  });
});

describe('partitionRecorder', () => {
  const meta = (n: number) => Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
  const args = (message: Message, n = 3): PartitionerArgs => ({ topic: TOPIC, partitionMetadata: meta(n), message });

  it('places keyed messages as kafkajs does (murmur2, the Java client) and remembers where', () => {
    const placements: Placements = new WeakMap();
    const recorded = partitionRecorder(placements)();
    const { Partitioners } = require('kafkajs') as typeof import('kafkajs');
    const plain = Partitioners.DefaultPartitioner();
    for (const key of ['ann', 'bob', 'u0015', '用户']) {
      const m: Message = { key, value: 'v' };
      const p = recorded(args(m));
      expect(p).toBe(plain(args({ key, value: 'v' })));
      expect(placements.get(m)).toBe(p);
    }
  });

  it('a message without a key keeps its first partition when sent again, while the topic has it', () => {
    const placements: Placements = new WeakMap();
    let next = 0;
    const roundRobin = () => () => next++ % 3;
    const recorded = partitionRecorder(placements, roundRobin)();
    const m: Message = { key: null, value: 'v' };
    const first = recorded(args(m));
    expect(recorded(args(m))).toBe(first);
    expect(recorded(args(m))).toBe(first);
    placements.set(m, 5);
    expect(recorded(args(m)), 'partition 5 is gone: placed again').toBeLessThan(3);
  });
});
