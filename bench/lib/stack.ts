/**
 * The bench's view of the shared broker and Redis: random topic names, key prefixes and group ids,
 * every one registered for clean-up where it is created; backlog and steady-rate producers; a
 * collector matching profile events to the comments that caused them.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, CompressionTypes, type Admin, type Consumer, type Producer } from 'kafkajs';
import { Redis } from 'ioredis';
import type { BenchText } from './corpus.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { mulberry32 } from '../../src/util/random.js';
import { quantile } from '../../src/util/stats.js';
import { KafkaJsAdmin } from '../../src/kafka/kafkajs-client.js';
import { groupLag } from '../../src/metrics/lag.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

export function uid(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export { sleep };

export class Stack {
  readonly kafka: Kafka;
  readonly redis: Redis;
  admin!: Admin;
  private readonly topics = new Set<string>();
  private readonly groups = new Set<string>();
  private readonly prefixes = new Set<string>();

  constructor(
    readonly brokers: string[],
    readonly redisUrl: string,
  ) {
    this.kafka = new Kafka({ clientId: uid('bench'), brokers, logLevel: logLevel.NOTHING, retry: { retries: 8 } });
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  }

  async connect(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    await this.redis.ping();
  }

  /** A fresh topic (and the names of its profiles and dead-letter topics, created by the processor). */
  async topic(base: string, partitions: number): Promise<{ comments: string; profiles: string }> {
    const comments = uid(`bench-${base}`);
    const profiles = `${comments}-profiles`;
    for (const t of [comments, profiles, `${comments}.dlq`, `${comments}.features`]) this.topics.add(t);
    await this.admin.createTopics({ topics: [{ topic: comments, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
    return { comments, profiles };
  }

  group(base: string): string {
    const g = uid(`bench-${base}`);
    this.groups.add(g);
    return g;
  }

  /** A fresh Redis key prefix: the shared embedding cache under it starts empty. */
  prefix(): string {
    const p = uid('bench').replace(/[^A-Za-z0-9_.-]/g, '');
    this.prefixes.add(p);
    return p;
  }

  trackGroup(g: string): void {
    this.groups.add(g);
  }

  async producer(): Promise<Producer> {
    const p = this.kafka.producer({ allowAutoTopicCreation: false, idempotent: false, maxInFlightRequests: 5 });
    await p.connect();
    return p;
  }

  /** Committed lag of a group on a topic (events not yet committed). */
  lag(groupId: string, topic: string): Promise<{ lag: number; end: number }> {
    return groupLag(new KafkaJsAdmin(this.admin), groupId, topic);
  }

  async waitForLag(groupId: string, topic: string, atMost: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.lag(groupId, topic)).lag > atMost) {
      if (Date.now() > deadline) throw new Error(`group ${groupId} still lags on ${topic}`);
      await sleep(250);
    }
  }

  async waitForGroupStable(groupId: string, members: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const d = await this.admin.describeGroups([groupId]).catch(() => undefined);
      const g = d?.groups[0];
      if (g && g.state === 'Stable' && g.members.length >= members) return;
      await sleep(200);
    }
    throw new Error(`group ${groupId} did not become stable with ${members} member(s)`);
  }

  async deletePrefix(prefix: string): Promise<number> {
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) n += await this.redis.unlink(...keys);
    } while (cursor !== '0');
    return n;
  }

  async cleanup(): Promise<void> {
    for (const p of this.prefixes) await this.deletePrefix(p).catch(() => 0);
    if (this.groups.size > 0) await this.admin.deleteGroups([...this.groups]).catch(() => undefined);
    const existing = new Set(await this.admin.listTopics().catch(() => [] as string[]));
    const topics = [...this.topics].filter((t) => existing.has(t));
    if (topics.length > 0) await this.admin.deleteTopics({ topics }).catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
    this.redis.disconnect();
  }
}

// ------------------------------------------------------------------------------------------------
// events

export interface BenchEvent {
  eventId: string;
  userId: string;
  value: string;
}

/** One comment event per text; users drawn with a fixed seed: `users` of them, or about `perUser` comments each. */
export function makeEvents(items: readonly BenchText[], run: string, opts: { perUser: number; users?: number; ts?: (i: number) => number; suffix?: (i: number) => string }): BenchEvent[] {
  const users = opts.users ?? Math.max(1, Math.ceil(items.length / opts.perUser));
  const rnd = mulberry32(0x9e3779b9);
  const width = String(users).length;
  const base = Date.now() - 86_400_000;
  return items.map((t, i) => {
    const userId = `u${run}-${String(Math.floor(rnd() * users)).padStart(width, '0')}`;
    const eventId = `${run}-${i}`;
    const value = JSON.stringify({
      type: 'comment',
      schemaVersion: 1,
      eventId,
      userId,
      commentId: `c-${t.id}-${i}`,
      text: opts.suffix ? `${t.text}${opts.suffix(i)}` : t.text,
      ts: opts.ts ? opts.ts(i) : base + i * 10,
      lang: t.lang,
      source: 'bench',
    });
    return { eventId, userId, value };
  });
}

/** Publish a backlog as fast as the broker takes it. */
export async function produceBacklog(producer: Producer, topic: string, events: readonly BenchEvent[]): Promise<number> {
  const t0 = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < events.length; i += 500) {
    const slice = events.slice(i, i + 500);
    inflight.push(producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: slice.map((e) => ({ key: e.userId, value: e.value })) }));
    if (inflight.length >= 4) await inflight.shift();
  }
  await Promise.all(inflight);
  return (performance.now() - t0) / 1000;
}

/**
 * Publish at a steady rate: every `tickMs` the events due so far are sent in one request (acks=all).
 * Returns each event's send time (ms epoch, taken just before the request).
 */
export async function produceSteady(
  producer: Producer,
  topic: string,
  events: readonly BenchEvent[],
  rate: number,
  opts: { tickMs?: number; onTick?: (sent: number) => void } = {},
): Promise<{ sentAt: Map<string, number>; seconds: number; lateTicks: number }> {
  const tick = opts.tickMs ?? 20;
  const sentAt = new Map<string, number>();
  const t0 = Date.now();
  let sent = 0;
  let lateTicks = 0;
  const inflight = new Set<Promise<unknown>>();
  while (sent < events.length) {
    const due = Math.min(events.length, Math.floor(((Date.now() - t0) / 1000) * rate) + 1);
    if (due > sent) {
      const slice = events.slice(sent, due);
      const now = Date.now();
      for (const e of slice) sentAt.set(e.eventId, now);
      const p = producer.send({ topic, acks: -1, messages: slice.map((e) => ({ key: e.userId, value: e.value, timestamp: String(now) })) }).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size > 8) {
        lateTicks++;
        await Promise.race(inflight);
      }
      sent = due;
      opts.onTick?.(sent);
    }
    const next = t0 + ((sent + 1) / rate) * 1000;
    await sleep(Math.max(tick, next - Date.now()));
  }
  await Promise.all(inflight);
  return { sentAt, seconds: (Date.now() - t0) / 1000, lateTicks };
}

// ------------------------------------------------------------------------------------------------
// profile events

/** The eventIds a profile event says it folded in, read without parsing the whole (large) JSON. */
export function causedBy(value: Buffer): string[] {
  const s = value.toString('utf8');
  const i = s.lastIndexOf('"causedBy":[');
  if (i < 0) return [];
  const j = s.indexOf(']', i);
  return JSON.parse(s.slice(i + 11, j + 1)) as string[];
}

/** Follows a profiles topic from the beginning; for each eventId: the profile record's timestamp and when it arrived here. */
export class ProfileCollector {
  readonly seen = new Map<string, { recordTs: number; consumedAt: number }>();
  records = 0;
  tombstones = 0;
  /** the value size of every profile event read (tombstones excluded), bytes */
  readonly valueBytes: number[] = [];
  /** the key size of every record read with a value, bytes */
  readonly keyBytes: number[] = [];
  /** the values themselves, with `keepValues` */
  readonly values: Buffer[] = [];
  private consumer: Consumer | undefined;

  constructor(
    private readonly stack: Stack,
    private readonly topic: string,
    private readonly opts: { keepValues?: boolean } = {},
  ) {}

  async start(): Promise<void> {
    const groupId = this.stack.group('collector');
    const c = this.stack.kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: true });
    this.consumer = c;
    await c.connect();
    // the processor creates the profiles topic; wait for it
    for (let i = 0; i < 300; i++) {
      if ((await this.stack.admin.listTopics()).includes(this.topic)) break;
      await sleep(100);
    }
    await c.subscribe({ topic: this.topic, fromBeginning: true });
    await c.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 6,
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const m of batch.messages) {
          this.records++;
          if (!m.value) {
            this.tombstones++;
            continue;
          }
          this.valueBytes.push(m.value.length);
          this.keyBytes.push(m.key?.length ?? 0);
          if (this.opts.keepValues) this.values.push(m.value);
          const ts = Number(m.timestamp);
          for (const id of causedBy(m.value)) if (!this.seen.has(id)) this.seen.set(id, { recordTs: ts, consumedAt: now });
        }
      },
    });
  }

  async waitFor(ids: Iterable<string>, timeoutMs: number): Promise<number> {
    const want = [...ids];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const missing = want.filter((id) => !this.seen.has(id)).length;
      if (missing === 0 || Date.now() > deadline) return missing;
      await sleep(200);
    }
  }

  /** Wait until every record the topic held when called has been read (a fresh topic: nothing compacted yet); false on timeout. */
  async waitForEnd(timeoutMs: number): Promise<boolean> {
    const offsets = await this.stack.admin.fetchTopicOffsets(this.topic);
    const total = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
    const deadline = Date.now() + timeoutMs;
    while (this.records < total) {
      if (Date.now() > deadline) return false;
      await sleep(200);
    }
    return true;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }
}

/** Nearest-rank percentile `p` (0-100) of `xs`; NaN when there are none. */
export function percentile(xs: readonly number[], p: number): number {
  return quantile(xs, p / 100);
}
