/**
 * `portrait run` with a crash injected: the test-only entry the crash tests spawn
 * (`node --import tsx test/helpers/fault-run.ts <point>@<chunk>`, docs/reliability.md). It runs
 * exactly what `portrait run` runs (runProcessor), with a fault hook that SIGKILLs the process right
 * after the given chunk's Redis writes (`crash-after-store`) or right after its profile events are
 * acknowledged (`crash-after-produce`), before the offset commit; or, with `delay-after-store:MS`,
 * that stalls the whole process for MS after every chunk's Redis writes, before its publish (a slow
 * instance whose produce requests arrive late). Production code reads no fault
 * setting anywhere: the hook exists only when this file passes one.
 */
import { loadConfig } from '../../src/config/index.js';
import { runProcessor } from '../../src/cli/commands/run.js';

const delay = /^delay-after-store:(\d+)$/.exec(process.argv[2] ?? '');
const spec = /^crash-(after-store|after-produce)(?:@(\d+))?$/.exec(process.argv[2] ?? '');
if (!spec && !delay) {
  process.stderr.write(`usage: fault-run.ts crash-after-store@N | crash-after-produce@N | delay-after-store:MS (got ${JSON.stringify(process.argv[2])})\n`);
  process.exit(2);
}
const point = spec?.[1];
const chunk = Number(spec?.[2] ?? 1);
const stall = new Int32Array(new SharedArrayBuffer(4));

await runProcessor(loadConfig(), {
  fault: (at, info) => {
    if (delay) {
      // a slow instance: every chunk stalls (the whole process) between its Redis writes and its publish
      if (at !== 'after-store') return;
      process.stderr.write(`${JSON.stringify({ level: 30, time: Date.now(), fault: 'delay-after-store', ...info, msg: 'injected fault: stalling before the publish' })}\n`);
      Atomics.wait(stall, 0, 0, Number(delay[1]));
      return;
    }
    if (at !== point || info.chunk !== chunk) return;
    // written synchronously (pino's destination is asynchronous): the line is out before the kill
    process.stderr.write(`${JSON.stringify({ level: 60, time: Date.now(), fault: `crash-${at}`, ...info, msg: 'injected fault: killing this process' })}\n`);
    process.kill(process.pid, 'SIGKILL');
  },
});
