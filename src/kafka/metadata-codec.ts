/**
 * Pure: the Kafka Metadata request and response at versions 10-12 (KIP-516 topic IDs), which
 * kafkajs does not speak (it stops at version 6). Only what Portrait reads is decoded: each topic's
 * name, error code, topic ID and partition count; everything else is skipped by the protocol's own
 * lengths, so a later broker that adds tagged fields is still read correctly.
 *
 * Flexible versions (>= 9) use compact strings and arrays (unsigned varint length + 1) and end
 * every structure with a tagged-field section. kafkajs writes request header v1 (no tagged fields)
 * and strips the response's correlation id, so the request body here begins with the header's
 * empty tagged-field section and the response decoder skips the response header's.
 *
 * A topic ID is 16 bytes; Kafka prints it as URL-safe base64 without padding (22 characters), as
 * `kafka-topics.sh --describe` shows it, and so does Portrait.
 */
import { Buffer } from 'node:buffer';

export const METADATA_API_KEY = 3;
/** The oldest Metadata version that carries topic IDs. */
export const METADATA_MIN_TOPIC_ID_VERSION = 10;
export const METADATA_MAX_VERSION = 12;

/** The all-zero topic ID: "no ID" (a broker that has none for the topic). */
export const ZERO_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

export interface TopicMetadata {
  name: string;
  errorCode: number;
  /** base64url, 22 characters; undefined when the broker gave the all-zero ID */
  topicId: string | undefined;
  partitions: number;
}

export interface MetadataResponse {
  clusterId: string | null;
  topics: TopicMetadata[];
}

function uvarint(n: number): Buffer {
  const out: number[] = [];
  let v = n >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}

function compactString(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([uvarint(b.length + 1), b]);
}

/** The request body (after kafkajs's v1 header) for the named topics. */
export function encodeMetadataRequest(version: number, topics: readonly string[]): Buffer {
  if (version < METADATA_MIN_TOPIC_ID_VERSION || version > METADATA_MAX_VERSION) throw new RangeError(`Metadata version ${version} is not supported here`);
  const parts: Buffer[] = [Buffer.from([0])]; // request header v2's tagged fields (kafkajs writes v1)
  parts.push(uvarint(topics.length + 1));
  for (const t of topics) parts.push(Buffer.alloc(16), compactString(t), Buffer.from([0])); // topic_id (zero: by name), name, tags
  parts.push(Buffer.from([0])); // allow_auto_topic_creation = false
  if (version <= 10) parts.push(Buffer.from([0])); // include_cluster_authorized_operations (v8-v10)
  parts.push(Buffer.from([0])); // include_topic_authorized_operations
  parts.push(Buffer.from([0])); // tagged fields
  return Buffer.concat(parts);
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new RangeError(`Metadata response truncated at byte ${this.pos} (wanted ${n} more of ${this.buf.length})`);
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      this.need(1);
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 28) throw new RangeError('Metadata response: varint too long');
    }
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** compact nullable string */
  string(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.bytes(n - 1).toString('utf8');
  }

  /** compact array length (null = -1 is read as 0 elements) */
  arrayLength(): number {
    const n = this.uvarint();
    return n === 0 ? 0 : n - 1;
  }

  tags(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint(); // tag
      this.skip(this.uvarint());
    }
  }
}

export function formatTopicId(raw: Buffer): string | undefined {
  const id = raw.toString('base64url');
  return id === ZERO_TOPIC_ID ? undefined : id;
}

/** Decode a Metadata response body (after the correlation id kafkajs strips). */
export function decodeMetadataResponse(version: number, body: Buffer): MetadataResponse {
  const r = new Reader(body);
  r.tags(); // response header v1
  r.int32(); // throttle_time_ms
  const brokers = r.arrayLength();
  for (let i = 0; i < brokers; i++) {
    r.int32(); // node_id
    r.string(); // host
    r.int32(); // port
    r.string(); // rack
    r.tags();
  }
  const clusterId = r.string();
  r.int32(); // controller_id
  const topics: TopicMetadata[] = [];
  const nTopics = r.arrayLength();
  for (let i = 0; i < nTopics; i++) {
    const errorCode = r.int16();
    const name = r.string() ?? '';
    const topicId = formatTopicId(r.bytes(16));
    r.int8(); // is_internal
    const partitions = r.arrayLength();
    for (let p = 0; p < partitions; p++) {
      r.int16(); // error_code
      r.int32(); // partition_index
      r.int32(); // leader_id
      r.int32(); // leader_epoch
      for (let k = 0; k < 3; k++) {
        const n = r.arrayLength(); // replica_nodes, isr_nodes, offline_replicas
        r.skip(4 * n);
      }
      r.tags();
    }
    r.int32(); // topic_authorized_operations
    r.tags();
    topics.push({ name, errorCode, topicId, partitions });
  }
  if (version <= 10) r.int32(); // cluster_authorized_operations
  r.tags();
  return { clusterId, topics };
}
