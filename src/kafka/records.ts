/**
 * The records the Kafka layer hands to whatever processes them, and takes back to send. The
 * comments runner (runner.ts) knows these shapes and a `RecordHandler`, nothing of the pipeline's
 * stages: another handler (or another Kafka client under the runner) can be dropped in.
 */

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

export interface OutRecord {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string>;
}

/** What a handler gives back for one chunk: records for the profiles topic and for the dead-letter topic. */
export interface HandlerOutput {
  profiles: OutRecord[];
  deadLetters: OutRecord[];
}

/** Processes one chunk of one partition; the runner publishes what it returns, then commits. */
export interface RecordHandler<O extends HandlerOutput = HandlerOutput> {
  process(records: readonly InRecord[]): Promise<O>;
}
