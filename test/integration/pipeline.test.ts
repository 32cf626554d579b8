/**
 * The profiling pipeline end to end on the real broker, real Redis (single server and a 3-node
 * Cluster) and the real model: 1,000 comments from 60 simulated users, plus malformed records.
 */
import type { Admin, Kafka } from 'kafkajs';
import { Redis, Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcessor, type Processor } from '../../consumers/comments.js';
import { createClassifier, createEmbedder } from '../../src/app/parts.js';
import { profileParams } from '../../src/profile/index.js';
import type { Classifier } from '../../src/classify/index.js';
import { loadConfig, projectPath, type Config } from '../../src/config/index.js';
import { profileView } from '../../src/events/index.js';
import { embedChunked } from '../../src/embed/pool.js';
import type { Embedder } from '../../src/embed/types.js';
import { referenceProfile, type Observation } from '../../src/profile/index.js';
import { readLabelledRows } from '../../src/sim/jsonl.js';
import { simulateUsers, type SimCommentEvent } from '../../src/sim/users.js';
import { Keys } from '../../src/store/index.js';
import { isRejection, preprocess } from '../../src/text/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { readAll, waitForCaughtUp } from '../helpers/kafka.js';
import { expectCentroidOf } from '../helpers/centroid.js';
import { startRedisCluster, type LocalCluster } from '../helpers/redis-cluster.js';
import { brokers, createTestTopics, deleteByPrefix, redisUrl, testAdmin, testKafka, uniqueName } from '../helpers/services.js';

const USERS = 60;
const COMMENTS = 1000;
const PARTITIONS = 3;

let embedder: Embedder;
let classifier: Classifier;
let events: SimCommentEvent[];
const observations = new Map<string, Observation>(); // by eventId
const PII_EMAIL = 'zhang.wei.1987@example.com';
const PII_PHONE = '13800138000';

beforeAll(async () => {
  const base = loadConfig({ env: {} });
  embedder = createEmbedder({ embedder: { ...base.embedder, modelDir: projectPath(base.embedder.modelDir), cacheSize: 5000 } });
  classifier = await createClassifier(base, embedder);
  const rows = [...readLabelledRows(projectPath('data/sib200_zh.jsonl')), ...readLabelledRows(projectPath('data/sib200_en.jsonl'))];
  const sim = simulateUsers(rows, { users: USERS, limit: COMMENTS, seed: 7, startTs: Date.parse('2026-01-01T00:00:00Z'), spanMs: 90 * 86_400_000 });
  events = sim.events;
  // one comment carries PII: it must never reach Redis or the profiles topic
  events[10] = { ...events[10]!, text: `联系我 ${PII_EMAIL} 或者打 ${PII_PHONE}，${events[10]!.text}` };
  // The reference: the same preprocessing, embedding (through the same cache, so identical
  // vectors) and classifier, folded by the naive reference aggregate.
  const prepared = events.map((e) => ({ e, p: preprocess(e.text, base.text) }));
  const ok = prepared.filter((x) => !isRejection(x.p));
  const vecs = await embedChunked(
    embedder,
    ok.map((x) => (x.p as { chunks: string[] }).chunks),
  );
  const probs = classifier.predict(vecs);
  ok.forEach((x, i) => {
    const p = x.p as { tokens: string[] };
    observations.set(x.e.eventId, { eventId: x.e.eventId, commentId: x.e.commentId, ts: x.e.ts, probs: probs[i]!, embedding: vecs[i]!, terms: p.tokens });
  });
}, 300_000);

afterAll(async () => {
  await embedder?.close();
});

/** Records that must be rejected (reason code expected) and never stop the stream. */
function malformed(): { key: string | null; value: Buffer | string | null; reason: string }[] {
  const big = JSON.stringify({ type: 'comment', schemaVersion: 1, eventId: 'big', userId: 'u-big', commentId: 'c', ts: 1767225600000, text: 'x'.repeat(1_000_000) });
  return [
    { key: 'u-bad1', value: '{not json', reason: 'REJECT_INVALID_JSON' },
    { key: 'u-bad2', value: JSON.stringify({ type: 'comment', schemaVersion: 1, eventId: 'e-nouser', commentId: 'c', ts: 1767225600000, text: 'hello there' }), reason: 'REJECT_SCHEMA' },
    { key: 'u-bad3', value: JSON.stringify({ type: 'comment', schemaVersion: 1, eventId: 'e-ws', userId: 'u-bad3', commentId: 'c', ts: 1767225600000, text: '   \n\t ' }), reason: 'REJECT_EMPTY_TEXT' },
    { key: 'u-bad4', value: JSON.stringify({ type: 'comment', schemaVersion: 1, eventId: 'e-types', userId: 'u-bad4', commentId: 42, ts: 'yesterday', text: ['a'] }), reason: 'REJECT_SCHEMA' },
    { key: 'u-big', value: big, reason: 'REJECT_TOO_LARGE' },
    { key: 'u-bad5', value: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), reason: 'REJECT_INVALID_UTF8' },
    { key: 'u-bad6', value: '', reason: 'REJECT_SCHEMA' },
  ];
}

/** Users whose ids look like Redis key syntax: processed safely, each to their own key. */
const ODD_USERS = ['user{1}', 'a:b:c', 'glob*?[x]', 'u%7B1%7D'];

function cfgFor(topics: string[], groupId: string, keyPrefix: string, cluster?: LocalCluster): Readonly<Config> {
  return loadConfig({
    env: {},
    overrides: {
      kafka: { brokers: brokers(), groupId, partitions: PARTITIONS, topics: { comments: topics[0], profiles: topics[1], deadLetter: topics[2] } },
      redis: cluster ? { url: 'redis://127.0.0.1:6379', clusterNodes: cluster.nodes, keyPrefix } : { url: redisUrl(), keyPrefix },
      log: { level: 'silent' },
    },
  });
}

describe.each([
  ['a single Redis', false],
  ['a 3-node Redis Cluster', true],
] as const)('pipeline with %s', (_name, useCluster) => {
  let admin: Admin;
  let kafka: Kafka;
  let cfg: Readonly<Config>;
  let topics: string[];
  let proc: Processor;
  let cluster: LocalCluster | undefined;
  let groupId: string;
  let keyPrefix: string;
  const bad = malformed();

  beforeAll(async () => {
    admin = await testAdmin();
    kafka = testKafka();
    if (useCluster) cluster = await startRedisCluster(17_100);
    topics = await createTestTopics(admin, 'pipe', PARTITIONS, 3);
    groupId = uniqueName('proc');
    keyPrefix = uniqueName('pt');
    cfg = cfgFor(topics, groupId, keyPrefix, cluster);

    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const messages = events.map((e) => ({ key: e.userId, value: JSON.stringify(e) }));
    // malformed records and odd user ids spread through the stream
    bad.forEach((b, i) => messages.splice(100 + i * 120, 0, { key: b.key as string, value: b.value as string }));
    ODD_USERS.forEach((u, i) =>
      messages.splice(50 + i * 200, 0, { key: u, value: JSON.stringify({ type: 'comment', schemaVersion: 1, eventId: `odd-${i}`, userId: u, commentId: `odd-c-${i}`, ts: Date.parse('2026-02-01T00:00:00Z'), text: '今天的足球比赛非常精彩' }) }),
    );
    // one record per request for the 1 MB one: the broker limits a record batch to 1 MiB
    for (let i = 0; i < messages.length; i += 250) {
      for (const m of messages.slice(i, i + 250)) if (m.value.length > 100_000) await producer.send({ topic: topics[0]!, acks: -1, messages: [m] });
      await producer.send({ topic: topics[0]!, acks: -1, messages: messages.slice(i, i + 250).filter((m) => m.value.length <= 100_000) });
    }
    await producer.disconnect();

    proc = await startProcessor(cfg, silentLogger, { embedder });
    await waitForCaughtUp(admin, groupId, topics[0]!);
  }, 300_000);

  afterAll(async () => {
    await proc?.stop();
    if (!useCluster) {
      const r = new Redis(redisUrl());
      await deleteByPrefix(r, keyPrefix);
      r.disconnect();
    }
    await cluster?.stop();
    await admin?.deleteGroups([groupId]).catch(() => {});
  });

  const latestProfiles = async () => {
    const msgs = await readAll(kafka, admin, topics[1]!);
    const byUser = new Map<string, { version: number; commentCount: number; value: Record<string, unknown> }[]>();
    for (const m of msgs) {
      const v = JSON.parse(m.value!.toString()) as { userId: string; version: number; commentCount: number };
      expect(m.key!.toString()).toBe(v.userId);
      const list = byUser.get(v.userId) ?? [];
      list.push({ version: v.version, commentCount: v.commentCount, value: v as unknown as Record<string, unknown> });
      byUser.set(v.userId, list);
    }
    return { msgs, byUser };
  };

  it("gives every user the profile the reference aggregate computes from that user's events", async () => {
    const params = profileParams(cfg);
    const { byUser } = await latestProfiles();
    const simUsers = new Set(events.map((e) => e.userId));
    expect(simUsers.size).toBe(USERS);
    for (const userId of simUsers) {
      const obs = events.filter((e) => e.userId === userId).map((e) => observations.get(e.eventId)!);
      // the classifier's kind picks the confidence fit (an uncalibrated zero-shot taxonomy has its own, issue #19)
      const ref = referenceProfile(obs, embedder.dim, params, undefined, classifier.kind);
      const stored = (await proc.store.getProfile(userId)) as Record<string, any>;
      expect(stored, userId).not.toBeNull();
      expect(stored.commentCount).toBe(obs.length);
      // stored as published (schemaVersion 2: arrays rounded for the wire); read as a ProfileView
      expect(stored.schemaVersion).toBe(2);
      expect(stored.interests[0]).toBeInstanceOf(Array);
      const view = profileView(stored) as Record<string, any>;
      expect(view.interests.map((i: { label: string }) => i.label)).toEqual(ref.interests.map((i) => i.label));
      // scores to 4 significant digits, share and confidence to 4 decimals
      const near = (got: number, want: number, tol: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(tol + 1e-6);
      view.interests.forEach((i: { score: number; share: number; confidence: number }, k: number) => {
        near(i.score, ref.interests[k]!.score, ref.interests[k]!.score * 5e-4);
        near(i.share, ref.interests[k]!.share, 5e-5);
        near(i.confidence, ref.interests[k]!.confidence, 5e-5);
      });
      expect(view.topTerms.map((t: { term: string }) => t.term)).toEqual(ref.topTerms.map((t) => t.term));
      view.topTerms.forEach((t: { score: number }, k: number) => near(t.score, ref.topTerms[k]!.score, ref.topTerms[k]!.score * 5e-4));
      expect(stored.evidence).toEqual(ref.evidence);
      expectCentroidOf(stored.centroid, ref.centroid, `centroid of ${userId}`);
      expect(stored.firstSeen).toBe(new Date(ref.firstSeen).toISOString());
      expect(stored.lastSeen).toBe(new Date(ref.lastSeen).toISOString());
      expect(stored.classifier).toEqual({ kind: classifier.kind, version: classifier.version });

      // the profiles topic: versions 1, 2, 3, ... one per update, the last one equal to the stored profile
      const published = byUser.get(userId)!;
      expect(published.map((p) => p.version)).toEqual(published.map((_, i) => i + 1));
      expect(published.at(-1)!.value).toEqual(stored);
      // counts only grow, and every event is counted once in total
      expect(published.at(-1)!.commentCount).toBe(obs.length);
    }
  });

  it('routes each malformed record to the dead-letter topic with its reason, and processes the records around it', async () => {
    const dlq = await readAll(kafka, admin, topics[2]!);
    const reasons = dlq.map((m) => m.headers!['portrait-dlq-reason']!.toString());
    expect(reasons.sort()).toEqual(bad.map((b) => b.reason).sort());
    for (const m of dlq) {
      expect(m.headers!['portrait-dlq-source-topic']!.toString()).toBe(topics[0]);
      expect(Number(m.headers!['portrait-dlq-source-offset']!.toString())).toBeGreaterThanOrEqual(0);
      expect(m.headers!['portrait-dlq-detail']!.toString().length).toBeGreaterThan(0);
    }
    // the original bytes are kept (the invalid UTF-8 one included)
    const utf8 = dlq.find((m) => m.headers!['portrait-dlq-reason']!.toString() === 'REJECT_INVALID_UTF8')!;
    expect(Buffer.compare(utf8.value!, bad.find((b) => b.reason === 'REJECT_INVALID_UTF8')!.value as Buffer)).toBe(0);
  });

  it('keeps users whose ids look like Redis key syntax apart, each under its own hash tag', async () => {
    const keys = new Keys(keyPrefix, cfg.redis.namespace);
    for (const u of ODD_USERS) {
      const p = (await proc.store.getProfile(u)) as { userId: string; commentCount: number };
      expect(p.userId).toBe(u);
      expect(p.commentCount).toBe(1);
      expect(keys.userIdOf(keys.profile(u))).toBe(u);
    }
    expect(new Set(ODD_USERS.map((u) => keys.profile(u))).size).toBe(ODD_USERS.length);
  });

  it('stores and publishes no raw comment text and no PII', async () => {
    const dumps: string[] = [];
    const nodes: (Redis | Cluster)[] = proc.parts.redis instanceof Cluster ? proc.parts.redis.nodes('master') : [proc.parts.redis];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
        cursor = next;
        for (const k of found) {
          const type = await node.type(k);
          if (type === 'hash') dumps.push(k, ...Object.entries(await node.hgetallBuffer(k)).map(([f, v]) => `${f}=${v.toString('utf8')}`));
          else if (type === 'set') dumps.push(k, ...(await node.smembers(k)));
          else if (type === 'list') dumps.push(k, ...(await node.lrange(k, 0, -1)));
          else if (type === 'string') dumps.push(k, (await node.getBuffer(k))?.toString('utf8') ?? '');
          else throw new Error(`unexpected key type ${type} for ${k}`);
        }
      } while (cursor !== '0');
    }
    const { msgs } = await latestProfiles();
    dumps.push(...msgs.map((m) => m.value!.toString()));
    const all = dumps.join('\n');
    expect(all.length).toBeGreaterThan(10_000);
    expect(all).not.toContain(PII_EMAIL);
    expect(all).not.toContain(PII_PHONE);
    // no comment text, nor any 16-character window of one, appears anywhere
    for (const e of events) {
      const t = e.text.toLowerCase();
      for (let i = 0; i + 16 <= t.length; i += 8) expect(all.includes(t.slice(i, i + 16)), `text of ${e.eventId}`).toBe(false);
    }
  });

  it('counts nothing twice when the same events are consumed again', async () => {
    const before = new Map<string, unknown>();
    for (const u of new Set(events.map((e) => e.userId))) before.set(u, await proc.store.getProfile(u));
    await proc.stop();
    await admin.resetOffsets({ groupId, topic: topics[0]!, earliest: true });
    proc = await startProcessor(cfg, silentLogger, { embedder });
    await waitForCaughtUp(admin, groupId, topics[0]!);
    for (const [u, p] of before) {
      const now = (await proc.store.getProfile(u)) as Record<string, unknown>;
      expect(now).toEqual(p);
    }
    // the re-published profiles carry versions already seen: a consumer deduplicating by version drops them
    const { byUser } = await latestProfiles();
    for (const [u, list] of byUser) {
      const max = Math.max(...list.map((x) => x.version));
      expect((before.get(u) as { version: number } | undefined)?.version ?? max, u).toBe(max);
    }
  });
});
