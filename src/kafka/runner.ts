/**
 * The consume → process → publish → commit loop. An offset is committed only after the batch's
 * effect is in Redis and its profile events and dead letters are acknowledged by the broker
 * (acks = all, idempotent producer). A retriable failure (Redis or Kafka down, the embedding worker
 * restarting) retries the same records, heartbeating meanwhile; anything else stops the consumer
 * without committing, so the records are processed again after a restart.
 */
import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchOutput, BatchProcessor, InRecord, OutRecord } from '../pipeline/processor.js';
import { isPortraitError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';

export interface RunnerOptions {
  groupId: string;
  commentsTopic: string;
  profilesTopic: string;
  deadLetterTopic: string;
  maxBatchSize: number;
  maxBytesPerPartition: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  fromBeginning: boolean;
  partitionsConsumedConcurrently?: number;
}

export interface RunnerHooks {
  onBatch?: (out: BatchOutput, info: { partition: number; lastOffset: number; ms: number }) => void;
  onRetry?: (err: unknown, attempt: number) => void;
}

function isRetriable(err: unknown): boolean {
  if (isPortraitError(err)) return err.retriable;
  const e = err as { retriable?: boolean; name?: string };
  if (typeof e?.retriable === 'boolean') return e.retriable; // KafkaJSError
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|max retries/i.test(String((err as Error)?.message ?? err));
}

function headersOf(h: IHeaders | undefined): Record<string, Buffer | string | undefined> {
  const out: Record<string, Buffer | string | undefined> = {};
  for (const [k, v] of Object.entries(h ?? {})) out[k] = Array.isArray(v) ? v[0] : v;
  return out;
}

function toMessage(r: OutRecord): Message {
  return { key: r.key, value: r.value, ...(r.headers ? { headers: r.headers } : {}) };
}

/** Stay well under the broker's default 1 MiB record-batch limit in one produce request. */
const MAX_SEND_BYTES = 768 * 1024;

const sizeOf = (r: OutRecord) =>
  (r.value?.length ?? 0) + (r.key?.length ?? 0) + Object.entries(r.headers ?? {}).reduce((n, [k, v]) => n + k.length + v.length, 0);

/** Split outgoing records into produce requests of bounded size, keeping each topic's order. */
export function sendGroups(items: { topic: string; r: OutRecord }[]): { topic: string; messages: Message[] }[][] {
  const groups: { topic: string; messages: Message[] }[][] = [];
  let current = new Map<string, Message[]>();
  let bytes = 0;
  const flush = () => {
    if (current.size > 0) groups.push([...current].map(([topic, messages]) => ({ topic, messages })));
    current = new Map();
    bytes = 0;
  };
  for (const { topic, r } of items) {
    const n = sizeOf(r);
    if (bytes > 0 && bytes + n > MAX_SEND_BYTES) flush();
    const list = current.get(topic) ?? [];
    list.push(toMessage(r));
    current.set(topic, list);
    bytes += n;
  }
  flush();
  return groups;
}

export class CommentsRunner {
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private stopping = false;
  private crashed: ((err: Error) => void) | undefined;
  /** Resolves when the consumer has stopped for good (stop() or a non-retriable failure). */
  readonly done: Promise<Error | undefined>;
  private resolveDone!: (e: Error | undefined) => void;

  constructor(
    private readonly kafka: Kafka,
    private readonly processor: BatchProcessor,
    private readonly opts: RunnerOptions,
    private readonly log: Logger,
    private readonly hooks: RunnerHooks = {},
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  async start(): Promise<void> {
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false });
    await producer.connect();
    this.producer = producer;
    const consumer = this.kafka.consumer({
      groupId: this.opts.groupId,
      sessionTimeout: this.opts.sessionTimeoutMs,
      heartbeatInterval: this.opts.heartbeatIntervalMs,
      maxBytesPerPartition: this.opts.maxBytesPerPartition,
      allowAutoTopicCreation: false,
      retry: { retries: 8 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, (e) => {
      const { error, restart } = e.payload;
      if (!restart && !this.stopping) {
        this.log.error({ err: error }, 'consumer crashed and will not restart');
        this.resolveDone(error);
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.opts.commentsTopic, fromBeginning: this.opts.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    this.log.info({ topic: this.opts.commentsTopic, groupId: this.opts.groupId }, 'processor consuming');
  }

  private async eachBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    const msgs = batch.messages;
    for (let i = 0; i < msgs.length; i += this.opts.maxBatchSize) {
      if (!p.isRunning() || p.isStale()) return;
      const chunk = msgs.slice(i, i + this.opts.maxBatchSize);
      const done = await this.processChunk(batch.topic, batch.partition, chunk, p);
      if (!done) return;
      const last = chunk[chunk.length - 1]!;
      p.resolveOffset(last.offset);
      await this.consumer!.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
      await p.heartbeat();
    }
  }

  /** Process and publish one chunk, retrying retriable failures; false when the consumer stopped meanwhile. */
  private async processChunk(topic: string, partition: number, chunk: KafkaMessage[], p: EachBatchPayload): Promise<boolean> {
    const records: InRecord[] = chunk.map((m) => ({
      topic,
      partition,
      offset: Number(m.offset),
      key: m.key,
      value: m.value,
      headers: headersOf(m.headers),
    }));
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now();
      try {
        const out = await this.processor.process(records);
        await p.heartbeat();
        for (const topicMessages of sendGroups([
          ...out.profiles.map((r) => ({ topic: this.opts.profilesTopic, r })),
          ...out.deadLetters.map((r) => ({ topic: this.opts.deadLetterTopic, r })),
        ])) {
          await this.producer!.sendBatch({ acks: -1, topicMessages });
        }
        this.hooks.onBatch?.(out, { partition, lastOffset: records[records.length - 1]!.offset, ms: performance.now() - t0 });
        return true;
      } catch (err) {
        if (!isRetriable(err)) throw err;
        this.hooks.onRetry?.(err, attempt);
        this.log.warn({ err: (err as Error).message, attempt, topic, partition }, 'batch failed; retrying the same records');
        const wait = Math.min(5000, 200 * 2 ** Math.min(attempt - 1, 5));
        const until = Date.now() + wait;
        while (Date.now() < until) {
          if (!p.isRunning() || p.isStale()) return false;
          await sleep(Math.min(500, until - Date.now()));
          await p.heartbeat().catch(() => {});
        }
      }
    }
  }

  /** Finish the batch in flight, commit it, disconnect. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    this.resolveDone(undefined);
  }
}
