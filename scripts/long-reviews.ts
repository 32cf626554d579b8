/**
 * Long reviews: what embedding a long comment whole (chunks, pooled) gains over cutting it at
 * text.maxChars (docs/text.md, "Long comments").
 *
 *   npx tsx scripts/long-reviews.ts              build the data: artifacts/long-reviews/long_reviews_{en,zh}.jsonl
 *   npx tsx scripts/long-reviews.ts --evaluate   build it, then score it (results.json and a table on stdout)
 *
 * The data is built from the committed SIB-200 files (src/eval/long-reviews.ts: dev and test
 * sentences of one label, after a generic opening, an opening of other labels' sentences, or
 * none), with a fixed seed, so it is not committed: the same command gives the same bytes (their
 * SHA-256 is printed, and recorded in docs/text.md).
 *
 * --evaluate scores, per language and opening kind, the zero-shot taxonomy
 * (config/taxonomies/sib200.yaml) and a linear head trained on the SIB-200 train split only (so
 * none of its training sentences is in a review), on vectors of three kinds:
 *   cut    — text.maxChunks 1: the first text.maxChars characters, as before chunking;
 *   chunks — text.maxChunks of the config (8): chunks pooled by length-weighted mean (the pipeline);
 *   mean   — the same chunks pooled by plain mean (for comparison; not what the pipeline does).
 * Embeddings are cached on disk (artifacts/cache), chunk by chunk.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEmbedder } from '../src/app/parts.js';
import { classifierFromArtifact } from '../src/classify/load.js';
import { labelMap, loadTaxonomy } from '../src/classify/taxonomy.js';
import { loadZeroShot } from '../src/classify/zero-shot-calibration.js';
import type { Classifier } from '../src/classify/types.js';
import { loadConfig, projectPath } from '../src/config/index.js';
import { poolFlat } from '../src/embed/pool.js';
import { preprocessRows, type DataRow } from '../src/eval/dataset.js';
import { embedTexts } from '../src/eval/embed-cache.js';
import { evaluateClassifier, summarize } from '../src/eval/evaluate.js';
import { buildLongReviews, LONG_REVIEW_DEFAULTS, type LongReview } from '../src/eval/long-reviews.js';
import { runTrain } from '../src/eval/train-run.js';
import { readLabelledRows } from '../src/sim/jsonl.js';
import { stepLog } from '../src/util/progress.js';

const OUT = projectPath('artifacts/long-reviews');
const CACHE = projectPath('artifacts/cache');
const TAXONOMY = projectPath('config/taxonomies/sib200.yaml');
const LANGS = ['en', 'zh'] as const;
/** the sentences reviews are made of: none of them trains the linear head */
const SOURCE_SPLITS = new Set(['dev', 'test']);

const say = stepLog('[long-reviews] ');
const evaluate = process.argv.includes('--evaluate');
const cfg = loadConfig();

function build(lang: (typeof LANGS)[number]): { reviews: LongReview[]; file: string; sha256: string } {
  const rows = readLabelledRows(projectPath(`data/sib200_${lang}.jsonl`)).filter((r) => r.split !== undefined && SOURCE_SPLITS.has(r.split));
  const reviews = buildLongReviews(rows, { lang, ...LONG_REVIEW_DEFAULTS });
  const body = reviews.map((r) => `${JSON.stringify({ id: r.id, text: r.text, label: r.label, split: r.split, opening_chars: r.openingChars, sources: r.sources })}\n`).join('');
  const file = join(OUT, `long_reviews_${lang}.jsonl`);
  writeFileSync(file, body);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const chars = reviews.map((r) => r.text.length);
  say(`${file}: ${reviews.length} reviews, ${Math.min(...chars)}-${Math.max(...chars)} characters (mean ${Math.round(chars.reduce((a, b) => a + b, 0) / chars.length)}), sha256 ${sha256}`);
  return { reviews, file, sha256 };
}

type Variant = 'cut' | 'chunks' | 'mean';
interface Score {
  lang: string;
  classifier: 'zero-shot' | 'linear';
  kind: string;
  variant: Variant;
  rows: number;
  accuracy: number;
  macroF1: number;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const built = LANGS.map((lang) => ({ lang, ...build(lang) }));
  if (!evaluate) return;
  const embedder = createEmbedder(cfg);
  const scores: Score[] = [];
  const costs: Record<string, { chunksPerReview: number; embeddedChars: number }> = {};
  try {
    await embedder.ready();
    const taxonomy = loadTaxonomy(TAXONOMY);
    const toId = labelMap(taxonomy);
    const zs = (await loadZeroShot(TAXONOMY, embedder)).classifier;
    for (const { lang, reviews } of built) {
      say(`${lang}: training the linear head on data/sib200_${lang}.jsonl, split train`);
      const trained = await runTrain({ data: projectPath(`data/sib200_${lang}.jsonl`), kind: 'linear', trainSplit: 'train', testSplit: 'test', seed: 42, out: join(OUT, 'models', `sib200_${lang}-train`), cacheDir: CACHE }, cfg, embedder);
      const linear: Classifier = classifierFromArtifact(trained.artifact);
      const rows: DataRow[] = reviews.map((r, i) => ({ line: i + 1, text: r.text, label: r.label, split: r.split }));
      const vectors: Record<Variant, Float32Array[]> = { cut: [], chunks: [], mean: [] };
      for (const maxChunks of [1, cfg.text.maxChunks]) {
        const prepared = preprocessRows(rows, { ...cfg.text, maxChunks });
        if (prepared.dropped > 0) throw new Error(`${lang}: ${prepared.dropped} reviews dropped by preprocessing`);
        const lists = prepared.rows.map((r) => r.chunks);
        say(`${lang}: embedding ${lists.flat().length} chunks (maxChunks ${maxChunks})`);
        const flat = (await embedTexts(embedder, lists.flat(), { cacheDir: CACHE, progressLabel: 'embed' })).vectors;
        if (maxChunks === 1) vectors.cut = poolFlat(flat, lists);
        else {
          vectors.chunks = poolFlat(flat, lists);
          vectors.mean = poolFlat(flat, lists, (c) => c.map(() => 1));
          costs[lang] = { chunksPerReview: r3(lists.flat().length / lists.length), embeddedChars: Math.round(prepared.rows.reduce((n, r) => n + r.input.length, 0) / lists.length) };
        }
      }
      for (const [name, clf, truth] of [
        ['zero-shot', zs, reviews.map((r) => toId.get(r.label) ?? r.label)],
        ['linear', linear, reviews.map((r) => r.label)],
      ] as const) {
        for (const kind of [...LONG_REVIEW_DEFAULTS.kinds, 'all']) {
          const idx = reviews.flatMap((r, i) => (kind === 'all' || r.split === kind ? [i] : []));
          for (const variant of ['cut', 'chunks', 'mean'] as const) {
            const m = summarize(
              evaluateClassifier(
                clf,
                idx.map((i) => vectors[variant][i]!),
                idx.map((i) => truth[i]!),
              ).report,
            );
            scores.push({ lang, classifier: name, kind, variant, rows: idx.length, accuracy: r3(m.accuracy), macroF1: r3(m.macroF1) });
          }
        }
      }
    }
  } finally {
    await embedder.close();
  }
  const out = { builtAt: new Date().toISOString(), options: LONG_REVIEW_DEFAULTS, sourceSplits: [...SOURCE_SPLITS], text: cfg.text, files: built.map((b) => ({ file: b.file, sha256: b.sha256, reviews: b.reviews.length })), costs, scores };
  writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(out, null, 2)}\n`);
  // one line per language, classifier and opening kind: accuracy / macro-F1 of cut, chunks, mean
  process.stdout.write('| lang | classifier | opening | reviews | cut acc / F1 | chunks acc / F1 | plain mean acc / F1 |\n|---|---|---|---|---|---|---|\n');
  for (const s of scores.filter((x) => x.variant === 'cut')) {
    const other = (v: Variant) => scores.find((x) => x.lang === s.lang && x.classifier === s.classifier && x.kind === s.kind && x.variant === v)!;
    const cell = (x: Score) => `${x.accuracy.toFixed(3)} / ${x.macroF1.toFixed(3)}`;
    process.stdout.write(`| ${s.lang} | ${s.classifier} | ${s.kind} | ${s.rows} | ${cell(s)} | ${cell(other('chunks'))} | ${cell(other('mean'))} |\n`);
  }
  process.stdout.write(`\nchunks per review: ${JSON.stringify(costs)}\nwrote ${join(OUT, 'results.json')}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`long-reviews failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
