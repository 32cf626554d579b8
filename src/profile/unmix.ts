/**
 * From "what the classifier said about a user's comments" to "what the user writes about" (pure).
 *
 * A profile's label scores are the decayed sum of per-comment probabilities. Their mean m is what
 * the classifier saw, and a classifier's errors are not noise that averaging removes: on CSL, a
 * third of 农学 titles get most of their probability on 工学, so a user writing mostly about
 * 农学 can still show 工学 first. With the classifier's confusion C measured on held-out labelled
 * comments (C[t][p] = mean probability of label p over comments of true label t; rows sum to 1),
 * m is expected to be Cᵀθ, where θ is the share of the user's comments on each label. The shares
 * are estimated by maximum a posteriori EM (the known-components case of a finite mixture: each
 * observed probability mass m_p is split over the true labels in proportion to C[t][p] θ_t):
 *
 *   θ_t ← (W · θ_t · Σ_p C[t][p] m_p / (Cᵀθ)_p + α) / (W + k·α)
 *
 * W is the decayed number of comments (the state's weight) and α a symmetric Dirichlet pseudo-count
 * per label, so a user with two comments keeps most of the classifier's spread while one with fifty
 * gets the sharp estimate. Each step cannot lower the posterior; the iteration starts from m itself
 * and stops when no share moves by more than `tolerance`. The result sums to 1.
 *
 * This is "adjusting a classifier's outputs to new priors" (Saerens, Latinne & Decaestecker, 2002)
 * and probabilistic adjusted counting (Bella et al., 2010) done per user on the aggregate alone:
 * the state, its merge and its storage do not change. docs/profile.md has the derivation and
 * docs/models.md what it measured.
 */

export interface LabelConfusion {
  /** Label order of both axes. */
  readonly labels: readonly string[];
  /** confusion[t][p]: mean probability of label p over held-out comments whose true label is t; each row sums to 1. */
  readonly confusion: readonly (readonly number[])[];
}

export interface UnmixOptions {
  /** Dirichlet pseudo-count per label (α ≥ 0). */
  prior: number;
  /** Stop when no share changes by more than this. */
  tolerance?: number;
  maxIterations?: number;
}

/** Why `c` cannot be used, or undefined. */
export function confusionProblem(c: LabelConfusion): string | undefined {
  const k = c.labels.length;
  if (k < 2) return 'needs at least 2 labels';
  if (new Set(c.labels).size !== k) return 'labels must be unique';
  if (c.confusion.length !== k) return `expected ${k} rows, got ${c.confusion.length}`;
  for (let t = 0; t < k; t++) {
    const row = c.confusion[t]!;
    if (row.length !== k) return `row ${t}: expected ${k} values, got ${row.length}`;
    let s = 0;
    for (const v of row) {
      if (!(Number.isFinite(v) && v >= 0)) return `row ${t}: values must be finite and >= 0`;
      s += v;
    }
    if (Math.abs(s - 1) > 1e-3) return `row ${t} sums to ${s}, not 1`;
  }
  return undefined;
}

/**
 * The estimated share of the user's comments per label (label order of `c`), from the state's
 * label scores and decayed weight; undefined when the scores name a label `c` does not know
 * (a state built by a classifier with other labels) or hold no mass.
 */
export function unmixShares(scores: Readonly<Record<string, number>>, weight: number, c: LabelConfusion, o: UnmixOptions): Float64Array | undefined {
  const k = c.labels.length;
  const index = new Map(c.labels.map((l, i) => [l, i]));
  const m = new Float64Array(k);
  let total = 0;
  for (const label of Object.keys(scores)) {
    const i = index.get(label);
    const v = scores[label]!;
    if (i === undefined) {
      if (v > 0) return undefined;
      continue;
    }
    if (!(v >= 0 && Number.isFinite(v))) return undefined;
    m[i] = v;
    total += v;
  }
  if (!(total > 0) || !(weight > 0) || !Number.isFinite(weight)) return undefined;
  for (let i = 0; i < k; i++) m[i]! /= total;

  const alpha = Math.max(0, o.prior);
  const tol = o.tolerance ?? 1e-5;
  const maxIt = o.maxIterations ?? 500;
  const C = c.confusion;
  const theta = Float64Array.from(m);
  const q = new Float64Array(k);
  const next = new Float64Array(k);
  const denom = weight + k * alpha;
  for (let it = 0; it < maxIt; it++) {
    q.fill(0);
    for (let t = 0; t < k; t++) {
      const th = theta[t]!;
      if (th === 0) continue;
      const row = C[t]!;
      for (let p = 0; p < k; p++) q[p]! += row[p]! * th;
    }
    let moved = 0;
    for (let t = 0; t < k; t++) {
      const row = C[t]!;
      let a = 0;
      for (let p = 0; p < k; p++) {
        const qp = q[p]!;
        if (qp > 0) a += (row[p]! * m[p]!) / qp;
      }
      const v = (weight * theta[t]! * a + alpha) / denom;
      next[t] = v;
    }
    // renormalise (rounding, and mass on labels no row can produce)
    let s = 0;
    for (let t = 0; t < k; t++) s += next[t]!;
    for (let t = 0; t < k; t++) {
      const v = next[t]! / s;
      moved = Math.max(moved, Math.abs(v - theta[t]!));
      next[t] = v;
    }
    theta.set(next);
    if (moved <= tol) break;
  }
  return theta;
}
