/**
 * `portrait produce` end to end: the real command (bin/portrait.js) publishes simulated users'
 * comments to a random topic on the real broker; a kafkajs consumer reads them back.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { brokers, testKafka, uniqueName } from '../helpers/services.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('produce');

// Cleanup is registered at file level: vitest does not run an afterAll() registered inside a test.
let admin: Admin;
const topics: string[] = [];
const groups: string[] = [];
beforeAll(async () => {
  admin = testKafka().admin();
  await admin.connect();
});
afterAll(async () => {
  if (groups.length > 0) await admin.deleteGroups(groups).catch(() => {});
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => {});
  await admin.disconnect();
});

/** A random topic name, deleted after the file's tests. */
function testTopic(prefix: string): string {
  const name = uniqueName(prefix);
  topics.push(name);
  return name;
}

function tmpFile(name: string, content: string): string {
  const file = join(tmp, name);
  writeFileSync(file, content);
  return file;
}

const portrait = (args: string[], env: Record<string, string>) => runCli(args, env, { timeoutMs: 90_000 });

interface Consumed {
  key: string | null;
  value: string;
  partition: number;
}

async function consumeAll(topic: string, expected: number, timeoutMs = 30_000): Promise<Consumed[]> {
  const groupId = uniqueName('produce-test');
  groups.push(groupId);
  const consumer = testKafka().consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: Consumed[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`got ${got.length} of ${expected} messages within ${timeoutMs} ms`)), timeoutMs);
    void consumer.run({
      eachMessage: async ({ message, partition }) => {
        got.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? '', partition });
        if (got.length === expected) {
          clearTimeout(timer);
          // Linger a second so that extra (duplicate) messages would show up in the count.
          setTimeout(resolve, 1000);
        }
      },
    });
  }).finally(() => consumer.disconnect());
  return got;
}

describe('portrait produce (real broker)', () => {
  it("publishes simulated users' comments keyed by userId, as the comment event contract says", async () => {
    const topic = testTopic('produce');

    const run = await portrait(['produce', '--file', 'data/sib200_zh.jsonl', '--users', '5', '--limit', '40', '--json'], {
      PORTRAIT_KAFKA_BROKERS: brokers().join(','),
      PORTRAIT_KAFKA_TOPICS_COMMENTS: topic,
    });
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      mode: string;
      topic: string;
      events: number;
      users: number;
      interrupted: boolean;
      userInterests: { userId: string; interests: string[]; comments: number; labelCounts: Record<string, number> }[];
    };
    expect(summary).toMatchObject({ mode: 'simulate', topic, events: 40, users: 5, interrupted: false });
    expect(summary.userInterests.map((u) => u.userId)).toEqual(['u0001', 'u0002', 'u0003', 'u0004', 'u0005']);

    // The command created the topic with the configured partitions (6 in config/default.yaml).
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]!.partitions).toHaveLength(6);

    const messages = await consumeAll(topic, 40);
    expect(messages).toHaveLength(40);
    const interests = new Map(summary.userInterests.map((u) => [u.userId, u]));
    const eventIds = new Set<string>();
    const partitionOf = new Map<string, number>();
    const lastTs = new Map<string, number>();
    const perUser = new Map<string, number>();
    for (const m of messages) {
      const e = JSON.parse(m.value) as Record<string, unknown>;
      expect(e).toMatchObject({ type: 'comment', schemaVersion: 1, source: 'portrait-sim' });
      expect(typeof e.eventId).toBe('string');
      expect(typeof e.commentId).toBe('string');
      expect(typeof e.text).toBe('string');
      expect((e.text as string).length).toBeGreaterThan(0);
      expect(Number.isSafeInteger(e.ts)).toBe(true);
      // key = userId, and one user's events share a partition, in time order
      expect(m.key).toBe(e.userId);
      const userId = e.userId as string;
      expect(interests.has(userId)).toBe(true);
      expect(partitionOf.get(userId) ?? m.partition).toBe(m.partition);
      partitionOf.set(userId, m.partition);
      expect(e.ts as number).toBeGreaterThan(lastTs.get(userId) ?? 0);
      lastTs.set(userId, e.ts as number);
      // each comment is on one of the user's latent interests
      expect(interests.get(userId)!.interests).toContain((e.metadata as { simLabel: string }).simLabel);
      eventIds.add(e.eventId as string);
      perUser.set(userId, (perUser.get(userId) ?? 0) + 1);
    }
    expect(eventIds.size).toBe(40);
    for (const u of summary.userInterests) expect(perUser.get(u.userId)).toBe(u.comments);
  });

  it('publishes --raw lines as they are, with a null key when there is no userId', async () => {
    const topic = testTopic('produce-raw');
    const lines = ['{"type":"comment","schemaVersion":1,"eventId":"e1","userId":"raw-1","commentId":"c1","text":"你好","ts":1}', 'not json at all', '{"text":"no user id"}'];
    const file = tmpFile('raw.jsonl', `${lines.join('\n')}\n`);

    const run = await portrait(['produce', '--raw', '--file', file, '--topic', topic, '--json'], { PORTRAIT_KAFKA_BROKERS: brokers().join(',') });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ mode: 'raw', topic, events: 3, users: 1, nullKeys: 2 });

    const messages = await consumeAll(topic, 3);
    expect(messages.map((m) => [m.key, m.value]).sort()).toEqual(
      [
        ['raw-1', lines[0]],
        [null, lines[1]],
        [null, lines[2]],
      ].sort(),
    );
  });

  it('fails with a usage error naming the file and line of a bad row', async () => {
    const file = tmpFile('bad.jsonl', '{"id":1,"text":"a","label":"x"}\n{oops\n');
    const run = await portrait(['produce', '--file', file], { PORTRAIT_KAFKA_BROKERS: brokers().join(',') });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}:2: not valid JSON`);
    expect(run.stdout).toBe('');
  });
});
