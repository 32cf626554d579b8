/**
 * Multinomial logistic regression (softmax) head on frozen embeddings, stored as a 'linear'
 * classifier artifact (prediction: src/classify/linear.ts). Training (docs/classifiers.md, "Linear"):
 *
 * 1. features are standardised (per-dimension mean and standard deviation of the training rows);
 * 2. the loss is the class-weighted mean cross-entropy plus (l2 / 2)·‖W‖² (bias not penalised);
 *    'balanced' class weights n / (k · n_c) keep a rare class from being ignored, at the price of
 *    false positives on it; 'auto' (the default) tries both weightings on the validation slice;
 * 3. full-batch L-BFGS (src/train/lbfgs.ts) from zero weights: a convex problem, no randomness,
 *    so the result depends only on the data and the settings (the seed only draws the validation
 *    slice used to choose l2 and the temperature);
 * 4. l2 'auto': a regularisation path over `l2Grid` (strongest first, warm-started) on a stratified
 *    validation slice, stopped once `pathPatience` steps in a row score below the path's best; the
 *    (weighting, l2) with the best validation macro-F1 wins (ties: the earlier, then the lower
 *    log-loss). classWeight 'auto' runs the path with 'none', then probes 'balanced' at that path's
 *    best l2 (warm-started from its solution) and runs the 'balanced' path only when the probe
 *    scores better; with the same row count for every label the two weightings are one problem;
 * 5. a temperature T is fitted on the validation slice (min log-loss; the log-loss is convex in 1/T);
 * 6. the model is refitted on every training row with the chosen l2, warm-started from the
 *    validation-slice solution, and the standardisation is folded into the weights, so prediction
 *    is one k×dim mat-vec plus a softmax.
 */
import { finalizeArtifact, type ClassifierArtifact } from '../classify/artifact.js';
import { sumByOutput, type LinearModel } from '../classify/linear.js';
import { softmax } from '../classify/math.js';
import { macroF1 } from './metrics.js';
import { minimizeLbfgs } from './lbfgs.js';
import { fitTemperature, logits, meanLogLoss, objective, problem, rebase, standardiser, type ChunkRunner, type Problem, type Standardiser } from './linear-fit.js';
import { choosePath, maxFits, sameWeights, type ClassWeighting, type PathStep } from './linear-path.js';
import { stratifiedHoldout, take } from './split.js';
import { checkTrainingSet, trainingFingerprint, withDefaults } from './training-set.js';

export type { PathStep } from './linear-path.js';

export interface LinearOptions {
  /** L2 penalty on the weights (standardised features), or 'auto' to choose it on a validation slice. */
  l2: number | 'auto';
  /** Candidates for 'auto', any order (tried strongest first). */
  l2Grid: number[];
  /** 'auto': chosen on the validation slice (like l2): 'none', and 'balanced' when its probe scores better */
  classWeight: 'balanced' | 'none' | 'auto';
  /** Share of the training rows in the validation slice ('auto' l2 and the temperature). */
  validationFraction: number;
  /** Fit a softmax temperature on the validation slice. */
  calibrate: boolean;
  /** L-BFGS iterations of the refit on every row, at most (it stops earlier when converged). */
  maxIterations: number;

  /**
   * L-BFGS iterations per step of the validation path: the path only ranks (weighting, l2) pairs,
   * and each step starts from the previous one's solution, so it needs no tight convergence; the
   * final fit on every row gets `maxIterations`. 30: on the reference sets every step's validation
   * macro-F1 was within half a point of its value at 100 iterations, and no choice moved.
   */
  pathIterations: number;
  /**
   * A path stops after this many steps in a row below its best validation macro-F1: weaker
   * penalties only fit the training rows more closely, and they are the slow steps.
   */
  pathPatience: number;
  /** Draws the validation slice. */
  seed: number;
}

export const DEFAULT_LINEAR_OPTIONS: LinearOptions = {
  l2: 'auto',
  l2Grid: [3, 1, 0.3, 0.1, 0.03, 0.01, 0.003],
  classWeight: 'auto',
  validationFraction: 0.15,
  calibrate: true,
  maxIterations: 300,
  pathIterations: 30,
  pathPatience: 1,
  seed: 42,
};

export interface TrainLinearOptions extends Partial<LinearOptions> {
  embedder: { id: string; dim: number };
  /** A finer label per row (each fine label inside exactly one label): train on these, predict labels. */
  fine?: readonly string[] | undefined;
  createdAt?: string;
  metrics?: ClassifierArtifact['metrics'];
  /** Progress of the fitting phases (e.g. bars on stderr). */
  progress?: FitProgress | undefined;
  /** Where the objective's row chunks are computed (default: this thread; src/train/objective-pool.ts: worker threads too). Never changes the result. */
  runner?: ChunkRunner | undefined;
}

/** The phases of a fit, in order: the validation path (choosing l2 and the weighting), the temperature and confusion, the refit on every row. */
export type FitPhase = 'path' | 'calibrate' | 'refit';

/**
 * Called when a phase starts, with its most units of work (L-BFGS iterations; a phase that
 * converges sooner ends early); returns the phase's counter.
 */
export type FitProgress = (phase: FitPhase, total: number) => { update(done: number): void; stop(): void };

export interface LinearFitReport {
  l2: number;
  classWeight: 'balanced' | 'none';
  temperature: number;
  /** Validation macro-F1 and log-loss of every (class weighting, l2) fitted, in order. */
  path?: PathStep[];
  /** classWeight 'auto': why the other weighting's path did not run (absent when it did). */
  weighting?: string;
  /** L-BFGS iterations of the refit on every row. */
  iterations: number;
  converged: string;
  /** Objective evaluations of the whole fit (path, probe and refit): its cost. */
  evaluations: number;
}

/** Train a softmax head on (X, y) and return a finalised 'linear' artifact plus how it was fitted. */
export function trainLinearWithReport(X: readonly (Float32Array | readonly number[])[], y: readonly string[], opts: TrainLinearOptions): { artifact: ClassifierArtifact; report: LinearFitReport } {
  const o = linearOptions(opts);
  if (o.l2 !== 'auto' && !(o.l2 >= 0)) throw new RangeError(`trainLinear: l2 must be >= 0 or 'auto', got ${o.l2}`);
  if (!(o.validationFraction > 0 && o.validationFraction < 1)) throw new RangeError(`trainLinear: validationFraction must be in (0, 1)`);
  const { labels, yi: coarse, dim } = checkTrainingSet(X, y, opts.embedder.dim, 'trainLinear');
  const fine = opts.fine ? fineClasses(opts.fine, y, labels) : undefined;
  const classes = fine ? fine.classes : labels;
  const yi = fine ? fine.yi : coarse;
  const toLabel = (c: number) => (fine ? labels[fine.outputs[c]!]! : labels[c]!);
  const k = classes.length;
  const weightings: ClassWeighting[] = o.classWeight === 'auto' ? ['none', 'balanced'] : [o.classWeight];

  // validation slice (stratified by label): choose the weighting, l2 and the temperature
  let l2 = o.l2 === 'auto' ? NaN : o.l2;
  let classWeight = weightings[0]!;
  let temperature = 1;
  let path: PathStep[] | undefined;
  let weighting: string | undefined;
  let confusion: ClassifierArtifact['confusion'];
  let evaluations = 0;
  let warm: { theta: Float64Array; std: Standardiser } | undefined;
  const needVal = o.l2 === 'auto' || o.calibrate || weightings.length > 1;
  if (needVal && X.length >= 4 * labels.length) {
    const h = stratifiedHoldout(y, o.validationFraction, o.seed);
    const trX = take(X, h.train);
    const trY = take(yi, h.train);
    const std = standardiser(trX, dim);
    const va = problem(take(X, h.test), take(yi, h.test), k, std, false);
    const vaY = Array.from(va.y);
    const vaLabels = take(y, h.test);
    const grid = o.l2 === 'auto' ? [...new Set(o.l2Grid)].sort((a, b) => b - a) : [l2];
    const stepIterations = Math.min(o.pathIterations, o.maxIterations);
    const problems = new Map<ClassWeighting, Problem>();
    const problemOf = (cw: ClassWeighting): Problem => {
      let p = problems.get(cw);
      if (!p) problems.set(cw, (p = problem(trX, trY, k, std, cw === 'balanced')));
      return p;
    };
    const plan = { grid, weightings, patience: o.pathPatience, sameProblem: weightings.length > 1 && sameWeights(trY, k) };
    // the bar counts L-BFGS iterations against the most the plan could take
    const most = stepIterations * maxFits(plan);
    const bar = opts.progress?.('path', most);
    let done = 0;
    const choice = choosePath<Float64Array>(plan, new Float64Array(k * dim + k), (cw, lam, from) => {
      const before = done;
      const r = minimizeLbfgs(objective(problemOf(cw), lam, opts.runner), from, { maxIterations: stepIterations, onIteration: (it) => bar?.update((done = before + it)) });
      evaluations += r.evaluations;
      const z = logits(r.x, va.X, va.n, dim, k);
      const pred = z.map((zi) => toLabel(argmaxOf(fine ? sumByOutput(softmax(zi), fine.outputs, labels.length) : zi)));
      return { macroF1: macroF1(vaLabels, pred), logLoss: meanLogLoss(z, vaY), iterations: r.iterations, state: r.x };
    });
    bar?.update(most);
    bar?.stop();
    const best = choice.best;
    weighting = choice.weighting;
    l2 = best.l2;
    classWeight = best.classWeight;

    const cal = opts.progress?.('calibrate', 1);
    const zBest = logits(best.state, va.X, va.n, dim, k);
    if (o.calibrate) temperature = fitTemperature(zBest, vaY);
    confusion = heldOutConfusion(
      zBest.map((z) => {
        const p = softmax(z, temperature);
        return fine ? sumByOutput(p, fine.outputs, labels.length) : p;
      }),
      take(coarse, h.test),
      labels.length,
    );
    cal?.update(1);
    cal?.stop();
    warm = { theta: best.state, std };
    if (o.l2 === 'auto' || weightings.length > 1) path = choice.steps.map(({ state: _state, ...step }) => step);
  } else if (o.l2 === 'auto') {
    l2 = 1; // too few rows for a validation slice: strong shrinkage is the safe side
  }

  // final fit on every training row, from the validation-slice solution re-expressed for this standardisation
  const std = standardiser(X, dim);
  const all = problem(X, yi, k, std, classWeight === 'balanced');
  const refit = opts.progress?.('refit', o.maxIterations);
  const start = warm ? rebase(warm.theta, k, warm.std, std) : new Float64Array(k * dim + k);
  const r = minimizeLbfgs(objective(all, l2, opts.runner), start, { maxIterations: o.maxIterations, onIteration: (it) => refit?.update(it) });
  evaluations += r.evaluations;
  refit?.update(o.maxIterations);
  refit?.stop();
  const theta = r.x;
  // fold the standardisation into the weights: w'_cj = w_cj / s_j, b'_c = b_c - Σ_j w'_cj m_j
  const weights: number[][] = [];
  const bias: number[] = [];
  for (let c = 0; c < k; c++) {
    const row = new Array<number>(dim);
    let b = theta[k * dim + c]!;
    for (let j = 0; j < dim; j++) {
      const wj = theta[c * dim + j]! / std.scale[j]!;
      row[j] = Math.fround(wj);
      b -= wj * std.mean[j]!;
    }
    weights.push(row);
    bias.push(Math.fround(b));
  }
  const model: LinearModel = { weights, bias, temperature: round6(temperature), ...(fine ? { fineLabels: classes, outputs: fine.outputs } : {}) };
  const artifact = finalizeArtifact({
    format: 'portrait-classifier',
    formatVersion: 1,
    kind: 'linear',
    labels,
    embedder: { id: opts.embedder.id, dim },
    hyperParameters: { ...o, l2Chosen: l2, classWeightChosen: classWeight, temperature: model.temperature, optimizer: 'lbfgs', standardise: true, ...(fine ? { fineClasses: k } : {}) },
    createdAt: opts.createdAt ?? new Date().toISOString(),
    training: { rows: X.length, fingerprint: trainingFingerprint(X, y) },
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(confusion ? { confusion } : {}),
    model: model as unknown as Record<string, unknown>,
  });
  return { artifact, report: { l2, classWeight, temperature: model.temperature, ...(path ? { path } : {}), ...(weighting ? { weighting } : {}), iterations: r.iterations, converged: r.reason, evaluations } };
}

export function trainLinear(X: readonly (Float32Array | readonly number[])[], y: readonly string[], opts: TrainLinearOptions): ClassifierArtifact {
  return trainLinearWithReport(X, y, opts).artifact;
}

/**
 * The confusion of the validation-slice model (the chosen weighting and l2, calibrated) on the
 * slice: per true label, the mean of its rows' probabilities. Each row also counts one
 * pseudo-row predicted perfectly, so a label with a handful of held-out rows is not taken to be
 * confused with whatever its few rows happened to hit (and a label with none is the identity).
 */
export function heldOutConfusion(probs: readonly ArrayLike<number>[], truth: readonly number[], k: number): NonNullable<ClassifierArtifact['confusion']> {
  const sums = Array.from({ length: k }, (_, t) => {
    const row = new Float64Array(k);
    row[t] = 1;
    return row;
  });
  const rows = new Array<number>(k).fill(0);
  probs.forEach((p, i) => {
    const t = truth[i]!;
    rows[t]!++;
    const row = sums[t]!;
    for (let c = 0; c < k; c++) row[c]! += p[c]!;
  });
  const matrix = sums.map((row, t) => Array.from(row, (v) => round6(v / (rows[t]! + 1))));
  return { source: `validation slice of the training rows (${probs.length} rows; one perfect pseudo-row per label)`, rows, matrix };
}

/** Fine classes (sorted), their indices per row, and the label each belongs to; a fine label under two labels is an error. */
function fineClasses(fine: readonly string[], y: readonly string[], labels: readonly string[]): { classes: string[]; yi: number[]; outputs: number[] } {
  if (fine.length !== y.length) throw new RangeError(`trainLinear: ${fine.length} fine labels for ${y.length} rows`);
  const parent = new Map<string, string>();
  fine.forEach((f, i) => {
    if (typeof f !== 'string' || f === '' || f === '__proto__') throw new RangeError(`trainLinear: fine label of row ${i} must be a non-empty string`);
    const p = parent.get(f);
    if (p !== undefined && p !== y[i]) throw new RangeError(`trainLinear: fine label ${JSON.stringify(f)} is under both ${JSON.stringify(p)} and ${JSON.stringify(y[i])}`);
    parent.set(f, y[i]!);
  });
  const classes = [...parent.keys()].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  return { classes, yi: fine.map((f) => index.get(f)!), outputs: classes.map((c) => labelIndex.get(parent.get(c)!)!) };
}

/** The LinearOptions members of `opts` (nothing else), defaults filled in. */
export function linearOptions(opts: Partial<LinearOptions>): LinearOptions {
  return withDefaults(DEFAULT_LINEAR_OPTIONS, opts);
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
function argmaxOf(z: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < z.length; c++) if (z[c]! > z[best]!) best = c;
  return best;
}
