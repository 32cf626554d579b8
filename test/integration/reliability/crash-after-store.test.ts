/**
 * Crash between the Redis apply and the offset commit, before the profile events are produced:
 * test/helpers/fault-run.ts crash-after-store@N makes `portrait run` SIGKILL itself right after the N-th chunk's
 * Redis writes. The restart redelivers the chunk; its events are already applied (the per-user
 * applied offsets), so nothing is counted twice, and the stored profiles, whose events were lost
 * with the crash, are published again with their version.
 */
import { describe, expect, it } from 'vitest';
import { cleanRun, compareRuns, crashAt, crashState, runEnv, runToEnd, setupScenario } from '../../helpers/faults.js';

describe('crash injected after the Redis apply, before produce and commit', () => {
  it('ends with the aggregates and versions of a clean run; the lost profile events are re-sent', async () => {
    const s = await setupScenario({ comments: 2000, users: 80, partitions: 3, seed: 12 });
    await cleanRun(s);

    const env = runEnv(s, s.b);
    const fault = await crashAt(env, 'crash-after-store@12'); // killed itself: nobody else sent a signal
    const at = await crashState(s, fault);
    expect(at.committed).toBeLessThanOrEqual(fault.firstOffset); // the chunk was not committed
    expect(at.applied).toBeGreaterThan(0); // it reached Redis ...
    expect(at.published).toBe(0); // ... and neither the profiles topic nor the commit

    await runToEnd(s, s.b, env); // the restart

    const report = await compareRuns(s, { versions: 'equal', gapFree: true });
    expect(report.users).toBe(80);
  }, 240_000);

  it('also with other batch boundaries after the restart: same aggregates, the final profile published (versions may differ)', async () => {
    const s = await setupScenario({ comments: 1500, users: 60, partitions: 2, seed: 14 });
    await cleanRun(s);

    const env = runEnv(s, s.b);
    expect((await crashState(s, await crashAt(env, 'crash-after-store@9'))).applied).toBeGreaterThan(0);

    // the restart cuts the stream into chunks of 50 instead of 64: the crashed chunk comes back
    // split differently, so some users get the rest of their events folded into one new version
    await runToEnd(s, s.b, { ...env, PORTRAIT_KAFKA_MAX_BATCH_SIZE: '50' });

    const report = await compareRuns(s, { versions: 'any', gapFree: false });
    console.info(`[crash-after-store, other boundaries] ${JSON.stringify(report)}`);
  }, 240_000);
});
