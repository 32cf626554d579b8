/**
 * Kafka and Redis out of step (docs/reliability.md): the comments topic deleted and created again
 * between two batches of a user's events, and a namespace's state deleted from Redis between two
 * batches, each with `portrait run` restarted in between (as an operator does) and with it running
 * through. Counts must be exact afterwards, and a user's published versions must only go up.
 *
 * Both scenarios lost events silently before topic incarnations and state epochs existed: erin
 * counted 4 where 6 were sent, fay restarted at version 1 with count 2.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Partitioners, type Admin, type Kafka } from 'kafkajs';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Keys } from '../../../src/store/keys.js';
import { ContinuityStore } from '../../../src/store/continuity.js';
import { adminOf, expectSameAggregates, freePort, isRunning, runEnv, snapshot, startRun, stopRun, waitForCommitted, type ChildRun, type RunSide } from '../../helpers/faults.js';
import { readAll } from '../../helpers/kafka.js';
import { createTestTopics, deleteByPrefix, redisUrl, registerCleanup, testKafka, uniqueName } from '../../helpers/services.js';
import { waitFor } from '../../helpers/wait.js';

const PARTITIONS = 3;
const TEXTS = [
  'the match last night was incredible, what a goal',
  'new phone battery lasts two days',
  'best pasta recipe with fresh basil',
  'our flight to tokyo was delayed again',
  'this laptop keyboard feels great',
  'the league table is so close this season',
  'i booked a hotel near the beach',
  'how do i fix a slow wifi router',
];

interface Ctx {
  kafka: Kafka;
  admin: Admin;
  redis: Redis;
  comments: string;
  side: RunSide;
  env: Record<string, string>;
}

async function setup(name: string, extra: Record<string, string> = {}): Promise<Ctx> {
  const kafka = testKafka();
  const admin = await adminOf(kafka);
  const [comments, profiles, dlq] = await createTestTopics(admin, name, PARTITIONS, 3);
  const side: RunSide = { groupId: uniqueName(`${name}-g`), keyPrefix: uniqueName(name), profiles: profiles!, deadLetter: dlq! };
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 2 });
  registerCleanup(async () => {
    await deleteByPrefix(redis, side.keyPrefix);
    redis.disconnect();
    await admin.deleteGroups([side.groupId]).catch(() => {});
  });
  return { kafka, admin, redis, comments: comments!, side, env: runEnv({ comments: comments!, partitions: PARTITIONS }, side, { extra }) };
}

/** The partition the Java client's murmur2 partitioner (kafkajs's default) gives a key, of PARTITIONS. */
function partitionOf(key: string): number {
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
  return Partitioners.DefaultPartitioner()({ topic: 't', partitionMetadata, message: { key, value: null } });
}

let seq = 0;
/** `n` comments of `userId` (key = userId, the Java client's murmur2 partitioner); returns their partition. */
async function produce(kafka: Kafka, topic: string, userId: string, n: number): Promise<number> {
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const ids: string[] = [];
  let partition = -1;
  try {
    const base = Date.now() - 3_600_000;
    const messages = Array.from({ length: n }, () => {
      const i = seq++;
      const eventId = `${userId}-e${i}-${uniqueName('x')}`;
      ids.push(eventId);
      const event = { type: 'comment', schemaVersion: 1, eventId, userId, commentId: `c${i}`, text: TEXTS[i % TEXTS.length], ts: base + i * 1000 };
      return { key: userId, value: JSON.stringify(event) };
    });
    partition = (await producer.send({ topic, acks: -1, messages }))[0]!.partition;
  } finally {
    await producer.disconnect();
  }
  return partition;
}

async function profileOf(redis: Redis, prefix: string, userId: string): Promise<{ commentCount: number; version: number } | null> {
  const raw = await redis.hget(new Keys(prefix, 'main').profile(userId), 'profile');
  return raw === null ? null : (JSON.parse(raw) as { commentCount: number; version: number });
}

async function waitForCount(redis: Redis, prefix: string, userId: string, n: number, run: ChildRun, timeoutMs = 120_000): Promise<{ commentCount: number; version: number }> {
  let p: Awaited<ReturnType<typeof profileOf>> = null;
  return waitFor(
    () => `${userId} to count ${n} (counts ${p?.commentCount ?? 0}); portrait run's stderr tail:\n${run.stderr().slice(-3000)}`,
    async () => {
      p = await profileOf(redis, prefix, userId);
      return p && p.commentCount >= n ? p : undefined;
    },
    { timeoutMs, intervalMs: 200, alive: () => isRunning(run) },
  );
}

async function recreateTopic(admin: Admin, topic: string): Promise<void> {
  await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
  for (let i = 0; i < 100 && (await admin.listTopics()).includes(topic); i++) await sleep(100);
  for (let i = 0; ; i++) {
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
      return;
    } catch (err) {
      // the deletion may still be in progress on the broker
      if (i > 50) throw err;
      await sleep(200);
    }
  }
}

/** Versions each user saw on the profiles topic, in order (tombstones skipped). */
async function publishedVersions(kafka: Kafka, admin: Admin, topic: string): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const m of await readAll(kafka, admin, topic)) {
    if (m.value === null) continue;
    const v = JSON.parse(m.value.toString('utf8')) as { userId: string; version: number };
    out.set(v.userId, [...(out.get(v.userId) ?? []), v.version]);
  }
  return out;
}

/** Versions never go back: each distinct version is above every one before it (a repeat of the same version is allowed). */
function expectNeverBack(versions: number[]): void {
  let max = 0;
  for (const v of versions) {
    expect(v, `versions ${versions.join(',')}`).toBeGreaterThanOrEqual(max);
    max = Math.max(max, v);
  }
}

describe('Kafka and Redis out of step', () => {
  it('a recreated comments topic: new events are counted, not skipped as redeliveries of the old topic (processor restarted)', async () => {
    const c = await setup('oos-topic');
    let run = startRun(c.env);
    await produce(c.kafka, c.comments, 'erin', 4);
    expect((await waitForCount(c.redis, c.side.keyPrefix, 'erin', 4, run)).commentCount).toBe(4);
    await waitForCommitted(c.admin, c.side.groupId, c.comments, 4, () => isRunning(run));
    await stopRun(run);

    await recreateTopic(c.admin, c.comments);
    run = startRun(c.env);
    await produce(c.kafka, c.comments, 'erin', 2);
    await waitForCommitted(c.admin, c.side.groupId, c.comments, 2, () => isRunning(run));
    const erin = await waitForCount(c.redis, c.side.keyPrefix, 'erin', 6, run);
    await sleep(500);
    expect((await profileOf(c.redis, c.side.keyPrefix, 'erin'))!.commentCount).toBe(6);
    expect(erin.version).toBeGreaterThan(1);
    await run.waitForLog(/is a new incarnation/);
    // what it has folded from: both topic IDs are in the namespace's record
    const rec = await new ContinuityStore(c.redis, c.side.keyPrefix).read('main');
    const ids = new Set(Object.keys(rec!.checkpoints).map((f) => f.slice(f.indexOf('@') + 1, f.lastIndexOf(':'))));
    expect(ids.size).toBe(2);
    await stopRun(run);
    expectNeverBack((await publishedVersions(c.kafka, c.admin, c.side.profiles)).get('erin')!);
  }, 240_000);

  it("committed offsets inherited from the old topic (inside the new topic's range, and past its end) skip no event of the new topic", async () => {
    const c = await setup('oos-inherit');
    // two users on two partitions, so one position can lie inside the new topic and one past its end
    const ivy = ['ivy', 'ivan', 'iris', 'ida', 'ines'].find((u) => partitionOf(u) !== partitionOf('erin'))!;
    let run = startRun(c.env);
    const pErin = await produce(c.kafka, c.comments, 'erin', 4);
    const pIvy = await produce(c.kafka, c.comments, ivy, 5);
    expect([pErin, pIvy]).toEqual([partitionOf('erin'), partitionOf(ivy)]);
    await waitForCount(c.redis, c.side.keyPrefix, 'erin', 4, run);
    await waitForCount(c.redis, c.side.keyPrefix, ivy, 5, run);
    await waitForCommitted(c.admin, c.side.groupId, c.comments, 9, () => isRunning(run));
    await stopRun(run);

    await recreateTopic(c.admin, c.comments);
    await produce(c.kafka, c.comments, 'erin', 6);
    await produce(c.kafka, c.comments, ivy, 2);
    // the group's positions as a restored __consumer_offsets or a misconfigured offset sync would leave them:
    // erin's at 4 inside the new topic's 6 records, ivy's at 5 past the new topic's end (2)
    await c.admin.setOffsets({
      groupId: c.side.groupId,
      topic: c.comments,
      partitions: [
        { partition: pErin, offset: '4' },
        { partition: pIvy, offset: '5' },
      ],
    });
    run = startRun(c.env);
    await waitForCount(c.redis, c.side.keyPrefix, 'erin', 10, run);
    await waitForCount(c.redis, c.side.keyPrefix, ivy, 7, run);
    await sleep(1000);
    expect((await profileOf(c.redis, c.side.keyPrefix, 'erin'))!.commentCount).toBe(10);
    expect((await profileOf(c.redis, c.side.keyPrefix, ivy))!.commentCount).toBe(7);
    // erin's partition was rewound by Portrait (the position was inside the new topic); ivy's was
    // reset to the earliest offset by the consumer's reset policy (past the end: OFFSET_OUT_OF_RANGE)
    await run.waitForLog(/rewinding the partition.*"reason":"new-incarnation"|"reason":"new-incarnation".*rewinding the partition/);
    await stopRun(run);
  }, 240_000);

  it('a comments topic recreated under a running processor: it notices, counts it, and loses nothing', async () => {
    const port = await freePort();
    const c = await setup('oos-live', { PORTRAIT_METRICS_PORT: String(port) });
    const run = startRun(c.env);
    await produce(c.kafka, c.comments, 'erin', 4);
    await waitForCount(c.redis, c.side.keyPrefix, 'erin', 4, run);
    await waitForCommitted(c.admin, c.side.groupId, c.comments, 4, () => isRunning(run));

    await recreateTopic(c.admin, c.comments);
    // more than the old topic held, so an inherited position would be inside the new topic
    await produce(c.kafka, c.comments, 'erin', 6);
    await waitForCount(c.redis, c.side.keyPrefix, 'erin', 10, run, 150_000);
    await sleep(1000);
    expect((await profileOf(c.redis, c.side.keyPrefix, 'erin'))!.commentCount).toBe(10);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`portrait_topic_incarnations_total\\{topic="${c.comments}"\\} 1`));
    expect(metrics).toMatch(/portrait_events_skipped_total\{reason="redelivered"\} \d+/);
    await stopRun(run);
    expectNeverBack((await publishedVersions(c.kafka, c.admin, c.side.profiles)).get('erin')!);
  }, 300_000);

  it("a namespace's state deleted from Redis: the profile is rebuilt from every retained event, its version above the ones published (processor restarted)", async () => {
    const c = await setup('oos-state', { PORTRAIT_EMBEDDER_BATCH_SIZE: '1' });
    let run = startRun(c.env);
    await produce(c.kafka, c.comments, 'fay', 3);
    await produce(c.kafka, c.comments, 'gus', 2);
    const before = await waitForCount(c.redis, c.side.keyPrefix, 'fay', 3, run);
    await waitForCount(c.redis, c.side.keyPrefix, 'gus', 2, run);
    await waitForCommitted(c.admin, c.side.groupId, c.comments, 5, () => isRunning(run));
    await stopRun(run);

    expect(await deleteByPrefix(c.redis, `${c.side.keyPrefix}:main:`)).toBeGreaterThan(0);
    run = startRun(c.env);
    await produce(c.kafka, c.comments, 'fay', 2);
    const fay = await waitForCount(c.redis, c.side.keyPrefix, 'fay', 5, run);
    await waitForCount(c.redis, c.side.keyPrefix, 'gus', 2, run);
    await waitForCommitted(c.admin, c.side.groupId, c.comments, 7, () => isRunning(run));
    await sleep(500);
    expect((await profileOf(c.redis, c.side.keyPrefix, 'fay'))!.commentCount).toBe(5);
    expect(fay.version).toBeGreaterThan(before.version);
    await run.waitForLog(/STATE LOST in namespace main/);
    await stopRun(run);
    const versions = await publishedVersions(c.kafka, c.admin, c.side.profiles);
    expectNeverBack(versions.get('fay')!);
    expectNeverBack(versions.get('gus')!);

    // equal to a clean run over every retained event
    const clean = await setup('oos-clean', { PORTRAIT_EMBEDDER_BATCH_SIZE: '1' });
    const cleanEnv = { ...c.env, PORTRAIT_KAFKA_GROUP_ID: clean.side.groupId, PORTRAIT_REDIS_KEY_PREFIX: clean.side.keyPrefix, PORTRAIT_KAFKA_TOPICS_PROFILES: clean.side.profiles, PORTRAIT_KAFKA_TOPICS_DEAD_LETTER: clean.side.deadLetter };
    const cleanRun = startRun(cleanEnv);
    await waitForCommitted(c.admin, clean.side.groupId, c.comments, 7, () => isRunning(cleanRun));
    await stopRun(cleanRun);
    expectSameAggregates(await snapshot(c.redis, clean.side.keyPrefix), await snapshot(c.redis, c.side.keyPrefix), { versions: 'any' });
  }, 300_000);

  it('state deleted under a running processor: it notices before folding onto nothing, and rebuilds', async () => {
    const c = await setup('oos-state-live');
    const run = startRun(c.env);
    await produce(c.kafka, c.comments, 'fay', 3);
    const before = await waitForCount(c.redis, c.side.keyPrefix, 'fay', 3, run);
    await waitForCommitted(c.admin, c.side.groupId, c.comments, 3, () => isRunning(run));
    await sleep(500);

    await deleteByPrefix(c.redis, `${c.side.keyPrefix}:main:`);
    await produce(c.kafka, c.comments, 'fay', 2);
    const fay = await waitForCount(c.redis, c.side.keyPrefix, 'fay', 5, run);
    await waitForCommitted(c.admin, c.side.groupId, c.comments, 5, () => isRunning(run));
    await sleep(500);
    expect((await profileOf(c.redis, c.side.keyPrefix, 'fay'))!.commentCount).toBe(5);
    expect(fay.version).toBeGreaterThan(before.version);
    await run.waitForLog(/STATE LOST in namespace main/);
    await stopRun(run);
    expectNeverBack((await publishedVersions(c.kafka, c.admin, c.side.profiles)).get('fay')!);
  }, 240_000);
});
