/**
 * The KafkaClient (src/kafka/types.ts) on kafkajs. Built by `createKafkaClient` (client.ts) from the
 * configuration; the kafkajs objects stay inside src/kafka.
 */
import type { Admin, Batch, Kafka, Producer, RecordMetadata } from 'kafkajs';
import { committedOffsets, offsetsAtTime, setGroupOffsets } from './offsets.js';
import { CommentsRunner, headersOf } from './runner.js';
import { TopicIds } from './topic-ids.js';
import { expectComplete, partitionRecorder, type Placements } from './complete-send.js';
import type { Logger } from '../util/logger.js';
import { ensureTopics, setTopicSettings, topicSettings } from './topics.js';
import type {
  ConsumeLoop,
  Delivery,
  HandlerOutput,
  RecordHandler,
  RunnerHooks,
  RunnerOptions,
  FollowOptions,
  Following,
  KafkaAdmin,
  KafkaClient,
  KafkaProducer,
  KafkaRecord,
  PartitionOffsets,
  PartitionRange,
  ProducedRecord,
  ProducerOptions,
  RecordBatch,
  TopicIdSource,
  TopicSpec,
} from './types.js';

/** A fetched kafkajs batch as Portrait's. */
export function batchOf(batch: Batch): RecordBatch {
  return {
    topic: batch.topic,
    partition: batch.partition,
    records: batch.messages.map(
      (m): KafkaRecord => ({
        topic: batch.topic,
        partition: batch.partition,
        offset: Number(m.offset),
        key: m.key,
        value: m.value,
        headers: headersOf(m.headers),
        timestamp: Number(m.timestamp),
      }),
    ),
    lastOffset: Number(batch.lastOffset()),
  };
}

export class KafkaJsAdmin implements KafkaAdmin {
  /** `kafka`: the client the admin came from (lets setGroupOffsets use a short fetch wait) */
  constructor(
    private readonly admin: Admin,
    private readonly kafka?: Kafka,
  ) {}

  connect(): Promise<void> {
    return this.admin.connect();
  }

  disconnect(): Promise<void> {
    return this.admin.disconnect();
  }

  async describeCluster(): Promise<{ brokers: { nodeId: number; host: string; port: number }[] }> {
    const c = await this.admin.describeCluster();
    return { brokers: c.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })) };
  }

  listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  ensureTopics(specs: readonly TopicSpec[]): Promise<string[]> {
    return ensureTopics(this.admin, specs);
  }

  deleteTopics(topics: readonly string[]): Promise<void> {
    return this.admin.deleteTopics({ topics: [...topics] });
  }

  topicSettings(topics: readonly string[], names: readonly string[]): Promise<Map<string, Record<string, string | null>>> {
    return topicSettings(this.admin, topics, names);
  }

  setTopicSettings(topic: string, settings: Readonly<Record<string, string>>): Promise<void> {
    return setTopicSettings(this.admin, topic, settings);
  }

  async topicOffsets(topic: string): Promise<PartitionRange[]> {
    return (await this.admin.fetchTopicOffsets(topic)).map((o) => ({ partition: o.partition, start: Number(o.low), end: Number(o.high) }));
  }

  offsetsAtTime(topic: string, ts: number): Promise<PartitionOffsets> {
    return offsetsAtTime(this.admin, topic, ts);
  }

  committedOffsets(groupId: string, topic: string): Promise<Map<number, number | undefined>> {
    return committedOffsets(this.admin, groupId, topic);
  }

  setGroupOffsets(groupId: string, topic: string, offsets: PartitionOffsets): Promise<void> {
    return setGroupOffsets(this.admin, groupId, topic, offsets, this.kafka);
  }

  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    await this.admin.deleteGroups([...groupIds]);
  }
}

const deliveryOf = (m: RecordMetadata): Delivery => ({ topic: m.topicName, partition: m.partition, offset: m.baseOffset !== undefined ? Number(m.baseOffset) : undefined });

class KafkaJsProducer implements KafkaProducer {
  constructor(
    private readonly producer: Producer,
    private readonly placements: Placements,
  ) {}

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  async send(topic: string, records: readonly ProducedRecord[]): Promise<Delivery[]> {
    const messages = records.map((r) => ({ key: r.key, value: r.value, ...(r.headers ? { headers: r.headers } : {}), ...(r.partition !== undefined ? { partition: r.partition } : {}) }));
    const acks = await this.producer.send({ topic, acks: -1, messages });
    expectComplete([{ topic, messages }], acks, this.placements);
    return acks.map(deliveryOf);
  }
}

export class KafkaJsClient implements KafkaClient {
  /** The kafkajs client, for src/kafka only (the comments runner, topic IDs). */
  constructor(readonly kafkajs: Kafka) {}

  admin(opts: { retries?: number } = {}): KafkaAdmin {
    return new KafkaJsAdmin(opts.retries === undefined ? this.kafkajs.admin() : this.kafkajs.admin({ retry: { retries: opts.retries } }), this.kafkajs);
  }

  producer(opts: ProducerOptions = {}): KafkaProducer {
    const placements: Placements = new WeakMap();
    return new KafkaJsProducer(this.kafkajs.producer({ ...opts, createPartitioner: partitionRecorder(placements) }), placements);
  }

  async follow(topic: string, opts: FollowOptions, onBatch: (batch: RecordBatch) => Promise<void>): Promise<Following> {
    const consumer = this.kafkajs.consumer({ groupId: opts.groupId, allowAutoTopicCreation: false, ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}) });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch, heartbeat }) => {
          await onBatch(batchOf(batch));
          await heartbeat();
        },
      });
    } catch (err) {
      await consumer.disconnect().catch(() => {});
      throw err;
    }
    return { stop: () => consumer.disconnect() };
  }

  topicIds(): TopicIdSource {
    return new TopicIds(this.kafkajs);
  }

  commentsRunner<O extends HandlerOutput>(handler: RecordHandler<O>, opts: RunnerOptions, log: Logger, hooks: RunnerHooks<O> = {}): ConsumeLoop {
    return new CommentsRunner(this.kafkajs, handler, opts, log, hooks);
  }
}
