/**
 * Crash: `kill -9` of `portrait run` in the middle of 5,000 comments, then a restart. The restarted
 * processor redoes what was not committed; the result equals a clean run's, user by user, and a
 * consumer of the profiles topic sees every version once (repeats are identical), in order.
 */
import { describe, expect, it } from 'vitest';
import { cleanRun, compareRuns, committedTotal, isRunning, runEnv, runToEnd, setupScenario, startRun, waitForCommitted } from '../../helpers/faults.js';

describe('crash: kill -9 mid-stream and restart', () => {
  it('ends with the aggregates and versions of a clean run, nothing lost or counted twice', async () => {
    const s = await setupScenario({ comments: 5000, users: 150, partitions: 3, seed: 11 });
    const total = s.data.messages.length;
    await cleanRun(s);

    const env = runEnv(s, s.b);
    const first = startRun(env);
    await waitForCommitted(s.admin, s.b.groupId, s.comments, Math.floor(total * 0.4), () => isRunning(first));
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const atKill = await committedTotal(s.admin, s.b.groupId, s.comments);
    expect(atKill).toBeLessThan(total); // really mid-stream

    await runToEnd(s, s.b, env); // the restart

    const report = await compareRuns(s, { versions: 'equal', gapFree: true });
    expect(report.users).toBe(150);
  }, 300_000);
});
