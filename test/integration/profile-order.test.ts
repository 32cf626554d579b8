/**
 * Two instances write one user (the user's comments on two partitions: a producer not on murmur2,
 * docs/events.md "Partitioning") and their produce requests reach the broker out of version order:
 * the slow instance (test/helpers/fault-run.ts delay-after-store) writes version 1 and stalls before
 * publishing it; meanwhile the other writes and publishes version 2; then version 1 lands. The slow
 * one's confirm step (src/pipeline/confirm.ts) reads the store back and publishes version 2 again,
 * so the compacted topic's last record for the user is the stored profile.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Keys } from '../../src/store/keys.js';
import { committedTotal, isRunning, ownPipeline, pipelineEnv, startFaultRun, startRun, stopRun, waitForCommitted } from '../helpers/faults.js';
import { readAll } from '../helpers/kafka.js';
import { redisUrl } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';

describe('profile events of one user published by two instances out of order', () => {
  it("the topic's last record is the stored profile: the instance that published late publishes the stored one again", async () => {
    const p = await ownPipeline('order', 2);
    const env = {
      ...pipelineEnv(p),
      PORTRAIT_KAFKA_PARTITIONS: '2',
      PORTRAIT_KAFKA_SESSION_TIMEOUT_MS: '10000',
      PORTRAIT_KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
      PORTRAIT_METRICS_PORT: '0',
      PORTRAIT_LOG_LEVEL: 'info',
    };
    const slow = startFaultRun(env, 'delay-after-store:2500');
    const fast = startRun(env);
    const alive = () => isRunning(slow) && isRunning(fast);
    await waitFor(
      'both instances in the consumer group',
      async () => {
        const [g] = (await p.admin.describeGroups([p.groupId])).groups;
        return g?.state === 'Stable' && g.members.length === 2;
      },
      { timeoutMs: 90_000, alive },
    );
    // the slow instance's partition, from its last group join
    const joins = await waitFor('the slow instance to log its partitions', () => {
      const lines = slow
        .stderr()
        .split('\n')
        .filter((l) => l.includes('joined the consumer group'));
      const last = lines.length > 0 ? (JSON.parse(lines.at(-1)!) as { partitions: number[] }) : undefined;
      return last?.partitions.length === 1 ? last : undefined;
    });
    const slowPartition = joins.partitions[0]!;
    const fastPartition = 1 - slowPartition;

    const user = 'carol';
    const comment = (i: number, text: string) => JSON.stringify({ type: 'comment', schemaVersion: 1, eventId: `order-${i}`, userId: user, commentId: `c-${i}`, text, ts: Date.now() });
    const producer = p.kafka.producer();
    await producer.connect();
    try {
      // version 1 on the slow instance's partition: written, then the instance stalls before publishing it
      await producer.send({ topic: p.comments, messages: [{ key: user, value: comment(1, '这场篮球比赛太精彩了'), partition: slowPartition }] });
      await slow.waitForLog(/stalling before the publish/, 60_000);
      // version 2 on the other's partition: written and published while the slow one stalls
      await producer.send({ topic: p.comments, messages: [{ key: user, value: comment(2, 'the new phone camera is amazing'), partition: fastPartition }] });
    } finally {
      await producer.disconnect();
    }
    await waitForCommitted(p.admin, p.groupId, p.comments, 2, alive, 60_000);
    expect(await committedTotal(p.admin, p.groupId, p.comments)).toBe(2);
    await Promise.all([stopRun(slow), stopRun(fast)]);

    const redis = new Redis(redisUrl());
    const stored = await redis.hget(new Keys(p.keyPrefix, 'main').profile(user), 'profile');
    redis.disconnect();
    expect(JSON.parse(stored!).version).toBe(2);

    const records = (await readAll(p.kafka, p.admin, p.profiles)).filter((m) => m.key?.toString() === user);
    const versions = records.map((m) => (JSON.parse(m.value!.toString()) as { version: number }).version);
    // the race happened: version 1 landed after version 2 ...
    expect(versions.indexOf(1), `versions as published: ${versions.join(', ')}`).toBeGreaterThan(versions.indexOf(2));
    // ... and the last record is the stored profile, byte for byte
    expect(records.at(-1)!.value!.toString(), `versions as published: ${versions.join(', ')}`).toBe(stored);
  }, 240_000);
});
