/**
 * Measures the similar-users index at scale (numbers in docs/api.md):
 *
 *   npx tsx src/similar/bench.ts [users=100000] [dim=512] [queries=50]
 *
 * Builds an index of random unit centroids around 64 topics (real centroids cluster), then times
 * single queries (k = 10) with the WebAssembly SIMD kernel and the JavaScript fallback, and checks
 * recall@10 of the int8 index against exact float64 cosine on a sample of queries.
 */
import { mulberry32 as rng } from '../util/random.js';
import { quantile as percentile } from '../util/stats.js';
import { SimilarIndex } from './index.js';

function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

export interface SimilarBench {
  users: number;
  dim: number;
  buildMs: number;
  memoryMB: number;
  wasm: { p50: number; p95: number };
  js: { p50: number; p95: number };
  recallAt10: number;
  maxScoreError: number;
}

export function benchSimilar(users = 100_000, dim = 512, queries = 50): SimilarBench {
  const r = rng(7);
  const topics = Array.from({ length: 64 }, () => Float32Array.from({ length: dim }, () => normal(r)));
  const vecs: Float32Array[] = [];
  for (let i = 0; i < users; i++) {
    const t = topics[i % topics.length]!;
    const v = Float32Array.from({ length: dim }, (_, j) => t[j]! / Math.sqrt(dim) + (0.9 * normal(r)) / Math.sqrt(dim));
    const n = Math.hypot(...v);
    for (let j = 0; j < dim; j++) v[j]! /= n;
    vecs.push(v);
  }
  const t0 = performance.now();
  const wasm = new SimilarIndex({ dim });
  for (let i = 0; i < users; i++) wasm.upsert(`u${i}`, vecs[i]!);
  const buildMs = performance.now() - t0;
  const js = new SimilarIndex({ dim, noWasm: true });
  for (let i = 0; i < users; i++) js.upsert(`u${i}`, vecs[i]!);

  const time = (idx: SimilarIndex) => {
    const ms: number[] = [];
    for (let q = 0; q < queries; q++) {
      const t = performance.now();
      idx.similarTo(`u${(q * 7919) % users}`, 10);
      ms.push(performance.now() - t);
    }
    return { p50: percentile(ms, 0.5), p95: percentile(ms, 0.95) };
  };
  time(wasm); // warm up
  const w = time(wasm);
  const j = time(js);

  let hits = 0;
  let maxErr = 0;
  const sample = Math.min(10, queries);
  for (let q = 0; q < sample; q++) {
    const qi = (q * 104729) % users;
    const qv = vecs[qi]!;
    const exact: { i: number; s: number }[] = [];
    for (let i = 0; i < users; i++) {
      if (i === qi) continue;
      let s = 0;
      const v = vecs[i]!;
      for (let k = 0; k < dim; k++) s += qv[k]! * v[k]!;
      exact.push({ i, s });
    }
    exact.sort((a, b) => b.s - a.s);
    const want = new Set(exact.slice(0, 10).map((e) => `u${e.i}`));
    const got = wasm.similarTo(`u${qi}`, 10)!;
    hits += got.filter((g) => want.has(g.userId)).length;
    for (const g of got) {
      const exactScore = exact.find((e) => `u${e.i}` === g.userId)!.s;
      maxErr = Math.max(maxErr, Math.abs(exactScore - g.score));
    }
  }
  return { users, dim, buildMs, memoryMB: wasm.memoryBytes / 2 ** 20, wasm: w, js: j, recallAt10: hits / (sample * 10), maxScoreError: maxErr };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [users, dim, queries] = process.argv.slice(2).map(Number);
  const b = benchSimilar(users || undefined, dim || undefined, queries || undefined);
  const f = (x: number) => x.toFixed(2);
  console.log(`users ${b.users}, dim ${b.dim}: build ${Math.round(b.buildMs)} ms, index memory ${b.memoryMB.toFixed(1)} MiB`);
  console.log(`query k=10  wasm-simd p50 ${f(b.wasm.p50)} ms p95 ${f(b.wasm.p95)} ms | js p50 ${f(b.js.p50)} ms p95 ${f(b.js.p95)} ms`);
  console.log(`recall@10 vs float64 cosine ${b.recallAt10.toFixed(3)}, max score error ${b.maxScoreError.toFixed(4)}`);
}
