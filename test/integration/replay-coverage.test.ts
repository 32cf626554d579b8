/**
 * Rebuilds that say what they cover (issue #20): a replay after retention deleted the older
 * comments reports the span it rebuilt per partition and the live namespace's, and `namespace
 * activate` refuses the partial namespace unless told --accept-partial; a whole rebuild activates.
 * Retention is simulated by deleting the oldest records (DeleteRecords), as retention would.
 */
import type { Admin, Kafka } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { startProcessor } from '../../consumers/comments.js';
import { runReplay } from '../../src/cli/commands/replay.js';
import { loadConfig, projectPath, type Config } from '../../src/config/index.js';
import { readLabelledRows } from '../../src/sim/jsonl.js';
import { simulateUsers, type SimCommentEvent } from '../../src/sim/users.js';
import { silentLogger } from '../../src/util/logger.js';
import { runCli } from '../helpers/cli.js';
import { waitForCaughtUp } from '../helpers/kafka.js';
import { brokers, createTestTopics, deleteByPrefix, redisUrl, registerCleanup, testAdmin, testKafka, uniqueName } from '../helpers/services.js';
import { Redis } from 'ioredis';

const DAY = 86_400_000;
const START = Date.parse('2026-08-01T00:00:00Z');
let admin: Admin;
let kafka: Kafka;
let cfg: Readonly<Config>;
let topics: string[];
let events: SimCommentEvent[];
const prefix = uniqueName('cov');
const groupId = uniqueName('live');

const env = () => ({
  PORTRAIT_LOG_LEVEL: 'silent',
  PORTRAIT_KAFKA_BROKERS: brokers().join(','),
  PORTRAIT_KAFKA_GROUP_ID: groupId,
  PORTRAIT_KAFKA_TOPICS_COMMENTS: topics[0]!,
  PORTRAIT_KAFKA_TOPICS_PROFILES: topics[1]!,
  PORTRAIT_KAFKA_TOPICS_DEAD_LETTER: topics[2]!,
  PORTRAIT_KAFKA_PARTITIONS: '2',
  PORTRAIT_REDIS_URL: redisUrl(),
  PORTRAIT_REDIS_KEY_PREFIX: prefix,
});

beforeAll(async () => {
  admin = await testAdmin();
  kafka = testKafka();
  topics = await createTestTopics(admin, 'cov', 2, 3);
  const redis = new Redis(redisUrl());
  registerCleanup(async () => {
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
    await admin.deleteGroups([groupId, `${groupId}-replay-whole`, `${groupId}-replay-partial`]).catch(() => {});
  });
  cfg = loadConfig({
    env: {},
    overrides: {
      kafka: { brokers: brokers(), groupId, partitions: 2, topics: { comments: topics[0], profiles: topics[1], deadLetter: topics[2] } },
      redis: { url: redisUrl(), keyPrefix: prefix, namespace: 'main' },
      log: { level: 'silent' },
    },
  });
  // 8 users over 60 days, in time order: the first half of each partition is the older comments
  events = simulateUsers(readLabelledRows(projectPath('data/sib200_zh.jsonl')), { users: 8, limit: 80, seed: 3, startTs: START, spanMs: 60 * DAY }).events;
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({ topic: topics[0]!, acks: -1, messages: events.map((e) => ({ key: e.userId, value: JSON.stringify(e) })) });
  await producer.disconnect();
  const live = await startProcessor(cfg, silentLogger);
  await waitForCaughtUp(admin, groupId, topics[0]!);
  await live.stop();
}, 300_000);

describe('rebuild coverage', () => {
  it('reports what a replay rebuilt; activation refuses a namespace that lost older comments to retention unless --accept-partial', async () => {
    const oldest = Math.min(...events.map((e) => e.ts));
    const newest = Math.max(...events.map((e) => e.ts));

    // a whole rebuild: the same span as the live namespace
    const whole = await runReplay(cfg, { from: 'earliest', into: 'whole', quiet: true });
    expect(whole.events).toBe(events.length);
    expect(whole.coverage?.partial).toBe(false);
    expect(whole.coverage?.rebuilt.oldestFirstSeen).toBe(new Date(oldest).toISOString());
    expect(whole.coverage?.live).toEqual({ namespace: 'main', profiles: 8, oldestFirstSeen: new Date(oldest).toISOString(), newestLastSeen: new Date(newest).toISOString() });
    expect(whole.partitions.map((p) => p.partition)).toEqual([0, 1]);
    expect(whole.partitions.reduce((n, p) => n + p.folded, 0)).toBe(events.length);
    expect(whole.partitions.map((p) => p.from).sort()[0]).toBe(new Date(oldest).toISOString());

    // retention deletes the older half of every partition
    const ranges = await admin.fetchTopicOffsets(topics[0]!);
    await admin.deleteTopicRecords({ topic: topics[0]!, partitions: ranges.map((r) => ({ partition: r.partition, offset: String(Math.floor(Number(r.high) / 2)) })) });
    // from the comments alone: the feature log (on by default) still holds what retention deleted
    const partial = await runReplay(cfg, { from: 'earliest', into: 'partial', quiet: true, source: 'comments' });
    expect(partial.events).toBeLessThan(events.length);
    expect(partial.coverage?.partial).toBe(true);
    const rebuiltOldest = Date.parse(partial.coverage!.rebuilt.oldestFirstSeen!);
    expect(rebuiltOldest - oldest).toBeGreaterThan(DAY);
    for (const p of partial.partitions) expect(Date.parse(p.from!)).toBeGreaterThanOrEqual(rebuiltOldest);

    // the CLI says it too
    const text = await runCli(['namespace', 'activate', 'partial'], env());
    expect(text.code).not.toBe(0);
    expect(text.stderr).toMatch(
      new RegExp(
        `namespace partial covers less history than the active namespace main: its oldest comment is ${partial.coverage!.rebuilt.oldestFirstSeen!.replace(/[.]/g, '\\.')}, main's is ${new Date(oldest).toISOString().replace(/[.]/g, '\\.')} \\(\\d+\\.\\d days of older comments missing; \\d+ profiles against 8\\).*--accept-partial`,
      ),
    );

    // the whole rebuild takes over without a word; the partial one then still may not replace it
    const ok = await runCli(['namespace', 'activate', 'whole', '--json'], env());
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ active: 'whole', previous: 'main', coverage: { partial: false } });
    const refused = await runCli(['namespace', 'activate', 'partial'], env());
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('covers less history than the active namespace whole');
    const accepted = await runCli(['namespace', 'activate', 'partial', '--accept-partial'], env());
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stdout).toContain('active namespace: partial (was whole)');
    expect(accepted.stdout).toContain('(accepted: the new one covers less history)');
  });
});
