/**
 * Broker restart: the processor's Kafka broker (a broker of this test, from the stack's jars, on
 * free ports) is shut down in the middle of the stream and started again with its data.
 * The processor rides it out (retries, reconnects) and ends exactly like a clean run.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { adminOf, cleanRun, committedTotal, freePort, compareRuns, isRunning, ownKafka, runEnv, setupScenario, startRun, stopRun, waitForCommitted } from '../../helpers/faults.js';

describe('Kafka broker restart mid-stream', () => {
  it('rides out the restart and ends with the aggregates and versions of a clean run', async () => {
    const broker = ownKafka({ port: await freePort(), controllerPort: await freePort() });
    await broker.start();
    const kafka = broker.client();
    const admin = await adminOf(kafka);
    const s = await setupScenario({ comments: 2500, users: 100, partitions: 3, seed: 31, kafka, admin });
    const total = s.data.messages.length;
    const env = runEnv(s, s.b, { brokers: [broker.bootstrap] });
    await cleanRun(s, { brokers: [broker.bootstrap] });

    const run = startRun(env);
    await waitForCommitted(admin, s.b.groupId, s.comments, Math.floor(total * 0.3), () => isRunning(run));
    await broker.stop();
    // while the broker is away the processor keeps running (and cannot commit anything)
    await sleep(5_000);
    expect(isRunning(run)).toBe(true);
    await broker.start(true);

    await waitForCommitted(admin, s.b.groupId, s.comments, total, () => isRunning(run), 170_000).catch((err: unknown) => {
      // what the processor said: kept in the OS temp dir, the last lines printed
      const file = join(tmpdir(), `portrait-broker-restart-${Date.now()}.log`);
      writeFileSync(file, run.stderr());
      console.error(
        `[broker-restart] the processor's log is in ${file}; last lines:\n${run
          .stderr()
          .split('\n')
          .filter((l) => !l.includes('ECONNREFUSED'))
          .slice(-40)
          .join('\n')}`,
      );
      throw err;
    });
    expect(await committedTotal(admin, s.b.groupId, s.comments)).toBe(total);
    // one processor, one member: a restart after a crash never runs beside another (docs/reliability.md F7)
    expect((await admin.describeGroups([s.b.groupId])).groups[0]!.members.length).toBe(1);
    await stopRun(run);
    // it did notice: the broker refused connections while it was away
    expect(run.stderr()).toContain(`ECONNREFUSED ${broker.bootstrap}`);
    const said = (msg: string): number => run.stderr().split(msg).length - 1;
    console.info(`[broker-restart] ${JSON.stringify({ crashRestarts: said('consumer crashed on a retriable error'), rejoins: said('joining the group again, which finds the coordinator') })}`);

    await compareRuns(s, { versions: 'equal', gapFree: true });
  }, 300_000);
});
