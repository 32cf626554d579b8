/**
 * Worker thread of the linear head's objective (src/train/objective-pool.ts): woken through the
 * pool's control array, it reads any new problem from its port and takes chunks of the current
 * evaluation until none is left. Pure computation on shared memory.
 */
import { parentPort, receiveMessageOnPort } from 'node:worker_threads';
import { EXIT, GEN, PROBLEM, takeChunks, type PoolInit, type SharedProblem } from './objective-pool.js';

if (!parentPort) throw new Error('train/objective-worker.ts must run in a worker thread');
const parent = parentPort;

parent.once('message', ({ control, port }: PoolInit) => {
  parent.postMessage('ready');
  const problems = new Map<number, SharedProblem>();
  let scratch = new Float64Array(0);
  let seen = Atomics.load(control, GEN);
  for (;;) {
    Atomics.wait(control, GEN, seen);
    seen = Atomics.load(control, GEN);
    if (Atomics.load(control, EXIT) !== 0) break;
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
      const p = m.message as SharedProblem;
      problems.set(p.id, p);
    }
    const p = problems.get(Atomics.load(control, PROBLEM));
    if (!p) continue; // not received yet: the other threads take its chunks
    const size = p.k * p.d + p.k + 1;
    if (scratch.length !== size) scratch = new Float64Array(size);
    try {
      takeChunks(control, seen, p, scratch);
    } catch {
      // takeChunks marked the pool failed: the calling thread recomputes the evaluation
    }
  }
  port.close();
});
