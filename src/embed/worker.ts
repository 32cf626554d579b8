/**
 * Inference worker. onnxruntime-node's run() blocks the thread it runs on, so the model lives in
 * this worker thread and the main thread (Kafka heartbeats, Redis I/O) never waits on it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { env, pipeline, type FeatureExtractionPipeline } from '@huggingface/transformers';
import type { EmbedderOptions, WorkerRequest, WorkerResponse } from './types.js';

if (!parentPort) throw new Error('embed/worker.ts must run in a worker thread');
const port = parentPort;
let extractor: FeatureExtractionPipeline | undefined;
let options: EmbedderOptions | undefined;

function send(msg: WorkerResponse, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

async function init(o: EmbedderOptions): Promise<void> {
  options = o;
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
  send({ type: 'ready', dim: probe.dims[1] ?? 0 });
}

async function embed(id: number, texts: string[]): Promise<void> {
  if (!extractor || !options) throw new Error('embedder not initialised');
  const out = await extractor(texts, { pooling: options.pooling, normalize: true });
  const data = out.data as Float32Array;
  // Copy into a fresh buffer we can transfer without copying again.
  const copy = new Float32Array(data);
  send({ type: 'result', id, dim: out.dims[1] ?? 0, data: copy }, [copy.buffer as ArrayBuffer]);
}

// One inference at a time: concurrent runs would oversubscribe the intra-op threads.
let queue: Promise<void> = Promise.resolve();
port.on('message', (msg: WorkerRequest) => {
  queue = queue
    .then(() => (msg.type === 'init' ? init(msg.options) : embed(msg.id, msg.texts)))
    .catch((err: unknown) => {
      send({ type: 'error', id: msg.type === 'embed' ? msg.id : null, message: err instanceof Error ? err.message : String(err) });
    });
});
