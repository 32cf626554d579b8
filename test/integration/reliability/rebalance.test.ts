/**
 * Rebalance: a second `portrait run` of the same group joins in the middle of the stream, takes
 * over some partitions (while the first may still be finishing a chunk of them), processes a few
 * chunks and leaves (SIGTERM); its partitions move back. Per-user applied offsets and the
 * compare-and-set on the version keep every event counted once: the result equals a clean run's.
 */
import { describe, expect, it } from 'vitest';
import { cleanRun, committedTotal, compareRuns, isRunning, runEnv, setupScenario, startRun, stopRun, waitForCommitted } from '../../helpers/faults.js';
import { waitFor } from '../../helpers/wait.js';

const batchDone = /"msg":"batch done"/g;

describe('rebalance: a second consumer joins mid-stream and later leaves', () => {
  it('ends with the aggregates and versions of a clean run, no event counted twice', async () => {
    const s = await setupScenario({ comments: 4000, users: 120, partitions: 4, seed: 41 });
    const total = s.data.messages.length;
    await cleanRun(s);

    const env = runEnv(s, s.b, { extra: { PORTRAIT_LOG_LEVEL: 'debug' } });
    const first = startRun(env);
    await waitForCommitted(s.admin, s.b.groupId, s.comments, Math.floor(total * 0.1), () => isRunning(first));

    const second = startRun(env);
    // the newcomer got partitions and processed chunks of them
    await second.waitForLog(/"msg":"batch done"/, 150_000);
    await waitFor('3 chunks done by the second processor', () => (second.stderr().match(batchDone) ?? []).length >= 3, { alive: () => isRunning(second) });
    const members = (await s.admin.describeGroups([s.b.groupId])).groups[0]!.members.length;
    expect(members).toBe(2);
    expect(await committedTotal(s.admin, s.b.groupId, s.comments)).toBeLessThan(total); // still mid-stream
    await stopRun(second); // leaves the group: its partitions go back to the first

    await waitForCommitted(s.admin, s.b.groupId, s.comments, total, () => isRunning(first), 150_000);
    await stopRun(first);
    // both did work
    expect((first.stderr().match(batchDone) ?? []).length).toBeGreaterThan(0);

    const report = await compareRuns(s, { versions: 'equal', gapFree: true });
    expect(report.users).toBe(120);
  }, 300_000);
});
