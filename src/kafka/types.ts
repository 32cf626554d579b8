/**
 * What Portrait asks of Kafka, in Portrait's own types: the interface everything outside src/kafka
 * uses (issue #16), so that another client library can be dropped in behind it without touching
 * the pipeline, the API, the metrics or the CLI. The implementation on kafkajs is
 * src/kafka/kafkajs-client.ts; `createKafkaClient` (src/kafka/client.ts) builds it from the config.
 *
 * Deliberately small: the operations Portrait uses and nothing else, and the comment processor's
 * consume → handle → publish → commit loop (`commentsRunner`, src/kafka/runner.ts on kafkajs), which
 * hands records to a `RecordHandler` and knows nothing of the pipeline's stages.
 */
import type { Logger } from '../util/logger.js';

/** One record as Portrait reads it (offsets and timestamps as numbers: below 2^53 they are exact). */
export interface KafkaRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  /** null: a tombstone */
  value: Buffer | null;
  /** a header sent more than once keeps its first value */
  headers: Record<string, Buffer | string | undefined>;
  /** the record's timestamp, epoch ms */
  timestamp: number;
}

/** The records of one partition fetched together. */
export interface RecordBatch {
  topic: string;
  partition: number;
  records: KafkaRecord[];
  /**
   * The offset of the last record fetched, records not handed over (control records) included:
   * the next batch of the partition starts after it.
   */
  lastOffset: number;
}

/** A record to publish; the partition is chosen from the key (murmur2, as the Java client does) unless `partition` names one. */
export interface ProducedRecord {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string>;
  /** this partition, not the key's (the feature log writes a record to its comment's partition) */
  partition?: number;
}

/** Where a send put the records of one partition. */
export interface Delivery {
  topic: string;
  partition: number;
  /** the offset of the first record written to that partition (undefined when the broker did not say) */
  offset: number | undefined;
}

/** Offsets per partition. */
export type PartitionOffsets = Map<number, number>;

/** A partition's log: the first offset still in it and its end offset (the high watermark, the next offset to be written). */
export interface PartitionRange {
  partition: number;
  start: number;
  end: number;
}

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  configEntries?: { name: string; value: string }[];
}

/** The identity of one incarnation of a topic (KIP-516; src/kafka/topic-ids.ts). */
export interface TopicIdentity {
  topic: string;
  /** undefined: the broker has no ID for it (Kafka < 2.8) or the topic does not exist */
  topicId: string | undefined;
  exists: boolean;
  partitions: number;
}

/** Topic IDs: compare offsets only within one incarnation of a topic. */
export interface TopicIdSource {
  /** The current identity of each topic (one request). */
  lookup(topics: readonly string[]): Promise<Map<string, TopicIdentity>>;
  /** A topic's ID as of a request that began after this call; throws (retriably) while the topic does not exist. */
  fresh(topic: string): Promise<string | undefined>;
  /** One topic's current ID (undefined when the broker has none or the topic does not exist). */
  id(topic: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Cluster and topic administration, offsets of topics and of consumer groups. Connect before use. */
export interface KafkaAdmin {
  /** Connects (again, after a broker outage); a connected admin returns at once. */
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** The brokers in the cluster metadata (a metadata request: throws when no broker answers). */
  describeCluster(): Promise<{ brokers: { nodeId: number; host: string; port: number }[] }>;
  listTopics(): Promise<string[]>;
  /** Create the missing topics (existing ones are left as they are) and wait for their leaders; returns the names created. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<string[]>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  /** The effective value of each named setting per existing topic (broker defaults included). */
  topicSettings(topics: readonly string[], names: readonly string[]): Promise<Map<string, Record<string, string | null>>>;
  /** Change some of a topic's settings; its other topic-level overrides are kept. */
  setTopicSettings(topic: string, settings: Readonly<Record<string, string>>): Promise<void>;
  /** Each partition's first and end offsets, now. */
  topicOffsets(topic: string): Promise<PartitionRange[]>;
  /** First offset per partition whose record timestamp is at or after `ts` (the end when none is). */
  offsetsAtTime(topic: string, ts: number): Promise<PartitionOffsets>;
  /** A group's committed offsets (undefined for a partition it has none for). */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, number | undefined>>;
  /** Set a group's offsets (the group must have no active member). */
  setGroupOffsets(groupId: string, topic: string, offsets: PartitionOffsets): Promise<void>;
  deleteGroups(groupIds: readonly string[]): Promise<void>;
}

export interface ProducerOptions {
  /** no duplicates from the producer's own retries (default false) */
  idempotent?: boolean;
  /** requests in flight per broker connection (default: the client's) */
  maxInFlightRequests?: number;
  /** let a send to a missing topic create it (default true) */
  allowAutoTopicCreation?: boolean;
}

/** Publishes records; every send waits until all in-sync replicas have them (acks = all). */
export interface KafkaProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(topic: string, records: readonly ProducedRecord[]): Promise<Delivery[]>;
}

export interface FollowOptions {
  /**
   * The reader's own consumer group (kafkajs has no group-less assignment): it never commits, so a
   * reader always starts where `fromBeginning` says; the caller deletes it afterwards
   * (KafkaAdmin.deleteGroups).
   */
  groupId: string;
  /** true: from each partition's first offset; false: only records written from now on */
  fromBeginning: boolean;
  /** most bytes per fetch (default: the client's) */
  maxBytes?: number;
}

/** A topic being followed; `stop` leaves the group and closes the connection. */
export interface Following {
  stop(): Promise<void>;
}

/**
 * A Kafka cluster as Portrait uses it. Creating admins, producers and followers opens nothing:
 * `connect` (or `follow`) does.
 */
export interface KafkaClient {
  /** `retries`: how often a failed request is retried before it fails (default: the client's) */
  admin(opts?: { retries?: number }): KafkaAdmin;
  producer(opts?: ProducerOptions): KafkaProducer;
  /**
   * Read `topic` (every partition) and call `onBatch` with each fetched batch of a partition, one
   * batch at a time; resolves once reading has started. The topic must exist (nothing is created).
   */
  follow(topic: string, opts: FollowOptions, onBatch: (batch: RecordBatch) => Promise<void>): Promise<Following>;
  /** A long-lived reader of topic IDs with a connection of its own, opened on first use. */
  topicIds(): TopicIdSource;
  /**
   * The comment processor's loop over `opts.commentsTopic`: chunks of each partition to `handler`,
   * what it returns produced (acks = all, idempotent), then the offsets committed (runner.ts).
   */
  commentsRunner<O extends HandlerOutput>(handler: RecordHandler<O>, opts: RunnerOptions, log: Logger, hooks?: RunnerHooks<O>): ConsumeLoop;
}

// The comment processor's loop: the records it hands to a handler, what it takes back, its options and hooks.

export interface InRecord {
  topic: string;
  /** the topic's ID (KIP-516) as the runner found it for this chunk; undefined when unknown */
  topicId?: string | undefined;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string | undefined>;
  /** the Kafka record timestamp, epoch ms (for ingestion-to-profile latency) */
  timestamp?: number;
}

/** A record to send (profiles, dead letters): the same shape as ProducedRecord. */
export type OutRecord = ProducedRecord;

/** What a handler gives back for one chunk: records for the profiles topic and for the dead-letter topic. */
export interface HandlerOutput {
  profiles: OutRecord[];
  deadLetters: OutRecord[];
  /** feature-log records of the comments folded (src/events/feature-record.ts); sent with the profiles, before the commit */
  features?: OutRecord[];
  /**
   * Run once `profiles` are acknowledged, before the commit: profile records to publish again
   * because another writer moved the store on meanwhile (src/pipeline/confirm.ts); undefined = none.
   */
  confirm?: (() => Promise<Republish | undefined>) | undefined;
}

/** Profile records to publish again after a chunk's, and the check to run once they are acknowledged. */
export interface Republish {
  profiles: OutRecord[];
  confirm?: (() => Promise<Republish | undefined>) | undefined;
}

/** Processes one chunk of one partition; the runner publishes what it returns, then commits. */
export interface RecordHandler<O extends HandlerOutput = HandlerOutput> {
  process(records: readonly InRecord[]): Promise<O>;
}

export interface RunnerOptions {
  groupId: string;
  commentsTopic: string;
  profilesTopic: string;
  deadLetterTopic: string;
  /** where HandlerOutput.features go (the feature log); undefined = none are written */
  featuresTopic?: string | undefined;
  maxBatchSize: number;
  maxBytesPerPartition: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  fromBeginning: boolean;
  partitionsConsumedConcurrently?: number;
  /** false for a rebuild: profile events and dead letters are not published (default true) */
  publish?: boolean;
  /**
   * A bounded run (replay): per partition, the first offset NOT to process. Records at or beyond it
   * are left alone, the partition is paused, and `finished` resolves once every partition is done.
   */
  stopAt?: Map<number, number>;
  /** with stopAt: where each partition starts; a partition with nothing between is done at once */
  startAt?: Map<number, number>;
  /**
   * A member whose chunks have failed (retriably) for this long leaves the consumer group, so the
   * other members take its partitions over, and rejoins once `RunnerHooks.healthy` says so
   * (kafka.releaseAfterMs; 0 or absent = never: it keeps its partitions and retries).
   */
  releaseAfterMs?: number;
}

/**
 * Checked before each chunk is processed (src/pipeline/continuity.ts): whether the state the chunk
 * is folded onto covers everything before it, in the same incarnation of the topic. A chunk that
 * may not go is dropped and its partition rewound to `seekTo`.
 */
export interface ChunkGuard {
  check(topic: string, partition: number, firstOffset: number): Promise<{ go: true; topicId: string | undefined } | { go: false; seekTo: number; reason: string }>;
  /** the chunk ending before `next` was processed and published */
  done(topic: string, partition: number, topicId: string | undefined, next: number): void;
  /** write what `done` recorded (before each offset commit, and on stop) */
  flush(): Promise<void>;
  /**
   * Check partitions that may have no new records (after a join, and every few seconds): given the
   * next offset each will be read from (undefined = the group's committed one), the partitions to
   * rewind and where to.
   */
  sweep(topic: string, positions: Map<number, number | undefined>): Promise<Map<number, number>>;
}

export interface RunnerHooks<O extends HandlerOutput = HandlerOutput> {
  /** `republished`: profile records published again after the chunk's, because the store moved on meanwhile (src/pipeline/confirm.ts) */
  onBatch?: (out: O, info: { partition: number; lastOffset: number; ms: number; topic: string; produceMs: number; republished: number }) => void;
  onRetry?: (err: unknown, attempt: number) => void;
  guard?: ChunkGuard;
  /**
   * Called at the two points where a crash is most telling (tests only: test/helpers/fault-run.ts
   * kills the process there): `after-store`, once a chunk's Redis writes are done and before its
   * profile events are produced; `after-produce`, once they are acknowledged and before the commit.
   */
  fault?: (point: FaultPoint, at: { chunk: number; partition: number; firstOffset: number; lastOffset: number }) => void;
  /** after a release (RunnerOptions.releaseAfterMs): whether what failed answers again, so the member rejoins (polled every second; absent: rejoin after releaseAfterMs) */
  healthy?: () => Promise<boolean>;
  /** the member left the group (`released`) or came back (`rejoined`) */
  onRelease?: (what: 'released' | 'rejoined', failingMs: number) => void;
}

export type FaultPoint = 'after-store' | 'after-produce';

/** A running consume loop (the comments runner). */
export interface ConsumeLoop {
  start(): Promise<void>;
  /** finish the chunks in flight, commit them, leave the group */
  stop(): Promise<void>;
  /** resolves when the loop stopped for good: undefined after stop(), the error after a failure retrying cannot fix */
  readonly done: Promise<Error | undefined>;
  /** with `stopAt`: resolves when every partition reached its stop offset */
  readonly finished: Promise<void>;
}
