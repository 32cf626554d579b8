/**
 * Issue #22: a slow Redis. The processor reaches the suite's Redis through a TCP proxy that, for
 * 12 s in the middle of the stream, holds every packet 700 ms each way: a round trip takes 1.4 s,
 * over the run's redis.commandTimeoutMs of 1 s. Commands time out (REDIS_UNAVAILABLE, retriable),
 * chunks are retried; a write that landed after its command timed out is recognised on the retry
 * by its applied offsets. Once the latency is gone the run ends exactly like a clean run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { committedTotal, compareRuns, freePort, isRunning, runCounts, runEnv, scenarioBehindRedisProxy, startRun, stopRun, waitForCommitted } from '../../helpers/faults.js';

const LATENCY_MS = 700;
const SLOW_FOR_MS = 12_000;

describe('a slow Redis (700 ms each way, for 12 s) under a 1 s command timeout', () => {
  it('times commands out and retries the chunks, never commits what Redis did not confirm, and ends like a clean run', async () => {
    const { s, total, proxy, proxiedUrl } = await scenarioBehindRedisProxy({ comments: 2500, users: 100, partitions: 3, seed: 71 });
    const metricsPort = await freePort();
    const run = startRun(
      runEnv(s, s.b, {
        redisUrl: proxiedUrl,
        extra: { PORTRAIT_METRICS_PORT: String(metricsPort), PORTRAIT_REDIS_COMMAND_TIMEOUT_MS: '1000' },
      }),
    );
    await waitForCommitted(s.admin, s.b.groupId, s.comments, Math.floor(total * 0.3), () => isRunning(run));

    const atSlow = await committedTotal(s.admin, s.b.groupId, s.comments);
    const slowAt = Date.now();
    proxy.setLatency(LATENCY_MS);
    await run.waitForLog(/"err":"[^"]*timed out[^"]*"[^\n]*batch failed; retrying the same records/, SLOW_FOR_MS + 10_000);
    const firstTimeoutMs = Date.now() - slowAt;
    const rest = SLOW_FOR_MS - (Date.now() - slowAt);
    if (rest > 0) await sleep(rest);
    const committedWhileSlow = (await committedTotal(s.admin, s.b.groupId, s.comments)) - atSlow;
    expect(isRunning(run)).toBe(true);

    proxy.setLatency(0);
    const fastAt = Date.now();
    await waitForCommitted(s.admin, s.b.groupId, s.comments, total, () => isRunning(run), 170_000);
    const drainMs = Date.now() - fastAt;
    const counts = await runCounts(metricsPort, total);
    await stopRun(run);
    expect(counts.retries).toBeGreaterThan(0);

    const report = await compareRuns(s, { versions: 'equal', gapFree: true });
    console.info(`[redis-slow] ${JSON.stringify({ committedAtSlow: atSlow, firstTimeoutMs, committedWhileSlow, drainAfterMs: drainMs, ...counts, ...report })}`);
  }, 300_000);
});
