/**
 * The maths of the softmax-regression head (pure): the weighted, L2-penalised cross-entropy and its
 * gradient on standardised features, logits, the standardiser and temperature fitting.
 */
import { dotAt, softmax } from '../classify/math.js';

// ------------------------------------------------------------------------------------------------
// the optimisation problem on standardised features

export interface Problem {
  X: Float64Array; // n × d, row-major, standardised; on a SharedArrayBuffer (worker threads read it)
  n: number;
  d: number;
  k: number;
  y: Int32Array;
  w: Float64Array; // sample weights
  /** Σ w: the loss is a weighted mean. */
  total: number;
}

/**
 * Rows per chunk of an evaluation. Every chunk's loss and gradient are computed on their own and
 * summed in chunk order, so a result depends on the data alone, never on how many threads shared
 * the chunks (src/train/objective-pool.ts). A multiple of ROWS_PER_BLOCK.
 */
export const CHUNK_ROWS = 512;

export const chunkCount = (n: number): number => Math.max(1, Math.ceil(n / CHUNK_ROWS));

/** Where an evaluation's chunks are computed: `run` returns chunkCount(n) records of k·d + k gradient terms and the loss term, in chunk order. */
export interface ChunkRunner {
  run(p: Problem, theta: Float64Array): Float64Array;
}

/** One chunk after the other on this thread. */
export function localRunner(): ChunkRunner {
  let out = new Float64Array(0);
  return {
    run(p, theta) {
      const size = p.k * p.d + p.k + 1;
      const chunks = chunkCount(p.n);
      if (out.length < chunks * size) out = new Float64Array(chunks * size);
      for (let c = 0; c < chunks; c++) chunkTerms(p, theta, c, out.subarray(c * size, (c + 1) * size));
      return out;
    },
  };
}

/**
 * The objective and its gradient, for L-BFGS: class-weighted mean cross-entropy + (l2 / 2)·‖W‖²
 * (bias not penalised). θ is k weight rows of d, then k biases. The chunks run where `runner` says
 * (default: on this thread).
 */
export function objective(p: Problem, l2: number, runner: ChunkRunner = localRunner()) {
  const { n, d, k } = p;
  const size = k * d + k + 1;
  const chunks = chunkCount(n);
  return (theta: Float64Array, grad: Float64Array): number => {
    const out = runner.run(p, theta);
    let loss = 0;
    grad.fill(0);
    for (let c = 0; c < chunks; c++) {
      const o = c * size;
      for (let q = 0; q < size - 1; q++) grad[q] = grad[q]! + out[o + q]!;
      loss += out[o + size - 1]!;
    }
    const bOff = k * d;
    for (let q = 0; q < bOff; q++) {
      loss += 0.5 * l2 * theta[q]! * theta[q]!;
      grad[q] = grad[q]! + l2 * theta[q]!;
    }
    return loss;
  };
}

/**
 * Chunk `chunk`'s share of the loss and gradient (no penalty): `out` gets its k·d + k gradient
 * terms, then its loss term.
 *
 * The work is two products with the chunk's rows: the logits Z = X·Wᵀ and the gradient Gᵀ·X. Both
 * run over blocks of ROWS_PER_BLOCK rows, so each weight (and gradient) value is loaded once per
 * block instead of once per row and the eight sums do not wait on each other: 2.5-3× fewer CPU
 * seconds per evaluation than a row at a time (measured on csl_titles_zh: 9,000 rows × 512,
 * 13 classes). The block is 8 rows, spelled out: V8 does not unroll or vectorise loops itself.
 */
export function chunkTerms(p: Problem, theta: Float64Array, chunk: number, out: Float64Array): void {
  const { X, d, k, y, w, total } = p;
  const start = chunk * CHUNK_ROWS;
  const end = Math.min(p.n, start + CHUNK_ROWS);
  const B = ROWS_PER_BLOCK;
  const z = new Float64Array(B * k); // logits of the block's rows, row-major
  const gz = new Float64Array(B * k); // d loss / d logit of the block's rows
  const grad = out;
  grad.fill(0);
  let loss = 0;
  const bOff = k * d;
  for (let i0 = start; i0 < end; i0 += B) {
    const m = Math.min(B, end - i0);
    // offsets of the block's rows; a short last block repeats its first row (its results unused)
    const o0 = i0 * d;
    const o1 = m > 1 ? o0 + d : o0;
    const o2 = m > 2 ? o0 + 2 * d : o0;
    const o3 = m > 3 ? o0 + 3 * d : o0;
    const o4 = m > 4 ? o0 + 4 * d : o0;
    const o5 = m > 5 ? o0 + 5 * d : o0;
    const o6 = m > 6 ? o0 + 6 * d : o0;
    const o7 = m > 7 ? o0 + 7 * d : o0;
    for (let c = 0; c < k; c++) {
      const wo = c * d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let s4 = 0;
      let s5 = 0;
      let s6 = 0;
      let s7 = 0;
      for (let j = 0; j < d; j++) {
        const t = theta[wo + j]!;
        s0 += t * X[o0 + j]!;
        s1 += t * X[o1 + j]!;
        s2 += t * X[o2 + j]!;
        s3 += t * X[o3 + j]!;
        s4 += t * X[o4 + j]!;
        s5 += t * X[o5 + j]!;
        s6 += t * X[o6 + j]!;
        s7 += t * X[o7 + j]!;
      }
      const b = theta[bOff + c]!;
      z[c] = s0 + b;
      z[k + c] = s1 + b;
      z[2 * k + c] = s2 + b;
      z[3 * k + c] = s3 + b;
      z[4 * k + c] = s4 + b;
      z[5 * k + c] = s5 + b;
      z[6 * k + c] = s6 + b;
      z[7 * k + c] = s7 + b;
    }
    for (let r = 0; r < B; r++) {
      const zo = r * k;
      if (r >= m) {
        gz.fill(0, zo, zo + k);
        continue;
      }
      const i = i0 + r;
      let max = -Infinity;
      for (let c = 0; c < k; c++) if (z[zo + c]! > max) max = z[zo + c]!;
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(z[zo + c]! - max);
      const lse = max + Math.log(sum);
      const wi = w[i]! / total;
      const yi = y[i]!;
      loss += wi * (lse - z[zo + yi]!);
      for (let c = 0; c < k; c++) {
        const g = wi * (Math.exp(z[zo + c]! - lse) - (c === yi ? 1 : 0));
        // a class with negligible probability adds nothing measurable: when it has that for every
        // row of the block, its d multiply-adds are skipped (most of the work with many classes)
        gz[zo + c] = Math.abs(g) < NEGLIGIBLE * wi ? 0 : g;
      }
    }
    for (let c = 0; c < k; c++) {
      const g0 = gz[c]!;
      const g1 = gz[k + c]!;
      const g2 = gz[2 * k + c]!;
      const g3 = gz[3 * k + c]!;
      const g4 = gz[4 * k + c]!;
      const g5 = gz[5 * k + c]!;
      const g6 = gz[6 * k + c]!;
      const g7 = gz[7 * k + c]!;
      if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 0) continue;
      const wo = c * d;
      for (let j = 0; j < d; j++) {
        grad[wo + j] = grad[wo + j]! + g0 * X[o0 + j]! + g1 * X[o1 + j]! + g2 * X[o2 + j]! + g3 * X[o3 + j]! + g4 * X[o4 + j]! + g5 * X[o5 + j]! + g6 * X[o6 + j]! + g7 * X[o7 + j]!;
      }
      grad[bOff + c] = grad[bOff + c]! + g0 + g1 + g2 + g3 + g4 + g5 + g6 + g7;
    }
  }
  out[bOff + k] = loss;
}

/** Rows per block of the objective's kernel (the kernel spells out eight). */
const ROWS_PER_BLOCK = 8;
const NEGLIGIBLE = 1e-10;

export function logits(theta: Float64Array, X: Float64Array, n: number, d: number, k: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const z = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      z[c] = theta[k * d + c]! + dotAt(theta, c * d, X, i * d, d);
    }
    out.push(z);
  }
  return out;
}

/** Per-dimension mean and standard deviation: features are (x - mean) / scale. */
export interface Standardiser {
  mean: Float64Array;
  scale: Float64Array;
}

export function standardiser(rows: readonly ArrayLike<number>[], d: number): Standardiser {
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] = mean[j]! + r[j]!;
  for (let j = 0; j < d; j++) mean[j] = mean[j]! / rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) sq[j] = sq[j]! + (r[j]! - mean[j]!) ** 2;
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) scale[j] = Math.max(Math.sqrt(sq[j]! / rows.length), 1e-6);
  return { mean, scale };
}

/**
 * θ fitted on features standardised with `from`, re-expressed for features standardised with `to`:
 * the same logits for every x (w'_cj = w_cj · s'_j / s_j, b'_c = b_c + Σ_j w_cj (m'_j - m_j) / s_j).
 * The refit on every row starts from the validation-slice solution this way.
 */
export function rebase(theta: Float64Array, k: number, from: Standardiser, to: Standardiser): Float64Array {
  const d = from.mean.length;
  const out = new Float64Array(theta.length);
  for (let c = 0; c < k; c++) {
    let b = theta[k * d + c]!;
    for (let j = 0; j < d; j++) {
      const w = theta[c * d + j]!;
      out[c * d + j] = (w * to.scale[j]!) / from.scale[j]!;
      b += (w * (to.mean[j]! - from.mean[j]!)) / from.scale[j]!;
    }
    out[k * d + c] = b;
  }
  return out;
}

export function problem(rows: readonly ArrayLike<number>[], yi: readonly number[], k: number, std: Standardiser, balanced: boolean): Problem {
  const n = rows.length;
  const d = std.mean.length;
  const X = new Float64Array(new SharedArrayBuffer(8 * n * d));
  rows.forEach((r, i) => {
    for (let j = 0; j < d; j++) X[i * d + j] = (r[j]! - std.mean[j]!) / std.scale[j]!;
  });
  const counts = new Array<number>(k).fill(0);
  for (const c of yi) counts[c]!++;
  const present = counts.filter((c) => c > 0).length;
  const w = Float64Array.from(yi, (c) => (balanced ? n / (present * counts[c]!) : 1));
  let total = 0;
  for (let i = 0; i < n; i++) total += w[i]!;
  return { X, n, d, k, y: Int32Array.from(yi), w, total };
}

/** Temperature minimising the log-loss of `z` (logits) for labels `y`, by golden-section search on 1/T. */
export function fitTemperature(z: readonly ArrayLike<number>[], y: readonly number[]): number {
  const nll = (beta: number) => {
    let s = 0;
    z.forEach((zi, i) => {
      let max = -Infinity;
      for (let c = 0; c < zi.length; c++) max = Math.max(max, beta * zi[c]!);
      let sum = 0;
      for (let c = 0; c < zi.length; c++) sum += Math.exp(beta * zi[c]! - max);
      s += max + Math.log(sum) - beta * zi[y[i]!]!;
    });
    return s / Math.max(1, z.length);
  };
  // 1/T in [0.01, 500]: T from 0.002 (zero-shot cosines sit in a narrow band) to 100
  let lo = 0.01;
  let hi = 500;
  const g = (Math.sqrt(5) - 1) / 2;
  let a = hi - g * (hi - lo);
  let b = lo + g * (hi - lo);
  let fa = nll(a);
  let fb = nll(b);
  for (let it = 0; it < 80; it++) {
    if (fa <= fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - g * (hi - lo);
      fa = nll(a);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + g * (hi - lo);
      fb = nll(b);
    }
  }
  return 1 / ((lo + hi) / 2);
}

export function meanLogLoss(z: readonly Float64Array[], y: readonly number[]): number {
  let s = 0;
  z.forEach((zi, i) => {
    const p = softmax(zi);
    s -= Math.log(Math.max(1e-12, p[y[i]!]!));
  });
  return s / Math.max(1, z.length);
}
