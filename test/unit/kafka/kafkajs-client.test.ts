/** The KafkaClient on kafkajs (src/kafka/kafkajs-client.ts) against a recording fake of kafkajs: the requests and settings it passes on. */
import type { Batch, Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { batchOf, KafkaJsClient } from '../../../src/kafka/kafkajs-client.js';
import { CommentsRunner, headersOf } from '../../../src/kafka/runner.js';
import type { RecordBatch } from '../../../src/kafka/types.js';
import { silentLogger } from '../../../src/util/logger.js';

function fakeKafka(opts: { failSubscribe?: boolean; dropPartition?: number } = {}) {
  const calls: Array<[string, ...unknown[]]> = [];
  let eachBatch: ((p: unknown) => Promise<void>) | undefined;
  const admin = {
    connect: async () => void calls.push(['admin.connect']),
    disconnect: async () => void calls.push(['admin.disconnect']),
    describeCluster: async () => ({ brokers: [{ nodeId: 1, host: 'h', port: 9092 }], controller: 1, clusterId: 'c' }),
    fetchTopicOffsets: async (topic: string) => {
      calls.push(['admin.fetchTopicOffsets', topic]);
      return [
        { partition: 0, offset: '7', high: '7', low: '2' },
        { partition: 1, offset: '0', high: '0', low: '0' },
      ];
    },
    fetchOffsets: async (o: unknown) => {
      calls.push(['admin.fetchOffsets', o]);
      return [
        {
          topic: 't',
          partitions: [
            { partition: 0, offset: '5' },
            { partition: 1, offset: '-1' },
          ],
        },
      ];
    },
    deleteTopics: async (o: unknown) => void calls.push(['admin.deleteTopics', o]),
    deleteGroups: async (ids: unknown) => void calls.push(['admin.deleteGroups', ids]),
  };
  // places messages with the partitioner it was given (3 partitions), as kafkajs does, and answers for each partition written
  let partitioner: ((a: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number) | undefined;
  const producer = {
    connect: async () => {},
    disconnect: async () => {},
    send: async (r: { topic: string; messages: unknown[] }) => {
      calls.push(['producer.send', r]);
      const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 1 }));
      const used = new Set(r.messages.map((message) => partitioner!({ topic: r.topic, partitionMetadata, message })));
      return [...used].filter((p) => p !== opts.dropPartition).map((partition) => ({ topicName: r.topic, partition, errorCode: 0, baseOffset: String(40 + partition) }));
    },
  };
  const consumer = {
    connect: async () => void calls.push(['consumer.connect']),
    disconnect: async () => void calls.push(['consumer.disconnect']),
    subscribe: async (o: unknown) => {
      calls.push(['consumer.subscribe', o]);
      if (opts.failSubscribe) throw new Error('no such topic');
    },
    run: async (o: { eachBatch: (p: unknown) => Promise<void> }) => {
      calls.push(['consumer.run', { ...o, eachBatch: typeof o.eachBatch }]);
      eachBatch = o.eachBatch;
    },
  };
  const kafka = {
    admin: (o?: unknown) => {
      calls.push(['admin', o]);
      return admin;
    },
    producer: (o?: { createPartitioner?: () => typeof partitioner }) => {
      calls.push(['producer', o]);
      partitioner = o?.createPartitioner?.();
      return producer;
    },
    consumer: (o?: unknown) => {
      calls.push(['consumer', o]);
      return consumer;
    },
  };
  return { kafka: kafka as unknown as Kafka, calls, deliver: (p: unknown) => eachBatch!(p) };
}

const kafkajsBatch = (over: Partial<Record<string, unknown>> = {}) =>
  ({
    topic: 't',
    partition: 3,
    messages: [
      { offset: '10', key: Buffer.from('u1'), value: Buffer.from('{}'), headers: { a: Buffer.from('x'), b: ['first', 'second'] }, timestamp: '1700000000000' },
      { offset: '11', key: null, value: null, headers: undefined, timestamp: '1700000000001' },
    ],
    lastOffset: () => '12',
    ...over,
  }) as unknown as Batch;

describe('KafkaJsClient', () => {
  it("turns kafkajs records into Portrait's: numbers for offsets and timestamps, first value of a repeated header", () => {
    expect(headersOf({ a: 'x', b: [Buffer.from('1'), Buffer.from('2')], c: undefined })).toEqual({ a: 'x', b: Buffer.from('1'), c: undefined });
    const b = batchOf(kafkajsBatch());
    expect(b).toEqual({
      topic: 't',
      partition: 3,
      lastOffset: 12,
      records: [
        { topic: 't', partition: 3, offset: 10, key: Buffer.from('u1'), value: Buffer.from('{}'), headers: { a: Buffer.from('x'), b: 'first' }, timestamp: 1700000000000 },
        { topic: 't', partition: 3, offset: 11, key: null, value: null, headers: {}, timestamp: 1700000000001 },
      ],
    });
  });

  it('admin: retries passed on, offsets as numbers, an uncommitted partition has no offset', async () => {
    const f = fakeKafka();
    const c = new KafkaJsClient(f.kafka);
    const plain = c.admin();
    const admin = c.admin({ retries: 2 });
    expect(f.calls.slice(0, 2)).toEqual([
      ['admin', undefined],
      ['admin', { retry: { retries: 2 } }],
    ]);
    expect(await plain.describeCluster()).toEqual({ brokers: [{ nodeId: 1, host: 'h', port: 9092 }] });
    expect(await admin.topicOffsets('t')).toEqual([
      { partition: 0, start: 2, end: 7 },
      { partition: 1, start: 0, end: 0 },
    ]);
    expect(await admin.committedOffsets('g', 't')).toEqual(
      new Map([
        [0, 5],
        [1, undefined],
      ]),
    );
    await admin.deleteTopics(['a', 'b']);
    await admin.deleteGroups(['g']);
    expect(f.calls.slice(-2)).toEqual([
      ['admin.deleteTopics', { topics: ['a', 'b'] }],
      ['admin.deleteGroups', ['g']],
    ]);
  });

  it('producer: settings passed on as given, with the default partitioner recording placements, every send with acks = all, deliveries with numeric offsets', async () => {
    const f = fakeKafka();
    const p = new KafkaJsClient(f.kafka).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    expect(f.calls[0]).toEqual(['producer', { idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: expect.any(Function) }]);
    const d = await p.send('t', [
      { key: 'u', value: 'v', partition: 2 },
      { key: 'u2', value: Buffer.from('w'), headers: { h: 'x' }, partition: 2 },
    ]);
    expect(f.calls[1]).toEqual([
      'producer.send',
      {
        topic: 't',
        acks: -1,
        messages: [
          { key: 'u', value: 'v', partition: 2 },
          { key: 'u2', value: Buffer.from('w'), headers: { h: 'x' }, partition: 2 },
        ],
      },
    ]);
    expect(d).toEqual([{ topic: 't', partition: 2, offset: 42 }]);
  });

  it('producer: a send that resolves without an acknowledgement from a partition it wrote to fails, retriably (kafkajs#1303)', async () => {
    const f = fakeKafka({ dropPartition: 1 });
    const p = new KafkaJsClient(f.kafka).producer({ idempotent: true });
    const err = await p
      .send(
        't',
        [0, 1, 2].map((partition) => ({ key: `u${partition}`, value: 'v', partition })),
      )
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KAFKA_PRODUCE_INCOMPLETE', retriable: true });
    expect((err as Error).message).toContain('t:1 (1 record(s)');
    // keyed without a partition: placed by murmur2, each placement acknowledged
    const placed = await new KafkaJsClient(fakeKafka().kafka).producer().send(
      't',
      ['ann', 'bob', 'carol', 'dave'].map((key) => ({ key, value: 'v' })),
    );
    expect(placed.length).toBeGreaterThan(0);
  });

  it('follow: own group, no topic creation, no commits; heartbeat after each batch; stop disconnects', async () => {
    const f = fakeKafka();
    const seen: RecordBatch[] = [];
    const following = await new KafkaJsClient(f.kafka).follow('t', { groupId: 'g1', fromBeginning: true, maxBytes: 1024 }, async (b) => void seen.push(b));
    expect(f.calls).toEqual([
      ['consumer', { groupId: 'g1', allowAutoTopicCreation: false, maxBytes: 1024 }],
      ['consumer.connect'],
      ['consumer.subscribe', { topic: 't', fromBeginning: true }],
      ['consumer.run', { autoCommit: false, eachBatch: 'function' }],
    ]);
    const order: string[] = [];
    seen.length = 0;
    await f.deliver({ batch: kafkajsBatch(), heartbeat: async () => void order.push(`heartbeat after ${seen.length} batch`) });
    expect(seen.map((b) => b.records.map((r) => r.offset))).toEqual([[10, 11]]);
    expect(order).toEqual(['heartbeat after 1 batch']);
    await following.stop();
    expect(f.calls.at(-1)).toEqual(['consumer.disconnect']);
  });

  it('follow: a reader that cannot start is disconnected and the error passed on', async () => {
    const f = fakeKafka({ failSubscribe: true });
    await expect(new KafkaJsClient(f.kafka).follow('t', { groupId: 'g', fromBeginning: false }, async () => {})).rejects.toThrow('no such topic');
    expect(f.calls.at(-1)).toEqual(['consumer.disconnect']);
  });
});

describe('commentsRunner', () => {
  it('builds the comment loop on the kafkajs client underneath, without connecting', () => {
    const f = fakeKafka();
    const opts = { groupId: 'g', commentsTopic: 'c', profilesTopic: 'p', deadLetterTopic: 'd', maxBatchSize: 10, maxBytesPerPartition: 1024, sessionTimeoutMs: 30000, heartbeatIntervalMs: 3000, fromBeginning: true };
    const handler = { process: async () => ({ profiles: [], deadLetters: [] }) };
    const loop = new KafkaJsClient(f.kafka).commentsRunner(handler, opts, silentLogger);
    expect(loop).toBeInstanceOf(CommentsRunner);
    expect(f.calls).toEqual([]);
  });
});
