/**
 * No raw text persisted anywhere: after `portrait run` (debug logging, metrics endpoint on) has
 * processed Chinese and English comments, some carrying PII, no comment text (no window of 33
 * characters: longer than any stored term) and no PII appears in any key under the processor's
 * prefix (profiles, history lists, embedding cache, live stats, whatever their type), in the
 * profiles topic, in the processor's logs or in its /metrics. The dead-letter topic is the one
 * place that keeps original records, by design: a rejected comment's PII is there (docs/security.md).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { projectPath } from '../../../src/config/index.js';
import { readLabelledRows } from '../../../src/sim/jsonl.js';
import { simulateUsers } from '../../../src/sim/users.js';
import { readAll } from '../../helpers/kafka.js';
import { freePort, isRunning, ownPipeline, pipelineEnv, spawnPortrait, stopRun, waitForCommitted } from '../../helpers/faults.js';

const PII = ['zhang.wei.1987@example.com', '13800138000', '11010519491231002X', '4111 1111 1111 1111', 'jane.doe@example.org', '+1 (415) 555-0100'];
const WINDOW = 33;

/** Every value of every key under a prefix, as text (hash fields, list items, set members, strings). */
async function dumpPrefix(redis: Redis, prefix: string): Promise<{ keys: string[]; text: string }> {
  const keys: string[] = [];
  const parts: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const k of found) {
      keys.push(k);
      parts.push(k);
      const type = await redis.type(k);
      if (type === 'hash') parts.push(...Object.entries(await redis.hgetallBuffer(k)).map(([f, v]) => `${f}=${v.toString('utf8')}`));
      else if (type === 'list') parts.push(...(await redis.lrangeBuffer(k, 0, -1)).map((v) => v.toString('utf8')));
      else if (type === 'set') parts.push(...(await redis.smembers(k)));
      else if (type === 'zset') parts.push(...(await redis.zrange(k, '0', '-1')));
      else if (type === 'string') parts.push((await redis.getBuffer(k))?.toString('utf8') ?? '');
      else parts.push(`(${type})`);
    }
  } while (cursor !== '0');
  return { keys, text: parts.join('\n') };
}

function leaks(haystack: string, texts: readonly string[]): string[] {
  const h = haystack.toLowerCase();
  const found: string[] = [];
  for (const t of texts) {
    const n = t.normalize('NFKC').toLowerCase();
    for (let i = 0; i + WINDOW <= n.length; i += 7) {
      if (h.includes(n.slice(i, i + WINDOW))) {
        found.push(n.slice(i, i + WINDOW));
        break;
      }
    }
  }
  for (const p of PII) if (h.includes(p.toLowerCase()) || (h.includes(p.replace(/\D/g, '')) && /\d{8}/.test(p.replace(/\D/g, '')))) found.push(p);
  return found;
}

describe('no raw text persisted', () => {
  it('nothing of a comment in Redis, the profiles topic, the logs or /metrics; the DLQ keeps originals by design', async () => {
    const { admin, kafka, comments, profiles, deadLetter: dlq, keyPrefix: prefix, groupId, redis } = await ownPipeline('noraw', 2);

    const rows = [...readLabelledRows(projectPath('data/sib200_zh.jsonl')), ...readLabelledRows(projectPath('data/sib200_en.jsonl'))];
    const { events } = simulateUsers(rows, { users: 30, limit: 400, seed: 5, startTs: Date.parse('2026-07-01T00:00:00Z'), spanMs: 60 * 86_400_000 });
    events[3] = { ...events[3]!, text: `联系我 ${PII[0]} 或者打 ${PII[1]}，身份证 ${PII[2]}，${events[3]!.text}` };
    events[7] = { ...events[7]!, text: `My card ${PII[3]} was charged; mail ${PII[4]} or call ${PII[5]}. ${events[7]!.text}` };
    // a comment that is nothing but PII: rejected (no letters left) and dead-lettered as it came
    const onlyPii = { ...events[11]!, eventId: 'only-pii', text: `${PII[1]} ${PII[0]}` };
    const messages = [...events, onlyPii].map((e) => ({ key: e.userId, value: JSON.stringify(e) }));
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: comments!, messages });
    await producer.disconnect();

    const port = await freePort();
    const run = spawnPortrait(['run'], {
      ...pipelineEnv({ comments, profiles, deadLetter: dlq, groupId, keyPrefix: prefix }),
      PORTRAIT_METRICS_PORT: String(port),
      PORTRAIT_METRICS_PUBLISH_INTERVAL_MS: '500',
      PORTRAIT_LOG_LEVEL: 'debug',
    });
    await waitForCommitted(admin, groupId, comments!, messages.length, () => isRunning(run), 150_000);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    // the live stats are published while the processor runs: dump Redis before stopping it
    await sleep(1500);
    const stored = await dumpPrefix(redis, prefix);
    await stopRun(run);

    const texts = events.map((e) => e.text);
    expect(texts.filter((t) => t.length >= WINDOW).length).toBeGreaterThan(300);
    // the detector detects: comment texts and PII planted in a dump are found
    expect(leaks(`x ${texts[0]} y ${texts[3]} ${PII[1]}`, texts).length).toBeGreaterThanOrEqual(3);
    // what is there: profiles, history lists, the embedding cache, the live stats
    expect(stored.keys.some((k) => k.endsWith(':p'))).toBe(true);
    expect(stored.keys.some((k) => k.endsWith(':h'))).toBe(true);
    expect(stored.keys.some((k) => k.includes(':emb:'))).toBe(true);
    expect(stored.keys.some((k) => k.includes(':proc:'))).toBe(true);
    expect(stored.text.length).toBeGreaterThan(50_000);
    expect(leaks(stored.text, texts), 'Redis').toEqual([]);

    const published = (await readAll(kafka, admin, profiles!)).map((m) => m.value!.toString('utf8')).join('\n');
    expect(published.length).toBeGreaterThan(10_000);
    expect(leaks(published, texts), 'profiles topic').toEqual([]);

    expect(run.stderr()).toContain('"msg":"batch done"'); // debug logging was on
    expect(leaks(run.stderr(), texts), 'logs').toEqual([]);

    expect(metrics).toContain('portrait_');
    expect(leaks(metrics, texts), '/metrics').toEqual([]);
    for (const u of new Set(events.map((e) => e.userId))) expect(metrics).not.toContain(`"${u}"`); // no per-user series

    // the dead-letter topic: the rejected record as it came, PII included (protect it like the comments topic)
    const letters = await readAll(kafka, admin, dlq!);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.headers!['portrait-dlq-reason']!.toString()).toBe('REJECT_EMPTY_TEXT');
    expect(letters[0]!.value!.toString('utf8')).toContain(PII[1]);
  }, 240_000);
});
