/**
 * Crash between the produce and the offset commit: the chunk is in Redis and its profile events are
 * acknowledged by the broker. test/helpers/fault-run.ts crash-after-produce@N makes `portrait run` SIGKILL itself
 * right after the N-th chunk's produce. The restart redelivers the chunk; its events are already
 * applied, so nothing is counted twice; the profiles are re-sent with the same version and content,
 * which a consumer deduplicating by version drops.
 */
import { describe, expect, it } from 'vitest';
import { cleanRun, compareRuns, crashAt, crashState, runEnv, runToEnd, setupScenario } from '../../helpers/faults.js';

describe('crash injected after the produce, before the commit', () => {
  it('ends with the aggregates and versions of a clean run; re-sent profile events repeat identical versions', async () => {
    const s = await setupScenario({ comments: 2000, users: 80, partitions: 3, seed: 13 });
    await cleanRun(s);

    const env = runEnv(s, s.b);
    const fault = await crashAt(env, 'crash-after-produce@12'); // killed itself: nobody else sent a signal
    const at = await crashState(s, fault);
    expect(at.committed).toBeLessThanOrEqual(fault.firstOffset); // the chunk was not committed
    expect(at.applied).toBeGreaterThan(0); // it reached Redis ...
    expect(at.published).toBeGreaterThan(0); // ... and the profiles topic, but not the commit

    await runToEnd(s, s.b, env); // the restart

    const report = await compareRuns(s, { versions: 'equal', gapFree: true });
    expect(report.users).toBe(80);
    expect(report.duplicates).toBeGreaterThan(0); // the redelivered chunk re-sent its profiles
  }, 240_000);
});
