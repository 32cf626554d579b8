/**
 * What Portrait asks of Kafka, in Portrait's own types: the interface everything outside src/kafka
 * uses (issue #16), so that another client library can be dropped in behind it without touching
 * the pipeline, the API, the metrics or the CLI. The implementation on kafkajs is
 * src/kafka/kafkajs-client.ts; `createKafkaClient` (src/kafka/client.ts) builds it from the config.
 *
 * Deliberately small: the operations Portrait uses and nothing else. The comment processor's
 * consume → process → publish → commit loop (src/kafka/runner.ts) is not behind it yet.
 */

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

/** A record to publish; the partition is chosen from the key (murmur2, as the Java client does). */
export interface ProducedRecord {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string>;
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
}
