/**
 * Bench (a), in its own process: raw onnxruntime-node inference of the pipeline's int8 model file,
 * tokenisation included (the model's own tokenizer via transformers.js), CLS pooling + L2 norm,
 * 2 intra-op threads, spinning off. Sentences/s at each batch size, on the bench texts in three
 * orders, all padded to the longest text of each batch:
 *   stream   — as they arrive;
 *   chars64  — sorted by character length within windows of 64 (one pipeline chunk);
 *   tokens64 — sorted by token count within windows of 64, cut every `batch` texts;
 *   dp64     — sorted by token count within windows of 64, cut where padding + per-call cost is
 *              least (src/embed/batching.ts), at most `batch` texts per call: what the embedder does.
 * The ceiling is the best of these at batch 8, 16 or 32. Batch sizes in infoBatchSizes (e.g. 1)
 * are measured in stream order for information.
 *
 * Input (env BENCH_ARGS, JSON): { n, batchSizes, infoBatchSizes, threads, modelDir, model }.
 * Output: one IPC message { type: 'result', result }.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { planBatches } from '../../src/embed/batching.js';
import { texts } from '../lib/corpus.js';

interface Args {
  n: number;
  batchSizes: number[];
  infoBatchSizes?: number[];
  orders?: Order[];
  /** per-call cost for dp64, padded-token equivalents (default: the embedder's) */
  overhead?: number;
  threads: number;
  modelDir: string;
  model: string;
}

type Order = 'stream' | 'chars64' | 'tokens64' | 'dp64';

export interface CeilingVariant {
  batchSize: number;
  order: Order;
  /** measured for information only (not a candidate for the ceiling) */
  info: boolean;
  texts: number;
  seconds: number;
  sentencesPerSecond: number;
  tokensPerSecond: number;
  /** share of the model's input positions that are padding */
  padShare: number;
  /** CPU time of this process (all threads) per 1000 sentences, ms */
  cpuMsPer1k: number;
}

export interface CeilingResult {
  model: string;
  modelFile: string;
  onnxruntime: string;
  threads: number;
  loadMs: number;
  meanTokens: { zh: number; en: number; all: number };
  variants: CeilingVariant[];
  best: CeilingVariant;
  rssPeakMiB: number;
}

const args = JSON.parse(process.env.BENCH_ARGS ?? '{}') as Args;
const WINDOW = 64;

async function main(): Promise<void> {
  env.localModelPath = args.modelDir.endsWith('/') ? args.modelDir : `${args.modelDir}/`;
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  const modelFile = join(args.modelDir, args.model, 'onnx', 'model_quantized.onnx');
  const t0 = performance.now();
  const tokenizer = await AutoTokenizer.from_pretrained(args.model);
  const session = await ort.InferenceSession.create(modelFile, {
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
  const loadMs = performance.now() - t0;
  const needsTypes = session.inputNames.includes('token_type_ids');

  const tokenize = (batch: string[]): number[][] => (tokenizer(batch, { padding: false, truncation: true, return_tensor: false }) as unknown as { input_ids: number[][] }).input_ids;

  /** Run the model on token ids padded to the longest; CLS pooling + L2 norm. */
  const infer = async (ids: number[][]): Promise<{ tokens: number; padded: number }> => {
    const b = ids.length;
    const t = Math.max(...ids.map((r) => r.length));
    const inputIds = new BigInt64Array(b * t);
    const mask = new BigInt64Array(b * t);
    let real = 0;
    ids.forEach((row, i) => {
      for (let k = 0; k < row.length; k++) {
        inputIds[i * t + k] = BigInt(row[k]!);
        mask[i * t + k] = 1n;
      }
      real += row.length;
    });
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', inputIds, [b, t]),
      attention_mask: new ort.Tensor('int64', mask, [b, t]),
    };
    if (needsTypes) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(b * t), [b, t]);
    const out = await session.run(feeds);
    const h = out[session.outputNames[0]!]!;
    const d = h.dims[2]!;
    const data = h.data as Float32Array;
    for (let i = 0; i < b; i++) {
      const v = data.subarray(i * t * d, i * t * d + d);
      let s = 0;
      for (let k = 0; k < d; k++) s += v[k]! * v[k]!;
      const inv = 1 / Math.sqrt(s || 1);
      const o = new Float32Array(d);
      for (let k = 0; k < d; k++) o[k] = v[k]! * inv;
    }
    return { tokens: real, padded: b * t };
  };

  const bench = texts(args.n);
  const items = bench.map((t) => t.prepared);
  const mean = (xs: string[]) => (xs.length ? Math.round((tokenize(xs).reduce((a, r) => a + r.length, 0) / xs.length) * 10) / 10 : 0);
  const meanTokens = { zh: mean(bench.filter((t) => t.lang === 'zh').map((t) => t.prepared)), en: mean(bench.filter((t) => t.lang === 'en').map((t) => t.prepared)), all: mean(items) };

  /** One pass over the items: tokenisation, ordering within windows, inference — all timed. */
  const pass = async (order: Order, bs: number): Promise<{ seconds: number; tokens: number; padded: number; cpuMs: number }> => {
    let tokens = 0;
    let padded = 0;
    const c0 = process.cpuUsage();
    const s0 = performance.now();
    for (let w = 0; w < items.length; w += WINDOW) {
      const win = items.slice(w, w + WINDOW);
      const winOrder = order === 'chars64' ? [...win].sort((a, b) => a.length - b.length) : win;
      let ids = tokenize(winOrder);
      if (order === 'tokens64' || order === 'dp64') ids = [...ids].sort((a, b) => a.length - b.length);
      const batches: [number, number][] = [];
      if (order === 'dp64')
        batches.push(
          ...planBatches(
            ids.map((r) => r.length),
            bs,
            args.overhead,
          ),
        );
      else for (let s = 0; s < ids.length; s += bs) batches.push([s, Math.min(ids.length, s + bs)]);
      for (const [s, e] of batches) {
        const r = await infer(ids.slice(s, e));
        tokens += r.tokens;
        padded += r.padded;
      }
    }
    const c = process.cpuUsage(c0);
    return { seconds: (performance.now() - s0) / 1000, tokens, padded, cpuMs: (c.user + c.system) / 1000 };
  };

  // warm-up
  for (const bs of [...(args.infoBatchSizes ?? []), ...args.batchSizes]) await infer(tokenize(items.slice(0, bs)));
  await pass('stream', 16);

  const runs: { order: Order; bs: number; info: boolean }[] = [
    ...(args.infoBatchSizes ?? []).map((bs) => ({ order: 'stream' as const, bs, info: true })),
    ...(args.orders ?? (['stream', 'chars64', 'tokens64', 'dp64'] as const)).flatMap((order) => args.batchSizes.map((bs) => ({ order, bs, info: false }))),
  ];
  const variants: CeilingVariant[] = [];
  for (const { order, bs, info } of runs) {
    const r = await pass(order, bs);
    variants.push({
      batchSize: bs,
      order,
      info,
      texts: items.length,
      seconds: Math.round(r.seconds * 1000) / 1000,
      sentencesPerSecond: Math.round(items.length / r.seconds),
      tokensPerSecond: Math.round(r.tokens / r.seconds),
      padShare: Math.round((1 - r.tokens / r.padded) * 1000) / 1000,
      cpuMsPer1k: Math.round((r.cpuMs / items.length) * 1000),
    });
  }
  const best = variants.filter((v) => !v.info).reduce((a, b) => (b.sentencesPerSecond > a.sentencesPerSecond ? b : a));
  const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  const result: CeilingResult = {
    model: args.model,
    modelFile,
    onnxruntime: (ort.env as { versions?: { common?: string } }).versions?.common ?? 'unknown',
    threads: args.threads,
    loadMs: Math.round(loadMs),
    meanTokens,
    variants,
    best,
    rssPeakMiB: hwm ? Math.round(Number(hwm[1]) / 1024) : 0,
  };
  process.send!({ type: 'result', result });
  await session.release();
}

main().catch((err: unknown) => {
  process.send!({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exitCode = 1;
});
