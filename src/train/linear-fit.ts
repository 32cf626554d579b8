/**
 * The maths of the softmax-regression head (pure): the weighted, L2-penalised cross-entropy and its
 * gradient on standardised features, logits, the standardiser and temperature fitting.
 */
import { dotAt, softmax } from '../classify/math.js';

// ------------------------------------------------------------------------------------------------
// the optimisation problem on standardised features

export interface Problem {
  X: Float64Array; // n × d, row-major, standardised
  n: number;
  d: number;
  k: number;
  y: Int32Array;
  w: Float64Array; // sample weights
}

export function objective(p: Problem, l2: number) {
  const { X, n, d, k, y, w } = p;
  let total = 0;
  for (let i = 0; i < n; i++) total += w[i]!;
  const z = new Float64Array(k);
  return (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    const bOff = k * d;
    for (let i = 0; i < n; i++) {
      const off = i * d;
      let max = -Infinity;
      for (let c = 0; c < k; c++) {
        const s = theta[bOff + c]! + dotAt(theta, c * d, X, off, d);
        z[c] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(z[c]! - max);
      const lse = max + Math.log(sum);
      const wi = w[i]! / total;
      loss += wi * (lse - z[y[i]!]!);
      for (let c = 0; c < k; c++) {
        const g = wi * (Math.exp(z[c]! - lse) - (c === y[i] ? 1 : 0));
        // a class with negligible probability adds nothing measurable: skip its d multiply-adds
        // (most of the work with many classes); the error is far below the gradient tolerance
        if (Math.abs(g) < NEGLIGIBLE * wi) continue;
        const wo = c * d;
        for (let j = 0; j < d; j++) grad[wo + j] = grad[wo + j]! + g * X[off + j]!;
        grad[bOff + c] = grad[bOff + c]! + g;
      }
    }
    for (let q = 0; q < bOff; q++) {
      loss += 0.5 * l2 * theta[q]! * theta[q]!;
      grad[q] = grad[q]! + l2 * theta[q]!;
    }
    return loss;
  };
}

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

export function standardiser(rows: readonly ArrayLike<number>[], d: number): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] = mean[j]! + r[j]!;
  for (let j = 0; j < d; j++) mean[j] = mean[j]! / rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) sq[j] = sq[j]! + (r[j]! - mean[j]!) ** 2;
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) scale[j] = Math.max(Math.sqrt(sq[j]! / rows.length), 1e-6);
  return { mean, scale };
}

export function problem(rows: readonly ArrayLike<number>[], yi: readonly number[], k: number, std: { mean: Float64Array; scale: Float64Array }, balanced: boolean): Problem {
  const n = rows.length;
  const d = std.mean.length;
  const X = new Float64Array(n * d);
  rows.forEach((r, i) => {
    for (let j = 0; j < d; j++) X[i * d + j] = (r[j]! - std.mean[j]!) / std.scale[j]!;
  });
  const counts = new Array<number>(k).fill(0);
  for (const c of yi) counts[c]!++;
  const present = counts.filter((c) => c > 0).length;
  const w = Float64Array.from(yi, (c) => (balanced ? n / (present * counts[c]!) : 1));
  return { X, n, d, k, y: Int32Array.from(yi), w };
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
