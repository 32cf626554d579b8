/**
 * A rebuild from the feature log (issue #20): after retention deleted the older half of the comments
 * topic, `portrait replay --source features` rebuilds every live profile with no model call, a
 * rebuild from the comments alone covers less and is refused at activation, and a user forgotten
 * before the rebuild does not come back.
 */
import type { Admin, Kafka } from 'kafkajs';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { startProcessor } from '../../consumers/comments.js';
import { runForget } from '../../src/cli/commands/forget.js';
import { runReplay } from '../../src/cli/commands/replay.js';
import { featuresTopic, loadConfig, projectPath, type Config } from '../../src/config/index.js';
import { profileView } from '../../src/events/index.js';
import { readLabelledRows } from '../../src/sim/jsonl.js';
import { simulateUsers, type SimCommentEvent } from '../../src/sim/users.js';
import { RedisProfileStore } from '../../src/store/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { runCli } from '../helpers/cli.js';
import { waitForCaughtUp } from '../helpers/kafka.js';
import { brokers, createTestTopics, deleteByPrefix, redisUrl, registerCleanup, testAdmin, testKafka, uniqueName } from '../helpers/services.js';

const DAY = 86_400_000;
let admin: Admin;
let kafka: Kafka;
let cfg: Readonly<Config>;
let events: SimCommentEvent[];
let redis: Redis;
const prefix = uniqueName('fr');
const groupId = uniqueName('live');
let forgotten: string;

const store = (ns: string) => new RedisProfileStore(redis, { keyPrefix: prefix, namespace: ns, userTtlSeconds: 0 });

beforeAll(async () => {
  admin = await testAdmin();
  kafka = testKafka();
  const topics = await createTestTopics(admin, 'fr', 2, 3);
  redis = new Redis(redisUrl());
  cfg = loadConfig({
    env: {},
    overrides: {
      kafka: { brokers: brokers(), groupId, partitions: 2, featureLog: true, topics: { comments: topics[0], profiles: topics[1], deadLetter: topics[2] } },
      redis: { url: redisUrl(), keyPrefix: prefix, namespace: 'main' },
      log: { level: 'silent' },
    },
  });
  registerCleanup(async () => {
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
    await admin.deleteTopics({ topics: [featuresTopic(cfg)] }).catch(() => {});
    await admin.deleteGroups([groupId, `${groupId}-replay-raw`, `${groupId}-replay-log`]).catch(() => {});
  });
  events = simulateUsers(readLabelledRows(projectPath('data/sib200_zh.jsonl')), { users: 8, limit: 120, seed: 9, startTs: Date.parse('2026-08-01T00:00:00Z'), spanMs: 60 * DAY }).events;
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({ topic: cfg.kafka.topics.comments, acks: -1, messages: events.map((e) => ({ key: e.userId, value: JSON.stringify(e) })) });
  await producer.disconnect();
  const live = await startProcessor(cfg, silentLogger, { checkRedis: false });
  await waitForCaughtUp(admin, groupId, cfg.kafka.topics.comments);
  forgotten = events[0]!.userId;
  const f = await runForget(forgotten, { waitSeconds: 60 }, cfg);
  expect(f.featureLog?.tombstoned).toBe(events.filter((e) => e.userId === forgotten).length);
  await waitForCaughtUp(admin, groupId, cfg.kafka.topics.comments);
  await live.stop();
  // retention deletes the older half of every comments partition
  const ranges = await admin.fetchTopicOffsets(cfg.kafka.topics.comments);
  await admin.deleteTopicRecords({ topic: cfg.kafka.topics.comments, partitions: ranges.map((r) => ({ partition: r.partition, offset: String(Math.floor(Number(r.high) / 2)) })) });
}, 300_000);

describe('rebuild from the feature log', () => {
  it('rebuilds every live profile beyond the comments retention with no model call; a raw rebuild is partial and refused', async () => {
    const raw = await runReplay(cfg, { from: 'earliest', into: 'raw', quiet: true, source: 'comments' });
    expect(raw.source).toBe('comments');
    expect(raw.coverage?.partial).toBe(true);

    const log = await runReplay(cfg, { from: 'earliest', into: 'log', quiet: true });
    expect(log.source).toBe('features');
    // every folded comment, and a tombstone for each of the forgotten user's (not compacted yet)
    expect(log.fromLog?.records).toBe(events.length + events.filter((e) => e.userId === forgotten).length);
    expect(log.embedCache).toBeDefined();
    expect(log.embedCache!.misses).toBe(0); // no model call
    expect(log.coverage?.partial).toBe(false);
    expect({ ...log.coverage!.rebuilt, namespace: 'main' }).toEqual(log.coverage!.live);

    const users = [...new Set(events.map((e) => e.userId))];
    const [liveStore, rebuilt] = [store('main'), store('log')];
    for (const u of users) {
      const [a, b] = [await liveStore.getProfile(u), await rebuilt.getProfile(u)];
      if (u === forgotten) {
        expect(a, u).toBeNull();
        expect(b, `${u} came back`).toBeNull();
        continue;
      }
      const [va, vb] = [profileView(a) as Record<string, any>, profileView(b) as Record<string, any>];
      expect(vb.commentCount, u).toBe(va.commentCount);
      expect([vb.firstSeen, vb.lastSeen], u).toEqual([va.firstSeen, va.lastSeen]);
      expect(
        vb.interests.map((i: { label: string }) => i.label),
        u,
      ).toEqual(va.interests.map((i: { label: string }) => i.label));
      vb.interests.forEach((i: { share: number }, k: number) => expect(Math.abs(i.share - va.interests[k].share), u).toBeLessThanOrEqual(1e-4 + 1e-9));
      expect(
        vb.topTerms.map((t: { term: string }) => t.term),
        u,
      ).toEqual(va.topTerms.map((t: { term: string }) => t.term));
    }

    const env = {
      PORTRAIT_LOG_LEVEL: 'silent',
      PORTRAIT_KAFKA_BROKERS: brokers().join(','),
      PORTRAIT_KAFKA_GROUP_ID: groupId,
      PORTRAIT_KAFKA_TOPICS_COMMENTS: cfg.kafka.topics.comments,
      PORTRAIT_KAFKA_TOPICS_PROFILES: cfg.kafka.topics.profiles,
      PORTRAIT_KAFKA_TOPICS_DEAD_LETTER: cfg.kafka.topics.deadLetter,
      PORTRAIT_KAFKA_PARTITIONS: '2',
      PORTRAIT_REDIS_URL: redisUrl(),
      PORTRAIT_REDIS_KEY_PREFIX: prefix,
    };
    const refused = await runCli(['namespace', 'activate', 'raw'], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('covers less history than the active namespace main');
    const ok = await runCli(['namespace', 'activate', 'log'], env);
    expect(ok.code, ok.stderr).toBe(0);
  });
});
