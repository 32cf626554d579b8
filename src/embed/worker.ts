/**
 * Inference worker. onnxruntime-node's run() blocks the thread it runs on, so the model lives in
 * this worker thread and the main thread (Kafka heartbeats, Redis I/O) never waits on it.
 */
import { existsSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { env, pipeline, Tensor, type FeatureExtractionPipeline } from '@huggingface/transformers';
import { planBatches } from './batching.js';
import type { EmbedderOptions, WorkerRequest, WorkerResponse } from './types.js';

if (!parentPort) throw new Error('embed/worker.ts must run in a worker thread');
const port = parentPort;
let extractor: FeatureExtractionPipeline | undefined;
let options: EmbedderOptions | undefined;
/** the model's output dimension, from the probe at start-up */
let dim = 0;

function send(msg: WorkerResponse, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

/**
 * Run inference below the process's other threads. The model saturates the cores it is given; the
 * main thread (Kafka fetches and heartbeats, Redis round trips, the event loop) and, on a small
 * machine, the broker and Redis themselves need a little CPU now and then, and should get it at
 * once rather than after the model's time slice. On Linux the nice value is per thread and threads
 * inherit it when created, so niceness set here, before the session is created, covers this
 * worker and onnxruntime's intra-op pool, and nothing else. Measured on 2 cores (docs/performance.md):
 * drain event-loop delay p99 ~50-75 ms instead of ~90-120 ms, same throughput.
 * Configured as `embedder.nice` (0-19; 0 = off); the environment variable PORTRAIT_EMBED_NICE, when
 * set, wins (for experiments).
 */
const DEFAULT_NICE = 5;

function lowerPriority(configured: number | undefined): void {
  const nice = Number(process.env.PORTRAIT_EMBED_NICE ?? configured ?? DEFAULT_NICE);
  if (!Number.isInteger(nice) || nice <= 0) return;
  try {
    setPriority(0, Math.min(19, nice)); // pid 0 = the calling thread on Linux
  } catch {
    // not permitted or not supported here: run at normal priority
  }
}

async function init(o: EmbedderOptions): Promise<void> {
  options = o;
  lowerPriority(o.nice);
  env.localModelPath = o.modelDir.endsWith('/') ? o.modelDir : `${o.modelDir}/`;
  env.allowLocalModels = true;
  env.allowRemoteModels = o.allowRemote;
  if (!o.allowRemote && !existsSync(join(o.modelDir, o.model, 'config.json'))) {
    send({ type: 'error', id: null, code: 'MODEL_MISSING', message: `model ${o.model} not found under ${o.modelDir} (run: npm run model:fetch)` });
    return;
  }
  extractor = await pipeline('feature-extraction', o.model, {
    dtype: o.dtype as 'q8',
    session_options: {
      intraOpNumThreads: o.threads,
      interOpNumThreads: 1,
      // Spinning threads made two threads slower than one on 2-core machines.
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    },
  });
  const probe = await extractor(['ok'], { pooling: o.pooling, normalize: true });
  dim = probe.dims[1] ?? 0;
  send({ type: 'ready', dim });
}

/** A tokenised text: its ids without padding (truncated to the model's window). */
interface Encoded {
  ids: number[];
  types: number[] | undefined;
}

/** Tokenise once, unpadded: the lengths plan the batches and the ids feed the model directly. */
function tokenize(texts: string[]): Encoded[] {
  const enc = extractor!.tokenizer(texts, { padding: false, truncation: true, return_tensor: false }) as unknown as { input_ids: number[][]; token_type_ids?: number[][] };
  return enc.input_ids.map((ids, i) => ({ ids, types: enc.token_type_ids?.[i] }));
}

/**
 * One model call on texts already tokenised: padded to the longest (right, with the tokenizer's pad
 * id and a zero attention mask, as the tokenizer pads), the model's last hidden state pooled (CLS
 * or masked mean) and L2-normalised into `out` at rows `rows`. This is what the feature-extraction
 * pipeline does, without tokenising a second time and without its generic tensor operations, which
 * cost ~15 % of the worker's time beside the model (docs/performance.md, run F).
 */
async function inferBatch(batch: Encoded[], rows: number[], out: Float32Array): Promise<number> {
  const model = extractor!.model as unknown as { (inputs: Record<string, Tensor>): Promise<Record<string, Tensor>>; sessions: Record<string, { inputNames: string[] }> };
  const b = batch.length;
  const t = Math.max(...batch.map((e) => e.ids.length));
  const pad = BigInt(extractor!.tokenizer.pad_token_id ?? 0);
  const ids = new BigInt64Array(b * t).fill(pad);
  const mask = new BigInt64Array(b * t);
  const types = new BigInt64Array(b * t);
  batch.forEach((e, i) => {
    for (let k = 0; k < e.ids.length; k++) {
      ids[i * t + k] = BigInt(e.ids[k]!);
      mask[i * t + k] = 1n;
      if (e.types) types[i * t + k] = BigInt(e.types[k]!);
    }
  });
  const inputs: Record<string, Tensor> = { input_ids: new Tensor('int64', ids, [b, t]), attention_mask: new Tensor('int64', mask, [b, t]) };
  if (model.sessions.model?.inputNames.includes('token_type_ids')) inputs.token_type_ids = new Tensor('int64', types, [b, t]);
  const result = await model(inputs);
  const hidden = result.last_hidden_state ?? Object.values(result)[0]!;
  const d = hidden.dims[2]!;
  const h = hidden.data as Float32Array;
  for (let i = 0; i < b; i++) {
    const o = out.subarray(rows[i]! * d, (rows[i]! + 1) * d);
    if (options!.pooling === 'cls') o.set(h.subarray(i * t * d, i * t * d + d));
    else {
      const n = batch[i]!.ids.length;
      for (let k = 0; k < n; k++) for (let j = 0; j < d; j++) o[j] = o[j]! + h[(i * t + k) * d + j]!;
      for (let j = 0; j < d; j++) o[j] = o[j]! / n;
    }
    let sq = 0;
    for (let j = 0; j < d; j++) sq += o[j]! * o[j]!;
    const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
    for (let j = 0; j < d; j++) o[j] = o[j]! * inv;
  }
  return d;
}

/**
 * Embed texts: sort by token count, cut into batches of at most `batchSize` where padding plus
 * per-call cost is least (batching.ts), each padded only to its own longest text, and return the
 * vectors in input order, row-major. Sorting by tokens, not characters, matters for mixed-language
 * traffic: a 40-character Chinese comment is ~40 tokens, a 40-character English one ~10.
 */
async function embedAll(texts: string[]): Promise<{ data: Float32Array; dim: number }> {
  if (!extractor || !options) throw new Error('embedder not initialised');
  if (texts.length === 0) return { data: new Float32Array(0), dim: 0 };
  const encoded = tokenize(texts);
  const order = texts.map((_, i) => i).sort((a, b) => encoded[a]!.ids.length - encoded[b]!.ids.length || a - b);
  const data = new Float32Array(texts.length * dim);
  for (const [start, end] of planBatches(
    order.map((i) => encoded[i]!.ids.length),
    options.batchSize,
  )) {
    const idx = order.slice(start, end);
    await inferBatch(
      idx.map((i) => encoded[i]!),
      idx,
      data,
    );
  }
  return { data, dim };
}

/**
 * Requests that arrived while the model was busy are embedded together, in one planned set of
 * batches: with several partitions in flight (the runner processes up to 6 at a time) their chunks would
 * otherwise queue one inference after another, each paying the per-call cost and padding on its
 * own, and a chunk that arrives last would wait for all of them in turn.
 */
async function embedRequests(reqs: Array<{ id: number; texts: string[] }>): Promise<void> {
  const { data, dim } = await embedAll(reqs.flatMap((r) => r.texts));
  let offset = 0;
  for (const r of reqs) {
    const part = reqs.length === 1 ? data : data.slice(offset * dim, (offset + r.texts.length) * dim);
    offset += r.texts.length;
    send({ type: 'result', id: r.id, dim, data: part }, [part.buffer as ArrayBuffer]);
  }
}

// One inference at a time (concurrent runs would oversubscribe the intra-op threads); embed
// requests that queue up meanwhile are taken together.
let queue: Promise<void> = Promise.resolve();
const waiting: Array<{ id: number; texts: string[] }> = [];
let draining = false;

function drain(): void {
  if (draining) return;
  draining = true;
  queue = queue.then(async () => {
    try {
      while (waiting.length > 0) {
        const reqs = waiting.splice(0);
        try {
          await embedRequests(reqs);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          for (const r of reqs) send({ type: 'error', id: r.id, message });
        }
      }
    } finally {
      draining = false;
    }
  });
}

port.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'embed') {
    waiting.push({ id: msg.id, texts: msg.texts });
    drain();
    return;
  }
  queue = queue
    .then(() => init(msg.options))
    .catch((err: unknown) => {
      send({ type: 'error', id: null, message: err instanceof Error ? err.message : String(err) });
    });
});
