import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PortraitError, type ErrorCode } from '../util/errors.js';
import type { Embedder, EmbedderOptions, WorkerRequest, WorkerResponse } from './types.js';

interface Pending {
  resolve: (v: Float32Array[]) => void;
  reject: (e: Error) => void;
  count: number;
}

/** Start the worker from compiled JS, or from TypeScript source through tsx (dev, tests). */
function spawnWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url));
  // Running from source: register tsx's loader inside the worker, then load the TS entry.
  const tsxCjs = createRequire(import.meta.url).resolve('tsx/esm/api'); // .../dist/esm/api/index.cjs
  const tsxApi = pathToFileURL(tsxCjs.replace(/index\.cjs$/, 'index.mjs')).href;
  const entry = new URL('./worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true });
}

/**
 * Sentence embeddings with transformers.js on onnxruntime-node, in a worker thread.
 * Each call goes to the worker whole; the worker sorts its texts by token count and runs batches
 * of `batchSize`, each padded to its own longest text (never to the model's maximum).
 */
export class TransformersEmbedder implements Embedder {
  readonly id: string;
  private _dim = 0;
  private worker: Worker | undefined;
  private readyPromise: Promise<void> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  /**
   * requests and texts sent; busyMs: time with at least one request outstanding, i.e. the worker
   * had work (its idle time is the rest: a pipeline that leaves the model waiting shows here)
   */
  readonly stats = { requests: 0, texts: 0, busyMs: 0 };
  private busySince = 0;

  constructor(private readonly opts: EmbedderOptions) {
    this.id = `${opts.model}@${opts.dtype}/${opts.pooling}`;
  }

  get dim(): number {
    return this._dim;
  }

  ready(): Promise<void> {
    this.readyPromise ??= this.start();
    return this.readyPromise;
  }

  private start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const w = spawnWorker();
      this.worker = w;
      let started = false;
      w.on('message', (msg: WorkerResponse) => {
        if (msg.type === 'ready') {
          this._dim = msg.dim;
          started = true;
          resolve();
        } else if (msg.type === 'result') {
          const p = this.pending.get(msg.id);
          if (!p) return;
          this.pending.delete(msg.id);
          this.settled();
          const vecs: Float32Array[] = [];
          for (let i = 0; i < p.count; i++) vecs.push(msg.data.subarray(i * msg.dim, (i + 1) * msg.dim));
          p.resolve(vecs);
        } else if (msg.id === null) {
          const code: ErrorCode = msg.code === 'MODEL_MISSING' ? 'MODEL_MISSING' : 'EMBED_FAILED';
          const err = new PortraitError(code, `embedder failed to start: ${msg.message}`, { retriable: false });
          if (!started) reject(err);
        } else {
          const p = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          this.settled();
          p?.reject(new PortraitError('EMBED_FAILED', `embedding failed: ${msg.message}`));
        }
      });
      w.on('error', (err) => {
        const e = new PortraitError('EMBED_FAILED', `embedding worker crashed: ${err.message}`, { cause: err });
        if (!started) reject(e);
        this.failAll(e);
      });
      w.on('exit', (code) => {
        if (this.closed) return;
        const e = new PortraitError('EMBED_FAILED', `embedding worker exited with code ${code}`);
        if (!started) reject(e);
        this.failAll(e);
        // Restart lazily on the next call.
        this.readyPromise = undefined;
        this.worker = undefined;
      });
      const init: WorkerRequest = { type: 'init', options: this.opts };
      w.postMessage(init);
    });
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.settled();
  }

  /** After a request left `pending`: the end of a busy stretch when none is left. */
  private settled(): void {
    if (this.pending.size === 0 && this.busySince > 0) {
      this.stats.busyMs += performance.now() - this.busySince;
      this.busySince = 0;
    }
  }

  private request(texts: string[]): Promise<Float32Array[]> {
    const w = this.worker;
    if (!w) return Promise.reject(new PortraitError('EMBED_FAILED', 'embedding worker is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.busySince = performance.now();
      this.stats.requests++;
      this.stats.texts += texts.length;
      this.pending.set(id, { resolve, reject, count: texts.length });
      const msg: WorkerRequest = { type: 'embed', id, texts };
      w.postMessage(msg);
    });
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (this.closed) throw new PortraitError('EMBED_FAILED', 'embedder is closed', { retriable: false });
    if (texts.length === 0) return [];
    await this.ready();
    return this.request([...texts]);
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    this.failAll(new PortraitError('EMBED_FAILED', 'embedder closed', { retriable: false }));
    if (w) await w.terminate();
  }
}
