/**
 * Bench (h), in its own process: what a long comment costs. The pipeline's text stage and embed
 * stage (preprocess with text.* of the config, every chunk of a batch in one call to the embedder in
 * its worker thread, pooled: src/embed/pool.ts) on
 *   short     — bench texts as they come (1 Chinese for 3 English, tens of characters);
 *   long zh / long en — about `longChars` characters each, bench texts of one language joined
 *               (sentences end with their own punctuation): with text.maxChunks (chunked), and
 *               with maxChunks 1 (cut at text.maxChars, as before chunking);
 * each in calls of `batch` events, with no cache (every text is new). Per event: wall time of the
 * embed calls (the model), CPU time of the process (all threads: the model's pool included), the
 * text stage's time, chunks and characters embedded.
 *
 * Input (env BENCH_ARGS, JSON): { short, long, longChars, batch, threads, batchSize, modelDir, model, maxChars, maxChunks }.
 * Output: one IPC message { type: 'result', result }.
 */
import { embedChunked } from '../../src/embed/pool.js';
import { TransformersEmbedder } from '../../src/embed/transformers-embedder.js';
import { isRejection, preprocess } from '../../src/text/index.js';
import { corpus, texts } from '../lib/corpus.js';

interface Args {
  short: number;
  long: number;
  longChars: number;
  batch: number;
  threads: number;
  batchSize: number;
  modelDir: string;
  model: string;
  maxChars: number;
  maxChunks: number;
}

export interface LongCostRow {
  name: string;
  events: number;
  /** mean characters of the raw comment */
  chars: number;
  /** mean chunks embedded per event */
  chunks: number;
  /** wall time of the embed calls (the model) per event, ms */
  modelMs: number;
  /** CPU time of the process (all threads) per event, ms */
  cpuMs: number;
  /** the text stage (preprocess, chunking included) per event, ms */
  preprocessMs: number;
}

export interface LongCostResult {
  threads: number;
  batch: number;
  maxChars: number;
  maxChunks: number;
  rows: LongCostRow[];
}

const args = JSON.parse(process.env.BENCH_ARGS ?? '{}') as Args;
const r2 = (x: number) => Math.round(x * 100) / 100;

/** Bench texts of one language joined into comments of at least `chars` characters, none reused. */
function longTexts(lang: 'zh' | 'en', n: number, chars: number, skip: number): string[] {
  const pool = corpus()
    .slice(skip)
    .filter((t) => t.lang === lang);
  const out: string[] = [];
  let i = 0;
  while (out.length < n) {
    const parts: string[] = [];
    let len = 0;
    while (len < chars) {
      const t = pool[i++];
      if (!t) throw new Error(`not enough ${lang} bench texts for ${n} comments of ${chars} characters`);
      // a query without a final mark gets one, as a sentence in a written comment would
      const s = /[.!?。！？]$/.test(t.text) ? t.text : `${t.text}${lang === 'zh' ? '。' : '.'}`;
      parts.push(s);
      len += s.length + (lang === 'zh' ? 0 : 1);
    }
    out.push(parts.join(lang === 'zh' ? '' : ' '));
  }
  return out;
}

async function main(): Promise<void> {
  const embedder = new TransformersEmbedder({ model: args.model, modelDir: args.modelDir, dtype: 'q8', pooling: 'cls', allowRemote: false, threads: args.threads, batchSize: args.batchSize });
  await embedder.ready();
  const measure = async (name: string, raws: string[], maxChunks: number): Promise<LongCostRow> => {
    const t0 = performance.now();
    const prepared = raws.flatMap((r) => {
      const p = preprocess(r, { maxChars: args.maxChars, maxChunks });
      return isRejection(p) ? [] : [p];
    });
    const preMs = performance.now() - t0;
    let modelMs = 0;
    const c0 = process.cpuUsage();
    for (let s = 0; s < prepared.length; s += args.batch) {
      const t = performance.now();
      await embedChunked(
        embedder,
        prepared.slice(s, s + args.batch).map((p) => p.chunks),
      );
      modelMs += performance.now() - t;
    }
    const c = process.cpuUsage(c0);
    const n = prepared.length;
    return {
      name,
      events: n,
      chars: Math.round(raws.reduce((a, r) => a + r.length, 0) / raws.length),
      chunks: r2(prepared.reduce((a, p) => a + p.chunks.length, 0) / n),
      modelMs: r2(modelMs / n),
      cpuMs: r2((c.user + c.system) / 1000 / n),
      preprocessMs: r2(preMs / n),
    };
  };
  // texts after the first 2,000 of the stream, so the warm-up and the short texts share none
  const short = texts(args.short, 1000).map((t) => t.text);
  const zh = longTexts('zh', args.long, args.longChars, 2000);
  const en = longTexts('en', args.long, args.longChars, 2000);
  // warm-up: the first calls of a session are slower
  await measure('warm-up', [...texts(64).map((t) => t.text), ...longTexts('zh', 4, args.longChars, 0), ...longTexts('en', 4, args.longChars, 0)], args.maxChunks);
  const rows = [await measure('short', short, args.maxChunks), await measure('long zh', zh, args.maxChunks), await measure('long zh, cut', zh, 1), await measure('long en', en, args.maxChunks), await measure('long en, cut', en, 1)];
  const result: LongCostResult = { threads: args.threads, batch: args.batch, maxChars: args.maxChars, maxChunks: args.maxChunks, rows };
  process.send!({ type: 'result', result });
  await embedder.close();
}

main().catch((err: unknown) => {
  process.send!({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exitCode = 1;
});
