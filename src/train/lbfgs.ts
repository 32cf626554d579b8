/**
 * Limited-memory BFGS for smooth, unconstrained minimisation (pure; no randomness, so a run is
 * fully determined by its inputs). Two-loop recursion over the last `memory` (s, y) pairs and a
 * backtracking line search with the Armijo condition; an update whose curvature sᵀy is not
 * clearly positive is skipped, which keeps the inverse-Hessian estimate positive definite.
 *
 * Used for the softmax-regression head (src/train/linear-train.ts), whose objective is convex.
 */

/** Objective: writes the gradient at x into `grad` and returns the value at x. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  /** Maximum iterations (accepted steps). Default 500. */
  maxIterations: number;
  /** Stop when the largest gradient component is at most this. Default 1e-5. */
  gradientTolerance: number;
  /** Stop when the relative decrease of the value over one step is below this. Default 1e-10. */
  relativeTolerance: number;
  /** Number of correction pairs kept. Default 10. */
  memory: number;
  /** Called after every accepted step with the iterations done so far (progress output). */
  onIteration?: ((iterations: number) => void) | undefined;
}

export const DEFAULT_LBFGS: LbfgsOptions = { maxIterations: 500, gradientTolerance: 1e-5, relativeTolerance: 1e-10, memory: 10 };

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  evaluations: number;
  /** Why it stopped. */
  reason: 'gradient' | 'relative' | 'max-iterations' | 'line-search';
}

function dotp(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]!);
    if (v > m) m = v;
  }
  return m;
}

/** Minimise `f` from `x0` (not modified). */
export function minimizeLbfgs(f: Objective, x0: Float64Array, options: Partial<LbfgsOptions> = {}): LbfgsResult {
  const o = { ...DEFAULT_LBFGS, ...options };
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = f(x, g);
  let evaluations = 1;
  if (!Number.isFinite(fx)) throw new RangeError(`lbfgs: the objective is ${fx} at the starting point`);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const d = new Float64Array(n);
  const alpha = new Array<number>(o.memory).fill(0);
  const xNew = new Float64Array(n);
  let gNew = new Float64Array(n);

  for (let iter = 0; iter < o.maxIterations; iter++) {
    if (maxAbs(g) <= o.gradientTolerance) return { x, value: fx, iterations: iter, evaluations, reason: 'gradient' };

    // direction d = -H g (two-loop recursion)
    for (let i = 0; i < n; i++) d[i] = -g[i]!;
    for (let k = S.length - 1; k >= 0; k--) {
      const a = rho[k]! * dotp(S[k]!, d);
      alpha[k] = a;
      const yk = Y[k]!;
      for (let i = 0; i < n; i++) d[i] = d[i]! - a * yk[i]!;
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const gamma = dotp(S[last]!, Y[last]!) / dotp(Y[last]!, Y[last]!);
      for (let i = 0; i < n; i++) d[i] = d[i]! * gamma;
    } else {
      // first step: a unit-length move along the steepest descent
      const gn = Math.sqrt(dotp(g, g));
      for (let i = 0; i < n; i++) d[i] = d[i]! / gn;
    }
    for (let k = 0; k < S.length; k++) {
      const b = rho[k]! * dotp(Y[k]!, d);
      const sk = S[k]!;
      const a = alpha[k]!;
      for (let i = 0; i < n; i++) d[i] = d[i]! + (a - b) * sk[i]!;
    }
    let slope = dotp(g, d);
    if (!(slope < 0)) {
      // not a descent direction (numerical trouble): restart from steepest descent
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i]!;
      slope = -dotp(g, g);
    }

    // backtracking line search (Armijo)
    let step = 1;
    let fNew = Infinity;
    let accepted = false;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * d[i]!;
      fNew = f(xNew, gNew);
      evaluations++;
      if (Number.isFinite(fNew) && fNew <= fx + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) return { x, value: fx, iterations: iter, evaluations, reason: 'line-search' };

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
    }
    const sy = dotp(s, y);
    if (sy > 1e-12 * Math.sqrt(dotp(s, s) * dotp(y, y))) {
      if (S.length === o.memory) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const previous = fx;
    x = Float64Array.from(xNew);
    const swap = g;
    g = gNew;
    gNew = swap;
    fx = fNew;
    o.onIteration?.(iter + 1);
    if (Math.abs(previous - fx) <= o.relativeTolerance * Math.max(1, Math.abs(previous))) {
      return { x, value: fx, iterations: iter + 1, evaluations, reason: 'relative' };
    }
  }
  return { x, value: fx, iterations: o.maxIterations, evaluations, reason: 'max-iterations' };
}
