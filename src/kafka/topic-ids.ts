/**
 * Topic IDs (KIP-516): the identity of one incarnation of a topic. A topic deleted and created again
 * under the same name, a broker started on fresh storage, or a topic mirrored to another cluster
 * gets a new ID, and its offsets start again at 0 — so offsets may only be compared within one ID.
 *
 * kafkajs asks for Metadata at version 6 at most, which has no topic IDs; this sends a Metadata
 * request at version 10-12 (metadata-codec.ts) over kafkajs's own broker connection, so TLS, SASL,
 * timeouts and retries are kafkajs's as configured in client.ts. It reaches into kafkajs's cluster
 * (the private cluster factory of the client and its seed broker): kafkajs 2.x is not developed any
 * more, and the reach is checked by test/integration/topic-incarnation.test.ts against the broker.
 *
 * A broker older than Kafka 2.8 has no topic IDs: `lookup` then returns undefined IDs and callers
 * fall back to what they did before (offsets compared by topic name).
 */
import { createRequire } from 'node:module';
import type { Kafka } from 'kafkajs';
import { PortraitError } from '../util/errors.js';
import type { TopicIdentity, TopicIdSource } from './types.js';
import { decodeMetadataResponse, encodeMetadataRequest, METADATA_API_KEY, METADATA_MAX_VERSION, METADATA_MIN_TOPIC_ID_VERSION, type MetadataResponse } from './metadata-codec.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Encoder = require('kafkajs/src/protocol/encoder') as new () => { writeBuffer(b: Buffer): unknown };

interface Broker {
  versions: Record<number, { minVersion: number; maxVersion: number }> | null;
  connectionPool: { send(req: unknown): Promise<unknown> };
}
interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  brokerPool: { seedBroker: Broker | undefined; versions: Broker['versions'] };
}

function clusterFactory(kafka: Kafka): (opts: object) => Cluster {
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const make = sym ? (kafka as unknown as Record<symbol, unknown>)[sym] : undefined;
  if (typeof make !== 'function') throw new Error('kafkajs changed: its client no longer has the private cluster factory Portrait uses to read topic IDs');
  return make as (opts: object) => Cluster;
}

export type { TopicIdentity } from './types.js';

const UNKNOWN_TOPIC_OR_PARTITION = 3;

/** Single flight whose result is never older than the call: a call during a request waits for the next one. */
export class FreshLookup<T> {
  private current: Promise<T> | undefined;
  private next: Promise<T> | undefined;

  constructor(private readonly fn: () => Promise<T>) {}

  get(): Promise<T> {
    if (!this.current) return this.startNow();
    this.next ??= this.current
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        this.next = undefined;
        return this.startNow();
      });
    return this.next;
  }

  private startNow(): Promise<T> {
    const p: Promise<T> = this.fn().finally(() => {
      if (this.current === p) this.current = undefined;
    });
    this.current = p;
    return p;
  }
}

/**
 * A long-lived reader of topic IDs: one kafkajs cluster connection, opened on first use and
 * re-opened after a failure.
 */
export class TopicIds implements TopicIdSource {
  private cluster: Cluster | undefined;
  private connecting: Promise<Cluster> | undefined;
  private readonly lookups = new Map<string, FreshLookup<string | undefined>>();

  constructor(private readonly kafka: Kafka) {}

  private async connected(): Promise<Cluster> {
    if (this.cluster) return this.cluster;
    this.connecting ??= (async () => {
      const cluster = clusterFactory(this.kafka)({ allowAutoTopicCreation: false });
      try {
        await cluster.connect();
      } catch (err) {
        await cluster.disconnect().catch(() => {});
        throw err;
      }
      this.cluster = cluster;
      return cluster;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** The current identity of each topic (one Metadata request). */
  async lookup(topics: readonly string[]): Promise<Map<string, TopicIdentity>> {
    const cluster = await this.connected();
    let res: MetadataResponse | undefined;
    try {
      const broker = cluster.brokerPool.seedBroker;
      const range = (broker?.versions ?? cluster.brokerPool.versions)?.[METADATA_API_KEY];
      if (!broker || !range || range.maxVersion < METADATA_MIN_TOPIC_ID_VERSION) {
        res = undefined;
      } else {
        const version = Math.min(range.maxVersion, METADATA_MAX_VERSION);
        res = (await broker.connectionPool.send({
          request: {
            apiKey: METADATA_API_KEY,
            apiVersion: version,
            encode: async () => {
              const e = new Encoder();
              e.writeBuffer(encodeMetadataRequest(version, topics));
              return e;
            },
          },
          response: { decode: async (raw: Buffer) => decodeMetadataResponse(version, raw), parse: async (d: MetadataResponse) => d },
        })) as MetadataResponse;
      }
    } catch (err) {
      // the next call connects afresh (a broker restarted, a connection dropped)
      const c = this.cluster;
      this.cluster = undefined;
      await c?.disconnect().catch(() => {});
      throw err;
    }
    const out = new Map<string, TopicIdentity>();
    for (const t of topics) {
      const m = res?.topics.find((x) => x.name === t);
      const exists = res ? m !== undefined && m.errorCode !== UNKNOWN_TOPIC_OR_PARTITION : true;
      out.set(t, { topic: t, topicId: exists ? m?.topicId : undefined, exists, partitions: m?.partitions ?? 0 });
    }
    return out;
  }

  /**
   * A topic's ID as of a Metadata request that began after this call: concurrent callers share one
   * request in flight only if they arrived before it started, else they share the next one. So a
   * chunk of records fetched before the call is labelled with an ID no older than the records.
   * Throws (retriably) while the topic does not exist: it is being recreated.
   */
  fresh(topic: string): Promise<string | undefined> {
    let f = this.lookups.get(topic);
    if (!f) {
      f = new FreshLookup(async () => {
        const t = (await this.lookup([topic])).get(topic)!;
        if (!t.exists) throw new PortraitError('KAFKA_UNAVAILABLE', `topic ${topic} does not exist (deleted, or being created again); retrying`);
        return t.topicId;
      });
      this.lookups.set(topic, f);
    }
    return f.get();
  }

  /** One topic's current ID (undefined when the broker has none or the topic does not exist). */
  async id(topic: string): Promise<string | undefined> {
    return (await this.lookup([topic])).get(topic)?.topicId;
  }

  async close(): Promise<void> {
    const c = this.cluster;
    this.cluster = undefined;
    await c?.disconnect().catch(() => {});
  }
}
