/** `portrait run` as a real process: consumes, publishes, and on SIGTERM finishes, commits and exits 0. */
import { describe, expect, it } from 'vitest';
import { pipelineEnv, spawnPortrait, stopRun } from '../helpers/faults.js';
import { readAll, waitForCaughtUp } from '../helpers/kafka.js';
import { createTestTopics, testAdmin, testKafka, testRedis, uniqueName } from '../helpers/services.js';

describe('portrait run', () => {
  it('processes comments and stops cleanly on SIGTERM with exit code 0', async () => {
    const admin = await testAdmin();
    const [comments, profiles, dlq] = await createTestTopics(admin, 'run', 2, 3);
    const { prefix } = testRedis();
    const groupId = uniqueName('run-group');
    const kafka = testKafka();
    const producer = kafka.producer();
    await producer.connect();
    const users = ['alice', 'bob', '小明'];
    await producer.send({
      topic: comments!,
      messages: Array.from({ length: 30 }, (_, i) => {
        const userId = users[i % 3]!;
        return {
          key: userId,
          value: JSON.stringify({ type: 'comment', schemaVersion: 1, eventId: `r-${i}`, userId, commentId: `c-${i}`, ts: Date.parse('2026-03-01T00:00:00Z') + i * 60_000, text: i % 2 ? '这场篮球比赛太精彩了' : 'the new phone camera is amazing' }),
        };
      }),
    });
    await producer.disconnect();

    const run = spawnPortrait(['run'], { ...pipelineEnv({ comments: comments!, profiles: profiles!, deadLetter: dlq!, groupId, keyPrefix: prefix }), PORTRAIT_LOG_LEVEL: 'info' });

    await waitForCaughtUp(admin, groupId, comments!, 90_000);
    const published = await readAll(kafka, admin, profiles!);
    expect(new Set(published.map((m) => m.key!.toString()))).toEqual(new Set(users));

    await stopRun(run); // SIGTERM, then exit code 0
    expect(run.stderr()).toContain('stopped cleanly');
    await admin.deleteGroups([groupId]).catch(() => {});
  });
});
