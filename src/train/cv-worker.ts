/**
 * Worker thread for cross-validation folds (src/train/cv-pool.ts): trains one fold's model and
 * predicts its held-out rows. Pure computation; the main thread stays free.
 */
import { parentPort } from 'node:worker_threads';
import type { FoldJob, FoldResult } from './cv-pool.js';
import { runFold } from './train.js';

if (!parentPort) throw new Error('train/cv-worker.ts must run in a worker thread');
const port = parentPort;

port.on('message', (job: FoldJob) => {
  let msg: FoldResult;
  try {
    const X: Float32Array[] = [];
    for (let i = 0; i < job.y.length; i++) X.push(job.X.subarray(i * job.dim, (i + 1) * job.dim));
    msg = { id: job.id, ok: true, ...runFold(job.kind, X, job.y, job.test, job.options) };
  } catch (err) {
    msg = { id: job.id, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(msg);
});
