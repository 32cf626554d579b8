/**
 * Per-test isolation on the shared broker and Redis: random topic names and key prefixes, each
 * cleaned up where it is created (platformatic/kafka's habit).
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { registerCleanup } from './cleanup.js';
import { waitFor } from './wait.js';

export { registerCleanup };

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export function brokers(): string[] {
  return inject('kafkaBrokers');
}

export function redisUrl(): string {
  return inject('redisUrl');
}

export function modelDir(): string {
  return inject('modelDir');
}

export function testKafka(clientId = uniqueName('test')): Kafka {
  return new Kafka({ clientId, brokers: brokers(), logLevel: logLevel.NOTHING });
}

/** An admin client that is disconnected after the file's tests. */
export async function testAdmin(): Promise<Admin> {
  const admin = testKafka().admin();
  await admin.connect();
  registerCleanup(() => admin.disconnect());
  return admin;
}

/** Create topics with random names; they are deleted after the file's tests, with the feature logs processors made of them. */
export async function createTestTopics(admin: Admin, base: string, partitions = 1, n = 1): Promise<string[]> {
  const names = Array.from({ length: n }, (_, i) => uniqueName(`${base}${n > 1 ? i : ''}`));
  // kafkajs's waitForLeaders gives up when the broker it asks does not know a new topic yet
  // (UNKNOWN_TOPIC_OR_PARTITION, on a cluster whose node just caught up): wait here instead
  await admin.createTopics({ topics: names.map((topic) => ({ topic, numPartitions: partitions })), waitForLeaders: false });
  registerCleanup(async () => {
    const existing = new Set(await admin.listTopics().catch(() => [] as string[]));
    await admin.deleteTopics({ topics: [...names, ...names.map((t) => `${t}.features`).filter((t) => existing.has(t))] }).catch(() => {});
  });
  await waitFor(
    `leaders of ${names.join(', ')}`,
    async () => {
      const md = await admin.fetchTopicMetadata({ topics: names }).catch(() => undefined);
      return md?.topics.length === names.length && md.topics.every((t) => t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0));
    },
    { timeoutMs: 60_000 },
  );
  return names;
}

/** A Redis connection plus a random key prefix whose keys are removed after the file's tests. */
export function testRedis(): { redis: Redis; prefix: string } {
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 2 });
  const prefix = uniqueName('t');
  registerCleanup(async () => {
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
  });
  return { redis, prefix };
}

export async function deleteByPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) n += await redis.unlink(...keys);
  } while (cursor !== '0');
  return n;
}
