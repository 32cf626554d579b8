/**
 * Redis password: a redis-server of this test (on a free port) with requirepass. `portrait run` with
 * the password in redis.url (redis://:<password>@host:port) works; without it, or with a wrong
 * one, it stops at start-up with one clear line, exit 1, and the password is printed nowhere.
 * TLS (rediss://) is configured the same way: docs/security.md.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { readAll, waitForCaughtUp } from '../../helpers/kafka.js';
import { freePort, ownRedis, pipelineEnv, spawnPortrait, stopRun } from '../../helpers/faults.js';
import { createTestTopics, testAdmin, testKafka, uniqueName } from '../../helpers/services.js';

const PASSWORD = 'redis-pw-5e8b0c';

describe('Redis password (requirepass)', () => {
  it('runs with the password, refuses to start without it or with a wrong one', async () => {
    const redis = ownRedis(await freePort(), ['--requirepass', PASSWORD]);
    await redis.start();
    const admin = await testAdmin();
    const kafka = testKafka();
    const [comments, profiles, dlq] = await createTestTopics(admin, 'rauth', 1, 3);
    const groupId = uniqueName('rauth-group');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: comments!,
      messages: Array.from({ length: 10 }, (_, i) => ({
        key: `ra${i % 2}`,
        value: JSON.stringify({ schemaVersion: 1, eventId: `ra-${i}`, userId: `ra${i % 2}`, commentId: `c${i}`, ts: Date.parse('2026-09-01T00:00:00Z') + i, text: 'the food at this restaurant was delicious' }),
      })),
    });
    await producer.disconnect();
    const env = (url: string) => ({
      ...pipelineEnv({ comments: comments!, profiles: profiles!, deadLetter: dlq!, groupId, keyPrefix: 'rauth', redisUrl: url }),
      PORTRAIT_METRICS_PORT: '0',
      PORTRAIT_LOG_LEVEL: 'info',
    });

    for (const url of [`redis://127.0.0.1:${redis.port}`, `redis://:wrong-pw-0000@127.0.0.1:${redis.port}`]) {
      const run = spawnPortrait(['run'], env(url));
      const x = await run.exited;
      expect(x.code, run.stderr()).toBe(1);
      expect(run.stderr()).toMatch(/^portrait: Redis: .*(NOAUTH|WRONGPASS).* \[REDIS_UNAVAILABLE\]$/m);
      expect(run.stderr()).not.toContain('wrong-pw-0000');
      expect(run.stderr()).not.toContain(PASSWORD);
    }

    const run = spawnPortrait(['run'], env(`redis://:${PASSWORD}@127.0.0.1:${redis.port}`));
    await waitForCaughtUp(admin, groupId, comments!, 120_000);
    expect((await readAll(kafka, admin, profiles!)).length).toBeGreaterThan(0);
    await stopRun(run);
    expect(run.stderr()).not.toContain(PASSWORD);
    const r = new Redis(`redis://:${PASSWORD}@127.0.0.1:${redis.port}`);
    try {
      expect(JSON.parse((await r.hget('rauth:main:u:{ra0}:p', 'profile'))!)).toMatchObject({ userId: 'ra0', commentCount: 5 });
    } finally {
      r.disconnect();
    }
    await admin.deleteGroups([groupId]).catch(() => {});
  }, 180_000);
});
