/**
 * A rebuild from the feature log (issue #20), with the broker's own retention and compaction: the
 * comments carry their event times as record timestamps over 60 days, segments roll daily, and a
 * 30-day retention makes the broker delete the older segments (checked every 2 s on the local
 * stack); the feature log's segments roll within a second and the cleaner compacts them. Then
 * `portrait replay --source features` rebuilds every live profile with no model call, a rebuild from
 * the comments alone covers less and is refused at activation, a plain consumer finds no live record
 * of a forgotten user in the compacted log, and the rebuild does not bring the user back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Kafka } from 'kafkajs';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { startProcessor } from '../../consumers/comments.js';
import { runForget } from '../../src/cli/commands/forget.js';
import { runReplay } from '../../src/cli/commands/replay.js';
import { featuresTopic, loadConfig, projectPath, type Config } from '../../src/config/index.js';
import { featureKey, parseFeatureKey } from '../../src/events/feature-record.js';
import { profileView } from '../../src/events/index.js';
import { KafkaJsAdmin } from '../../src/kafka/kafkajs-client.js';
import { readLabelledRows } from '../../src/sim/jsonl.js';
import { simulateUsers, type SimCommentEvent } from '../../src/sim/users.js';
import { RedisProfileStore } from '../../src/store/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { runCli } from '../helpers/cli.js';
import { readAll, waitForCaughtUp, type ReadMessage } from '../helpers/kafka.js';
import { brokers, createTestTopics, deleteByPrefix, redisUrl, registerCleanup, testAdmin, testKafka, uniqueName } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';

const DAY = 86_400_000;
let admin: Admin;
let kafka: Kafka;
let cfg: Readonly<Config>;
let events: SimCommentEvent[];
let redis: Redis;
const prefix = uniqueName('fr');
const groupId = uniqueName('live');
let forgotten: string;
/** the feature log after compaction, read with a plain consumer */
let compacted: ReadMessage[];
/** records in the feature log before compaction (one per folded comment, one tombstone per forgotten one) */
let written: number;

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
  const now = Date.now();
  events = simulateUsers(readLabelledRows(projectPath('data/sib200_zh.jsonl')), { users: 8, limit: 120, seed: 9, startTs: now - 61 * DAY, spanMs: 60 * DAY }).events;
  const kadmin = new KafkaJsAdmin(admin);
  // the comments topic keeps everything while the processor reads it; segments roll per day of record time
  await kadmin.setTopicSettings(cfg.kafka.topics.comments, { 'segment.ms': String(DAY), 'retention.ms': '-1' });
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  // upstream sets each record's timestamp to its event time; sent ten days at a time, so the broker
  // rolls a segment at each send (a segment holds one append's records and more only within a day)
  const byTime = [...events].sort((a, b) => a.ts - b.ts);
  for (let from = now - 61 * DAY; from < now; from += 10 * DAY) {
    const chunk = byTime.filter((e) => e.ts >= from && e.ts < from + 10 * DAY);
    if (chunk.length > 0) await producer.send({ topic: cfg.kafka.topics.comments, acks: -1, messages: chunk.map((e) => ({ key: e.userId, value: JSON.stringify(e), timestamp: String(e.ts) })) });
  }
  await producer.disconnect();
  const live = await startProcessor(cfg, silentLogger, { checkRedis: false });
  await waitForCaughtUp(admin, groupId, cfg.kafka.topics.comments);
  forgotten = events[0]!.userId;
  const mine = events.filter((e) => e.userId === forgotten).length;
  const f = await runForget(forgotten, { waitSeconds: 60 }, cfg);
  expect(f.featureLog?.tombstoned).toBe(mine);
  await waitForCaughtUp(admin, groupId, cfg.kafka.topics.comments);
  await live.stop();
  const features = featuresTopic(cfg);
  written = (await readAll(kafka, admin, features)).length;
  expect(written).toBe(events.length + mine);

  // retention: 30 days; the broker deletes every segment whose newest record is older
  await kadmin.setTopicSettings(cfg.kafka.topics.comments, { 'retention.ms': String(30 * DAY) });
  let low = '';
  await waitFor(
    () => `the broker to delete the comments older than 30 days (log start offsets: ${low})`,
    async () => {
      const r = await admin.fetchTopicOffsets(cfg.kafka.topics.comments);
      low = r.map((p) => `${p.partition}:${p.low}/${p.high}`).join(' ');
      return r.every((p) => Number(p.low) > 0 && Number(p.low) < Number(p.high));
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );

  // compaction: the feature log's segments roll after a second; one more record per partition
  // rolls the segment holding the tombstones, and the cleaner removes the values they erase
  await kadmin.setTopicSettings(features, { 'segment.ms': '1000', 'min.cleanable.dirty.ratio': '0.01' });
  await sleep(1500);
  const roller = kafka.producer();
  await roller.connect();
  await roller.send({ topic: features, acks: -1, messages: Array.from({ length: cfg.kafka.partitions }, (_, p) => ({ key: featureKey('roll-segment', String(p)), value: null, partition: p })) });
  await roller.disconnect();
  let left = 0;
  compacted = await waitFor(
    () => `the cleaner to compact ${features} (${left} live records of ${forgotten} left)`,
    async () => {
      const all = await readAll(kafka, admin, features);
      left = all.filter((m) => m.value !== null && parseFeatureKey(m.key)?.userId === forgotten).length;
      return left === 0 && all;
    },
    { timeoutMs: 90_000, intervalMs: 1000 },
  );
}, 300_000);

describe('rebuild from the feature log', () => {
  it('after compaction a plain consumer finds no live record of the forgotten user, and every other folded comment', () => {
    const liveKeys = compacted.filter((m) => m.value !== null).map((m) => parseFeatureKey(m.key)!);
    expect(liveKeys.filter((k) => k.userId === forgotten)).toEqual([]);
    const expected = events.filter((e) => e.userId !== forgotten).map((e) => featureKey(e.userId, e.eventId));
    expect(liveKeys.map((k) => featureKey(k.userId, k.eventId)).sort()).toEqual(expected.sort());
    // the erased values are gone from the log, not only shadowed by a later tombstone
    expect(compacted.filter((m) => parseFeatureKey(m.key)?.userId === forgotten).every((m) => m.value === null)).toBe(true);
  });

  it('rebuilds every live profile beyond the comments retention with no model call; a raw rebuild is partial and refused', async () => {
    const raw = await runReplay(cfg, { from: 'earliest', into: 'raw', quiet: true, source: 'comments' });
    expect(raw.source).toBe('comments');
    expect(raw.coverage?.partial).toBe(true);

    const log = await runReplay(cfg, { from: 'earliest', into: 'log', quiet: true });
    expect(log.source).toBe('features');
    // what compaction left: every other user's records, the tombstones and the segment rollers
    expect(log.fromLog?.records).toBe(compacted.length);
    expect(compacted.length).toBeLessThan(written + cfg.kafka.partitions);
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
