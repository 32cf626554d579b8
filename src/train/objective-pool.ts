/**
 * The linear head's objective on worker threads (src/train/linear-fit.ts, ChunkRunner): the rows
 * of an evaluation are in fixed chunks (CHUNK_ROWS), and the calling thread and the workers take
 * chunks until none is left. Each chunk's terms land in its own slot and the caller sums them in
 * chunk order, so the result is the same with any number of threads, and the same as on one.
 *
 * Evaluations stay synchronous (L-BFGS calls the objective and waits): the caller publishes θ in
 * shared memory, wakes the workers through an Atomics counter and takes chunks itself. Every chunk
 * has a state tagged with the evaluation's generation (free, claimed, publishing, done), changed
 * by compare-and-swap only, so a late worker can never touch the next evaluation. A thread computes
 * a chunk into its own scratch and copies it into the slot only after winning claimed → publishing.
 * When no chunk is free, the caller computes the chunks still claimed by a worker as well, and the
 * first to finish publishes: on a shared machine a descheduled worker does not hold up the
 * evaluation (it costs at most the time on one thread). A problem's rows (already in a
 * SharedArrayBuffer) are sent to the workers once. A worker that throws marks the pool broken: that
 * evaluation and the ones after it run on the calling thread.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { chunkCount, chunkTerms, localRunner, type ChunkRunner, type Problem } from './linear-fit.js';
import { spawnTrainWorker } from './cv-pool.js';

/** Slots of the control array. */
export const GEN = 0;
export const DONE = 1;
export const PROBLEM = 2;
export const CHUNKS = 3;
export const FAILED = 4;
export const EXIT = 5;
const SLOTS = 8;

/** Chunk states, in the low two bits of a chunk's state word (the generation above them). */
export const FREE = 0;
export const CLAIMED = 1;
export const PUBLISHING = 2;
export const DONE_STATE = 3;
export const stateOf = (gen: number, s: number): number => (gen << 2) | s;

/** A problem as the workers receive it: its arrays, the shared θ, chunk states and output of its evaluations. */
export interface SharedProblem {
  id: number;
  X: Float64Array;
  n: number;
  d: number;
  k: number;
  y: Int32Array;
  w: Float64Array;
  total: number;
  theta: Float64Array;
  out: Float64Array;
  states: Int32Array;
}

/** What a worker is sent first: the control array and its message port (problems arrive there). */
export interface PoolInit {
  control: Int32Array;
  port: MessagePort;
}

/** Claim a free chunk of evaluation `gen` (from state `from`: FREE, or CLAIMED to duplicate a claimed one), or -1. */
export function claimChunk(states: Int32Array, gen: number, chunks: number, from: number = FREE): number {
  for (let c = 0; c < chunks; c++) {
    if (Atomics.load(states, c) !== stateOf(gen, from)) continue;
    if (from === CLAIMED) return c; // already claimed: duplicate it, the first to publish wins
    if (Atomics.compareExchange(states, c, stateOf(gen, FREE), stateOf(gen, CLAIMED)) === stateOf(gen, FREE)) return c;
  }
  return -1;
}

/** Compute chunk `c` into `scratch` and publish it unless another thread already did; true when this thread published it. */
export function computeChunk(control: Int32Array, gen: number, p: SharedProblem, c: number, scratch: Float64Array): boolean {
  const size = p.k * p.d + p.k + 1;
  try {
    chunkTerms(p, p.theta, c, scratch);
  } catch (err) {
    Atomics.store(control, FAILED, 1);
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
    throw err;
  }
  if (Atomics.compareExchange(p.states, c, stateOf(gen, CLAIMED), stateOf(gen, PUBLISHING)) !== stateOf(gen, CLAIMED)) return false;
  p.out.set(scratch, c * size);
  Atomics.store(p.states, c, stateOf(gen, DONE_STATE));
  Atomics.add(control, DONE, 1);
  Atomics.notify(control, DONE);
  return true;
}

/** A worker's share of an evaluation: free chunks until none is left. */
export function takeChunks(control: Int32Array, gen: number, p: SharedProblem, scratch: Float64Array): void {
  const chunks = Atomics.load(control, CHUNKS);
  for (let c = claimChunk(p.states, gen, chunks); c >= 0; c = claimChunk(p.states, gen, chunks)) computeChunk(control, gen, p, c, scratch);
}

/**
 * Threads for the linear head's objective: PORTRAIT_TRAIN_THREADS (at most the cores), else 1.
 * One by default: on the 2 shared cores this was measured on (load 6-10 from other work), a second
 * thread won 3 of 9 paired runs of the clinc150 refit (22-53 s against 31-43 s on one thread).
 */
export function objectiveThreads(): number {
  const env = Number(process.env.PORTRAIT_TRAIN_THREADS);
  return Number.isInteger(env) && env >= 1 ? Math.min(env, availableParallelism()) : 1;
}

export class ObjectivePool implements ChunkRunner {
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * SLOTS));
  private readonly shared = new WeakMap<Problem, SharedProblem>();
  private readonly local = localRunner();
  private nextId = 1;
  private broken = false;
  private scratch = new Float64Array(0);
  /** How long this thread took for its last chunk: how long it waits for a worker's before computing it too. */
  private chunkMs = 1;

  private constructor(
    private readonly workers: Worker[],
    private readonly ports: MessagePort[],
  ) {}

  /** Start `threads - 1` workers (the calling thread is the last one); resolves once they are listening. */
  static async open(threads: number): Promise<ObjectivePool> {
    const pool = new ObjectivePool([], []);
    try {
      for (let t = 1; t < threads; t++) {
        const w = spawnTrainWorker('objective-worker');
        w.unref();
        pool.workers.push(w);
        const { port1, port2 } = new MessageChannel();
        pool.ports.push(port1);
        await new Promise<void>((resolve, reject) => {
          w.once('error', reject);
          w.once('message', () => {
            w.off('error', reject);
            resolve();
          });
          w.postMessage({ control: pool.control, port: port2 } satisfies PoolInit, [port2]);
        });
      }
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  run(p: Problem, theta: Float64Array): Float64Array {
    if (this.broken || this.workers.length === 0) return this.local.run(p, theta);
    const sp = this.register(p);
    const c = this.control;
    const chunks = chunkCount(p.n);
    if (this.scratch.length < sp.k * sp.d + sp.k + 1) this.scratch = new Float64Array(sp.k * sp.d + sp.k + 1);
    const scratch = this.scratch.subarray(0, sp.k * sp.d + sp.k + 1);
    sp.theta.set(theta);
    const gen = (Atomics.load(c, GEN) + 1) & 0xfffff || 1;
    for (let i = 0; i < chunks; i++) Atomics.store(sp.states, i, stateOf(gen, FREE));
    Atomics.store(c, DONE, 0);
    Atomics.store(c, PROBLEM, sp.id);
    Atomics.store(c, CHUNKS, chunks);
    Atomics.store(c, GEN, gen);
    Atomics.notify(c, GEN);
    for (let ch = claimChunk(sp.states, gen, chunks); ch >= 0; ch = claimChunk(sp.states, gen, chunks)) {
      const t0 = performance.now();
      computeChunk(c, gen, sp, ch, scratch);
      this.chunkMs = performance.now() - t0;
    }
    // nothing free: give the workers one chunk's time to publish, then compute what they still hold too
    for (let done = Atomics.load(c, DONE); done < chunks && Atomics.load(c, FAILED) === 0; done = Atomics.load(c, DONE)) {
      // spin rather than sleep: on a busy machine a sleeping thread waits for the scheduler to wake it
      const until = performance.now() + Math.max(0.5, this.chunkMs);
      while (Atomics.load(c, DONE) === done && performance.now() < until);
      if (Atomics.load(c, DONE) !== done) continue;
      const held = claimChunk(sp.states, gen, chunks, CLAIMED);
      if (held >= 0) computeChunk(c, gen, sp, held, scratch);
    }
    if (Atomics.load(c, FAILED) !== 0) {
      this.broken = true;
      return this.local.run(p, theta);
    }
    return sp.out;
  }

  private register(p: Problem): SharedProblem {
    let sp = this.shared.get(p);
    if (sp) return sp;
    if (!(p.X.buffer instanceof SharedArrayBuffer)) throw new TypeError('ObjectivePool: the problem rows must be on a SharedArrayBuffer (linear-fit problem())');
    const size = p.k * p.d + p.k + 1;
    sp = {
      id: this.nextId++,
      X: p.X,
      n: p.n,
      d: p.d,
      k: p.k,
      y: p.y,
      w: p.w,
      total: p.total,
      theta: new Float64Array(new SharedArrayBuffer(8 * (size - 1))),
      out: new Float64Array(new SharedArrayBuffer(8 * size * chunkCount(p.n))),
      states: new Int32Array(new SharedArrayBuffer(4 * chunkCount(p.n))),
    };
    // sent before the evaluation that first needs it is announced: a worker reads its port when woken
    for (const port of this.ports) port.postMessage(sp);
    this.shared.set(p, sp);
    return sp;
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    Atomics.store(this.control, EXIT, 1);
    Atomics.add(this.control, GEN, 1);
    Atomics.notify(this.control, GEN);
    for (const port of this.ports) port.close();
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
