/**
 * Seeds real Redis and a real profiles topic with a few users for the API and dashboard tests,
 * exactly as the processor writes them: state folded with the profile maths, profile event built and
 * validated, CAS-written through RedisProfileStore, history appended, event produced (key = userId).
 */
import type { Admin } from 'kafkajs';
import { profileParams } from '../../src/profile/index.js';
import { historyEntry } from '../../src/api/history.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { encodeProfileEvent, profileView, type ProfileView } from '../../src/events/index.js';
import { buildProfileEvent } from '../../src/pipeline/profile-event.js';
import { emptyState, finalize, update, type AggregateState } from '../../src/profile/index.js';
import { RedisHistory } from '../../src/store/history.js';
import { RedisProfileStore } from '../../src/store/index.js';
import { createRedis, type RedisClient } from '../../src/store/redis-client.js';
import { brokers, createTestTopics, redisUrl, registerCleanup, testKafka, testRedis } from '../helpers/services.js';

export const DIM = 16;
const LABELS = ['sports', 'tech', 'food', 'travel'];

/** A direction per label; a user's comments point near their favourite labels' directions. */
function direction(label: string): number[] {
  const i = LABELS.indexOf(label);
  return Array.from({ length: DIM }, (_, j) => (j % LABELS.length === i ? 1 : 0.05));
}

export interface SeedUser {
  userId: string;
  /** label of each comment, oldest first */
  comments: string[];
  terms: string[];
}

export const SEED_USERS: SeedUser[] = [
  { userId: 'u:{42}', comments: ['sports', 'sports', 'sports', 'tech'], terms: ['梅西', '进球', '比赛'] },
  { userId: 'fan/of %football*', comments: ['sports', 'sports', 'food'], terms: ['football', 'goal'] },
  { userId: '小明', comments: ['tech', 'tech', 'tech', 'sports'], terms: ['手机', '相机'] },
  { userId: 'chef-1', comments: ['food', 'food', 'travel'], terms: ['noodles', 'spicy'] },
  { userId: 'to-be-forgotten', comments: ['travel'], terms: ['beach'] },
];

export interface Seeded {
  cfg: Readonly<Config>;
  redis: RedisClient;
  profiles: Map<string, ProfileView>;
  admin: Admin;
}

export async function seed(admin: Admin, over: Record<string, unknown> = {}): Promise<Seeded> {
  const [comments, profilesTopic, dlq] = await createTestTopics(admin, 'api', 2, 3);
  const { prefix } = testRedis();
  const cfg = loadConfig({
    env: {},
    overrides: {
      kafka: { brokers: brokers(), topics: { comments, profiles: profilesTopic, deadLetter: dlq }, partitions: 2 },
      redis: { url: redisUrl(), keyPrefix: prefix },
      api: { token: '' },
      ...over,
    },
  });
  const redis = createRedis(cfg);
  registerCleanup(() => void redis.disconnect());
  const store = new RedisProfileStore(redis, { keyPrefix: prefix, namespace: cfg.redis.namespace, userTtlSeconds: 0 });
  const history = new RedisHistory(redis, store.keys, { max: cfg.api.historyLength });
  const params = profileParams(cfg);
  const t0 = Date.parse('2026-03-01T00:00:00Z');
  const out = new Map<string, ProfileView>();
  const records: { key: string; value: Buffer | null }[] = [];
  let n = 0;
  for (const u of SEED_USERS) {
    let state: AggregateState = emptyState(DIM);
    let version = 0;
    for (const [i, label] of u.comments.entries()) {
      n++;
      const v = direction(label);
      const norm = Math.hypot(...v);
      state = update(
        state,
        {
          eventId: `e-${n}`,
          commentId: `c-${n}`,
          ts: t0 + n * 60_000,
          probs: Object.fromEntries(LABELS.map((l) => [l, l === label ? 0.85 : 0.05])),
          embedding: v.map((x) => x / norm),
          terms: u.terms.slice(0, 1 + (i % u.terms.length)),
        },
        params,
      );
      version++;
      const enc = encodeProfileEvent(
        buildProfileEvent({
          userId: u.userId,
          version,
          updatedAt: t0 + n * 60_000 + 1000,
          derived: finalize(state, params),
          embedder: { id: 'test/seed@fp32/cls', dim: DIM },
          classifier: { kind: 'zero-shot', version: 'seed0001' },
          causedBy: [`e-${n}`],
          namespace: cfg.redis.namespace,
        }),
      );
      if (!enc.ok) throw new Error(enc.detail);
      const res = await store.apply([{ userId: u.userId, expectedVersion: version - 1, version, state, applied: {}, profileJson: enc.value.toString('utf8'), updatedAt: t0 + n * 60_000 + 1000 }]);
      if (!res.get(u.userId)?.ok) throw new Error(`seed write of ${u.userId} failed`);
      await history.append([{ userId: u.userId, entry: historyEntry(profileView(enc.event)) }]);
      records.push({ key: u.userId, value: enc.value });
      out.set(u.userId, profileView(enc.event));
    }
  }
  // erased: a tombstone follows its profile on the compacted topic
  records.push({ key: 'to-be-forgotten', value: null });
  const producer = testKafka().producer();
  await producer.connect();
  await producer.send({ topic: profilesTopic!, messages: records });
  await producer.disconnect();
  return { cfg, redis, profiles: out, admin };
}
