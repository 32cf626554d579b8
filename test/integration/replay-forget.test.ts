/**
 * Replay and erasure on the real stack: a rebuild into a new namespace while live traffic flows
 * equals the live profiles; activation switches with no read failing; forget + replay leaves
 * nothing of the user, in Redis or as a live value on the compacted profiles topic.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Kafka } from 'kafkajs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcessor, type Processor } from '../../consumers/comments.js';
import { runForget } from '../../src/cli/commands/forget.js';
import { runReplay } from '../../src/cli/commands/replay.js';
import { loadConfig, projectPath, type Config } from '../../src/config/index.js';
import { profileView } from '../../src/events/index.js';
import { readLabelledRows } from '../../src/sim/jsonl.js';
import { simulateUsers, type SimCommentEvent } from '../../src/sim/users.js';
import { RedisProfileStore } from '../../src/store/index.js';
import { Namespaces } from '../../src/store/namespaces.js';
import { silentLogger } from '../../src/util/logger.js';
import { readAll, waitForCaughtUp } from '../helpers/kafka.js';
import { expectSameCentroid } from '../helpers/centroid.js';
import { brokers, createTestTopics, deleteByPrefix, redisUrl, registerCleanup, testAdmin, testKafka, uniqueName } from '../helpers/services.js';

let admin: Admin;
let kafka: Kafka;
let cfg: Readonly<Config>;
let topics: string[];
let live: Processor;
let events: SimCommentEvent[];
let redis: Redis;
const prefix = uniqueName('rf');

async function produce(batch: SimCommentEvent[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  for (let i = 0; i < batch.length; i += 100) {
    await producer.send({ topic: topics[0]!, acks: -1, messages: batch.slice(i, i + 100).map((e) => ({ key: e.userId, value: JSON.stringify(e) })) });
  }
  await producer.disconnect();
}

function store(ns: string): RedisProfileStore {
  return new RedisProfileStore(redis, { keyPrefix: prefix, namespace: ns, userTtlSeconds: 0 });
}

const stripVolatile = (p: unknown) => {
  const { updatedAt: _u, version: _v, namespace: _n, causedBy: _c, ...rest } = p as Record<string, unknown>;
  return rest;
};

/**
 * Equal up to float rounding: the centroid sum is stored as float32 between batches, and a rebuild
 * cuts the same events into different batches than the live run did.
 */
function expectSameProfile(actual: unknown, expected: unknown, label: string): void {
  // read as a ProfileView: version 2 stores interests and terms as arrays
  const a = stripVolatile(profileView(actual)) as Record<string, any>;
  const e = stripVolatile(profileView(expected)) as Record<string, any>;
  const { centroid: ca, interests: ia, topTerms: ta, ...restA } = a;
  const { centroid: ce, interests: ie, topTerms: te, ...restE } = e;
  expect(restA, label).toEqual(restE);
  expect(
    ia.map((i: { label: string }) => i.label),
    label,
  ).toEqual(ie.map((i: { label: string }) => i.label));
  // float noise may tip a rounding on the wire (4 significant digits for scores, 4 decimals for share and confidence): one unit of the last digit
  ia.forEach((i: Record<string, number>, k: number) => {
    for (const f of ['score', 'share', 'confidence']) {
      const want = ie[k][f] as number;
      expect(Math.abs(i[f]! - want), `${label} ${f}`).toBeLessThanOrEqual((f === 'score' ? Math.abs(want) * 1e-3 : 1e-4) + 1e-9);
    }
  });
  expect(
    ta.map((t: { term: string }) => t.term),
    label,
  ).toEqual(te.map((t: { term: string }) => t.term));
  expectSameCentroid(ca, ce, label);
}

beforeAll(async () => {
  admin = await testAdmin();
  kafka = testKafka();
  topics = await createTestTopics(admin, 'rf', 3, 3);
  redis = new Redis(redisUrl());
  registerCleanup(async () => {
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
  });
  cfg = loadConfig({
    env: {},
    overrides: {
      kafka: { brokers: brokers(), groupId: uniqueName('live'), partitions: 3, topics: { comments: topics[0], profiles: topics[1], deadLetter: topics[2] } },
      redis: { url: redisUrl(), keyPrefix: prefix, namespace: 'main' },
      log: { level: 'silent' },
    },
  });
  const rows = readLabelledRows(projectPath('data/sib200_zh.jsonl'));
  events = simulateUsers(rows, { users: 20, limit: 500, seed: 11, startTs: Date.parse('2026-05-01T00:00:00Z'), spanMs: 20 * 86_400_000 }).events;
  await produce(events.slice(0, 300));
  live = await startProcessor(cfg, silentLogger);
  registerCleanup(() => live.stop());
  await waitForCaughtUp(admin, cfg.kafka.groupId, topics[0]!);
}, 300_000);

afterAll(async () => {
  await admin.deleteGroups([cfg.kafka.groupId, `${cfg.kafka.groupId}-replay-rebuild`, `${cfg.kafka.groupId}-replay-rebuild2`]).catch(() => {});
});

describe('replay into a new namespace, then activate', () => {
  it('rebuilds profiles equal to the live ones while live traffic flows', async () => {
    // live traffic during the replay
    const during = produce(events.slice(300));
    const first = await runReplay(cfg, { from: 'earliest', into: 'rebuild', quiet: true });
    expect(first.events).toBeGreaterThanOrEqual(300);
    await during;
    await waitForCaughtUp(admin, cfg.kafka.groupId, topics[0]!);
    // the replay resumes where it stopped and catches up with everything the live group applied
    const second = await runReplay(cfg, { from: 'earliest', into: 'rebuild', quiet: true });
    expect(second.resumed).toBe(true);
    expect(first.events + second.events).toBe(500);
    // the shared embedding cache served the rebuild: the model ran for none of the comments
    expect(first.embedCache?.misses ?? 0).toBe(0);

    const users = [...new Set(events.map((e) => e.userId))];
    for (const u of users) {
      const a = await store('main').getProfile(u);
      const b = await store('rebuild').getProfile(u);
      expect(b, u).not.toBeNull();
      expectSameProfile(b, a, u);
    }
  });

  it('switches reads and live writes atomically, with no read failing', async () => {
    const ns = new Namespaces(redis, prefix, 'main');
    const users = [...new Set(events.map((e) => e.userId))];
    let reads = 0;
    let failures = 0;
    let stop = false;
    const reader = (async () => {
      while (!stop) {
        const active = await ns.active();
        const p = await store(active).getProfile(users[reads % users.length]!);
        if (p === null) failures++;
        reads++;
      }
    })();
    await sleep(200);
    expect(await ns.activate('rebuild')).toBe('main');
    await sleep(1500); // the live processor polls the active key every second
    stop = true;
    await reader;
    expect(reads).toBeGreaterThan(10);
    expect(failures).toBe(0);
    expect(live.store.namespace).toBe('rebuild');

    // new comments now land in the new namespace only
    const u = events[0]!.userId;
    const before = (await store('rebuild').getProfile(u)) as { commentCount: number };
    const mainBefore = (await store('main').getProfile(u)) as { commentCount: number };
    await produce([{ ...events[0]!, eventId: 'after-activate', commentId: 'after-activate', ts: Date.parse('2026-06-01T00:00:00Z') }]);
    await waitForCaughtUp(admin, cfg.kafka.groupId, topics[0]!);
    expect(((await store('rebuild').getProfile(u)) as { commentCount: number }).commentCount).toBe(before.commentCount + 1);
    expect(((await store('main').getProfile(u)) as { commentCount: number }).commentCount).toBe(mainBefore.commentCount);
  });
});

describe('forget', () => {
  it('erases the user everywhere, publishes a tombstone, and a replay from earliest does not bring the profile back', async () => {
    const victim = events[3]!.userId;
    const other = events.find((e) => e.userId !== victim)!.userId;
    expect(await store('rebuild').getProfile(victim)).not.toBeNull();
    expect(await store('main').getProfile(victim)).not.toBeNull();

    const r = await runForget(victim, { waitSeconds: 60 }, cfg);
    expect(r.status).toBe('done');
    expect(r.receipt!.namespaces).toEqual(expect.arrayContaining(['main', 'rebuild']));
    expect(r.receipt!.keysDeleted).toBeGreaterThanOrEqual(2);
    expect(await store('rebuild').getProfile(victim)).toBeNull();
    expect(await store('main').getProfile(victim)).toBeNull();
    expect(await store('rebuild').getProfile(other)).not.toBeNull();
    // no key of the victim is left in Redis (the suppression is keyed by a hash, not the id)
    const escaped = encodeURIComponent(victim);
    const left = await redis.keys(`${prefix}:*`);
    expect(left.filter((k) => k.includes(escaped))).toEqual([]);

    // the latest value for the user on the compacted topic is a tombstone
    await waitForCaughtUp(admin, cfg.kafka.groupId, topics[0]!);
    const lastFor = async (u: string) => (await readAll(kafka, admin, topics[1]!)).filter((m) => m.key!.toString() === u).at(-1);
    expect((await lastFor(victim))!.value).toBeNull();

    // replay everything into a fresh namespace: the victim stays gone, the others come back
    const s = await runReplay(cfg, { from: 'earliest', into: 'rebuild2', quiet: true });
    expect(s.events).toBeGreaterThan(500);
    expect(await store('rebuild2').getProfile(victim)).toBeNull();
    expect(await store('rebuild2').getProfile(other)).not.toBeNull();
    expect((await lastFor(victim))!.value).toBeNull();

    // and comments written after the erasure start a new profile
    await produce([{ ...events[3]!, eventId: 'post-forget', commentId: 'post-forget', ts: Date.now() }]);
    await waitForCaughtUp(admin, cfg.kafka.groupId, topics[0]!);
    const fresh = (await store('rebuild').getProfile(victim)) as { commentCount: number; version: number };
    expect(fresh.commentCount).toBe(1);
    expect(fresh.version).toBe(1);
  });
});
