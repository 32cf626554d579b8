/**
 * Cross-validation folds on worker threads: each fold (of each candidate, for 'auto') is an
 * independent training job, so on N cores N folds train at once. Results are identical to the
 * serial path (same code, same seeds); when workers cannot start, the folds run serially.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ModelKind, TrainOptions } from './train-options.js';

/** Options a fold needs (no callbacks: they cannot cross threads). */
export type FoldOptions = Omit<TrainOptions, 'onProgress' | 'kind'>;

export interface FoldJob {
  id: number;
  kind: ModelKind;
  /** Rows × dim, flat. */
  X: Float32Array;
  dim: number;
  y: string[];
  test: number[];
  options: FoldOptions;
}

export type FoldResult = { id: number; ok: true; predictions: string[]; seconds: number } | { id: number; ok: false; error: string };

/** A worker thread running src/train/<name>.ts (through tsx in a source checkout) or the compiled .js. */
export function spawnTrainWorker(name: 'cv-worker' | 'objective-worker'): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, import.meta.url));
  const tsxCjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const tsxApi = pathToFileURL(tsxCjs.replace(/index\.cjs$/, 'index.mjs')).href;
  const entry = new URL(`./${name}.ts`, import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); })`, { eval: true });
}

/** Threads for fold jobs: the cores, at most the number of jobs; PORTRAIT_CV_THREADS overrides (1 = serial). */
export function foldThreads(jobs: number): number {
  const env = Number(process.env.PORTRAIT_CV_THREADS);
  const n = Number.isInteger(env) && env >= 1 ? env : availableParallelism();
  return Math.max(1, Math.min(n, jobs));
}

/** Run fold jobs on `threads` workers, results in job order. Rejects on the first failed job. */
export async function runFoldJobs(jobs: readonly FoldJob[], threads: number, onDone?: (job: FoldJob) => void): Promise<Array<{ predictions: string[]; seconds: number }>> {
  const results = new Array<{ predictions: string[]; seconds: number }>(jobs.length);
  const queue = [...jobs];
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: Math.min(threads, jobs.length) }, async () => {
        const w = spawnTrainWorker('cv-worker');
        workers.push(w);
        for (let job = queue.shift(); job; job = queue.shift()) {
          const current = job;
          const r = await new Promise<FoldResult>((resolve, reject) => {
            const onError = (err: Error) => reject(err);
            w.once('error', onError);
            w.once('message', (m: FoldResult) => {
              w.off('error', onError);
              resolve(m);
            });
            w.postMessage(current);
          });
          if (!r.ok) throw new Error(`cross-validation fold ${current.id} failed: ${r.error}`);
          results[jobs.indexOf(current)] = { predictions: r.predictions, seconds: r.seconds };
          onDone?.(current);
        }
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
