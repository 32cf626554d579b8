/**
 * Redis outage: the processor's Redis (a redis-server of this test, on a free port, AOF on) stops for
 * 10 s in the middle of the stream and comes back. Meanwhile the processor retries the same chunk:
 * it commits nothing, dead-letters nothing valid and stays alive; afterwards it ends exactly like a
 * clean run. Its /readyz (the processor's metrics endpoint) answers 503 naming Redis meanwhile,
 * and 200 again once Redis is back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { readAll } from '../../helpers/kafka.js';
import { cleanRun, committedOffsets, compareRuns, deadLetterSet, freePort, isRunning, ownRedis, runEnv, setupScenario, startRun, stopRun, waitForCommitted } from '../../helpers/faults.js';
import { waitFor } from '../../helpers/wait.js';

const OUTAGE_MS = 10_000;

async function readyz(port: number): Promise<{ status: number; body: { status: string; checks: { name: string; ok: boolean }[] } }> {
  const r = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: r.status, body: (await r.json()) as { status: string; checks: { name: string; ok: boolean }[] } };
}
const redisOk = (b: { checks: { name: string; ok: boolean }[] }) => b.checks.find((c) => c.name === 'redis')?.ok;

describe('Redis outage of 10 s mid-stream', () => {
  it('pauses without committing or dead-lettering, then resumes and ends like a clean run', async () => {
    const redis = ownRedis(await freePort());
    await redis.start();
    const s = await setupScenario({ comments: 2500, users: 100, partitions: 3, seed: 21, redisUrl: redis.url });
    const total = s.data.messages.length;
    await cleanRun(s, { redisUrl: redis.url });
    const dlqBefore = (await readAll(s.kafka, s.admin, s.b.deadLetter)).length;
    expect(dlqBefore).toBe(0);

    const port = await freePort();
    const run = startRun(runEnv(s, s.b, { redisUrl: redis.url, extra: { PORTRAIT_METRICS_PORT: String(port) } }));
    await run.waitForLog(/metrics endpoint listening/);
    await waitForCommitted(s.admin, s.b.groupId, s.comments, Math.floor(total * 0.3), () => isRunning(run));
    expect(await readyz(port)).toMatchObject({ status: 200, body: { status: 'ready' } });
    const down = Date.now();
    await redis.stop();

    // the processor notices and retries the same records, on every partition that still has work
    // (partitions are processed concurrently: a chunk whose Redis writes were done before the stop
    // may still be produced and committed; once every partition is retrying, nothing can be)
    const ends = await s.admin.fetchTopicOffsets(s.comments);
    const atStop = await committedOffsets(s.admin, s.b.groupId, s.comments);
    const busy = ends.filter((e) => (atStop[e.partition] ?? -1) < Number(e.high)).map((e) => e.partition);
    expect(busy.length).toBeGreaterThan(0);
    await run.waitForLog(/batch failed; retrying the same records/);
    const retrying = () => new Set([...run.stderr().matchAll(/"partition":(\d+),"msg":"batch failed; retrying the same records"/g)].map((m) => Number(m[1])));
    await waitFor(`partitions ${busy.join(', ')} all retrying`, () => busy.every((p) => retrying().has(p)), { alive: () => isRunning(run) });
    const frozen = await committedOffsets(s.admin, s.b.groupId, s.comments);
    const frozenAt = Date.now();
    const dlqFrozen = deadLetterSet(await readAll(s.kafka, s.admin, s.b.deadLetter));
    let samples = 0;
    // the outage lasts 10 s, and at least 5 s after every partition is retrying
    while (Date.now() - down < OUTAGE_MS || Date.now() - frozenAt < 5000) {
      expect(await committedOffsets(s.admin, s.b.groupId, s.comments)).toEqual(frozen); // no commit during the outage
      expect(isRunning(run)).toBe(true);
      if (samples === 0) {
        const r = await readyz(port); // not ready, because of Redis
        expect(r.status).toBe(503);
        expect(redisOk(r.body)).toBe(false);
      }
      samples++;
      await sleep(500);
    }
    expect(samples).toBeGreaterThanOrEqual(2);
    const late = await readyz(port); // still not ready at the end of the outage
    expect(late.status).toBe(503);
    expect(redisOk(late.body)).toBe(false);
    // nothing was dead-lettered while Redis was away (only bad records, all before the outage)
    expect(deadLetterSet(await readAll(s.kafka, s.admin, s.b.deadLetter))).toEqual(dlqFrozen);
    const committedAtOutage = Object.values(frozen).reduce((a, b) => a + b, 0);
    expect(committedAtOutage).toBeLessThan(total);

    await redis.start();
    await waitForCommitted(s.admin, s.b.groupId, s.comments, total, () => isRunning(run), 150_000);
    expect(await readyz(port)).toMatchObject({ status: 200, body: { status: 'ready' } });
    await stopRun(run);
    expect(run.stderr()).toMatch(/REDIS_UNAVAILABLE|Redis .* failed|max retries|ECONNREFUSED/);

    await compareRuns(s, { redisUrl: redis.url, versions: 'equal', gapFree: true });
  }, 240_000);
});
