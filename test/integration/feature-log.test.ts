/**
 * The feature log on the real stack (issue #20): with kafka.featureLog on, the processor writes one
 * record per folded comment to the compacted features topic — ids, time, language, redacted terms,
 * the int8 vector, where the comment sat — and no raw text; `portrait forget` tombstones the user's
 * records of comments before the forget and keeps the ones after it.
 */
import type { Admin, Kafka } from 'kafkajs';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { startProcessor, type Processor } from '../../consumers/comments.js';
import { runForget } from '../../src/cli/commands/forget.js';
import { featuresTopic, loadConfig, projectPath, type Config } from '../../src/config/index.js';
import { decodeFeatureRecord, parseFeatureKey } from '../../src/events/feature-record.js';
import { readLabelledRows } from '../../src/sim/jsonl.js';
import { simulateUsers, type SimCommentEvent } from '../../src/sim/users.js';
import { silentLogger } from '../../src/util/logger.js';
import { readAll, waitForCaughtUp, type ReadMessage } from '../helpers/kafka.js';
import { brokers, createTestTopics, deleteByPrefix, redisUrl, registerCleanup, testAdmin, testKafka, uniqueName } from '../helpers/services.js';

let admin: Admin;
let kafka: Kafka;
let cfg: Readonly<Config>;
let proc: Processor;
let events: SimCommentEvent[];
const prefix = uniqueName('fl');
const groupId = uniqueName('live');

async function produce(batch: readonly object[], key: (e: any) => string): Promise<void> {
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({ topic: cfg.kafka.topics.comments, acks: -1, messages: batch.map((e) => ({ key: key(e), value: JSON.stringify(e) })) });
  await producer.disconnect();
}

/** The latest value per key: what compaction leaves of the topic. */
function latest(msgs: readonly ReadMessage[]): Map<string, ReadMessage> {
  const out = new Map<string, ReadMessage>();
  for (const m of msgs) out.set(m.key!.toString(), m);
  return out;
}

beforeAll(async () => {
  admin = await testAdmin();
  kafka = testKafka();
  const topics = await createTestTopics(admin, 'fl', 2, 3);
  const redis = new Redis(redisUrl());
  cfg = loadConfig({
    env: {},
    overrides: {
      kafka: { brokers: brokers(), groupId, partitions: 2, featureLog: true, topics: { comments: topics[0], profiles: topics[1], deadLetter: topics[2] } },
      redis: { url: redisUrl(), keyPrefix: prefix },
      log: { level: 'silent' },
    },
  });
  registerCleanup(async () => {
    await proc?.stop();
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
    await admin.deleteTopics({ topics: [featuresTopic(cfg)] }).catch(() => {});
    await admin.deleteGroups([groupId]).catch(() => {});
  });
  events = simulateUsers(readLabelledRows(projectPath('data/sib200_zh.jsonl')), { users: 6, limit: 60, seed: 5, startTs: Date.parse('2026-10-01T00:00:00Z'), spanMs: 20 * 86_400_000 }).events;
  await produce(events, (e) => e.userId);
  proc = await startProcessor(cfg, silentLogger, { checkRedis: false });
  await waitForCaughtUp(admin, groupId, cfg.kafka.topics.comments);
}, 300_000);

describe('feature log', () => {
  it('holds one record per folded comment: ids, time, language, terms and the int8 vector, no raw text', async () => {
    const msgs = await readAll(kafka, admin, featuresTopic(cfg));
    const live = latest(msgs);
    expect(live.size).toBe(events.length);
    const byEvent = new Map(events.map((e) => [e.eventId, e]));
    for (const [key, m] of live) {
      const k = parseFeatureKey(key)!;
      const e = byEvent.get(k.eventId)!;
      expect(k.userId).toBe(e.userId);
      const d = decodeFeatureRecord(m.value!, proc.embedder.dim);
      expect(d.ok, key).toBe(true);
      if (!d.ok) continue;
      expect(d.record).toMatchObject({ userId: e.userId, eventId: e.eventId, commentId: e.commentId, ts: e.ts, lang: 'zh', embedder: proc.embedder.id });
      expect(d.record.terms.length).toBeGreaterThan(0);
      expect(d.record.source).toMatchObject({ topic: cfg.kafka.topics.comments, partition: m.partition });
      expect(Math.hypot(...d.record.embedding)).toBeCloseTo(1, 1);
      // no raw text: no 12-character window of the comment is in the record
      const text = e.text.normalize('NFKC').toLowerCase();
      const value = m.value!.toString();
      for (let i = 0; i + 12 <= text.length; i += 6) expect(value.includes(text.slice(i, i + 12)), `${e.eventId}: "${text.slice(i, i + 12)}"`).toBe(false);
    }
    const bytes = [...live.values()].reduce((n, m) => n + m.value!.length + m.key!.length, 0) / live.size;
    expect(bytes).toBeLessThan(1200);
  });

  it('forget tombstones the records of the comments before it and keeps the ones after', async () => {
    const carol = 'carol-' + uniqueName('u');
    const t0 = Date.parse('2026-11-01T00:00:00Z');
    const comment = (i: number) => ({ type: 'comment', schemaVersion: 1, eventId: `${carol}-c${i}`, userId: carol, commentId: `c${i}`, ts: t0 + i * 60_000, text: `第${i}场比赛太精彩了，球队最后时刻进球绝杀` });
    await produce([comment(1), comment(2), comment(3)], (e) => e.userId);
    await waitForCaughtUp(admin, groupId, cfg.kafka.topics.comments);
    const f = await runForget(carol, { waitSeconds: 60 }, cfg);
    expect(f.status).toBe('done');
    expect(f.featureLog).toEqual({ topic: featuresTopic(cfg), tombstoned: 3, kept: 0 });
    // she writes again after the forget (a comment dated before it would be suppressed as a late one): a new profile, a new record
    await produce([{ ...comment(4), ts: Date.now() + 1000 }], (e) => e.userId);
    await waitForCaughtUp(admin, groupId, cfg.kafka.topics.comments);
    const live = latest(await readAll(kafka, admin, featuresTopic(cfg)));
    const hers = [...live].filter(([k]) => parseFeatureKey(k)?.userId === carol);
    expect(
      hers
        .filter(([, m]) => m.value === null)
        .map(([k]) => parseFeatureKey(k)!.eventId)
        .sort(),
    ).toEqual([`${carol}-c1`, `${carol}-c2`, `${carol}-c3`]);
    expect(hers.filter(([, m]) => m.value !== null).map(([k]) => parseFeatureKey(k)!.eventId)).toEqual([`${carol}-c4`]);
    // the other users' records are untouched
    expect([...live.values()].filter((m) => m.value !== null).length).toBe(events.length + 1);
    // a second forget finds only what came after the first
    const again = await runForget(carol, { waitSeconds: 60 }, cfg);
    expect(again.featureLog).toEqual({ topic: featuresTopic(cfg), tombstoned: 1, kept: 0 });
  });
});
