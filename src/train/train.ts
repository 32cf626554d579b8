/**
 * Training procedures over embeddings (pure): one kind ('rf', 'linear'), or 'auto':
 *
 * - at most AUTO_FOREST_MAX_ROWS training rows: both kinds scored by stratified k-fold
 *   cross-validation on the training rows, the better macro-F1 trained on all of them;
 * - more rows: the linear head alone, its class weighting and l2 chosen on its validation slice.
 *   The forest scored 14-40 cross-validated points below it on every reference set (and 5-29 on
 *   60-250-row subsets of them), and its cross-validation costs minutes where the head's fit costs
 *   seconds; `--classifier rf` still trains it.
 *
 * Either way the candidates, the scores and the reason are recorded in the artifact's `selection`.
 */
import { classificationReport, topLabel } from './metrics.js';
import { amendArtifact, type ClassifierArtifact } from '../classify/artifact.js';
import { trainForest } from './forest-train.js';
import { trainLinearWithReport, type LinearFitReport } from './linear-train.js';
import { classifierFromArtifact } from '../classify/load.js';
import { foldThreads, runFoldJobs, type FoldJob, type FoldOptions } from './cv-pool.js';
import type { ChunkRunner } from './linear-fit.js';
import { ObjectivePool, objectiveThreads } from './objective-pool.js';
import { stratifiedFolds, take } from './split.js';
import type { TrainingRows } from './training-set.js';
import type { ModelKind, TrainOptions } from './train-options.js';

export { TRAIN_KINDS, type TrainKind, type ModelKind, type TrainOptions } from './train-options.js';

/** Folds of the 'auto' cross-validation. */
export const DEFAULT_AUTO_FOLDS = 3;
/**
 * 'auto' cross-validates the forest only up to this many training rows: where its 3 folds cost a
 * few seconds (2.4-2.8 s on 60 rows, 4.9-8.4 s on 120, 12-28 s on 250, 2 shared cores), and where
 * the one gap to the linear head under 10 points was (sib200_en, 60 rows: 0.27 against 0.32).
 */
export const AUTO_FOREST_MAX_ROWS = 100;
/** Below this macro-F1 difference the candidates tie and the linear head wins (cheaper, calibrated). */
export const TIE_MARGIN = 0.005;

export interface FoldScore {
  fold: number;
  rows: number;
  accuracy: number;
  macroF1: number;
  seconds: number;
}

export interface CvResult {
  kind: ModelKind;
  folds: FoldScore[];
  macroF1: { mean: number; std: number };
  accuracy: { mean: number; std: number };
  /** Out-of-fold prediction of every row (row order). */
  predictions: string[];
  seconds: number;
}

export interface TrainResult {
  artifact: ClassifierArtifact;
  seconds: number;
  /** 'auto': the cross-validation of each candidate. */
  cv?: Record<ModelKind, CvResult>;
  linear?: LinearFitReport;
}

const now = () => performance.now() / 1000;

function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  const v = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, xs.length - 1);
  return { mean, std: xs.length > 1 ? Math.sqrt(v) : 0 };
}

/**
 * The linear head's objective runs on worker threads (src/train/objective-pool.ts) from this many
 * training rows: below, an evaluation takes milliseconds and starting a worker costs more.
 */
export const THREADED_MIN_ROWS = 2048;

/** Train one kind on all the given rows (the linear head's objective on `runner`: same result, maybe sooner). */
export function fitKind(kind: ModelKind, X: TrainingRows, y: readonly string[], o: TrainOptions, runner?: ChunkRunner): { artifact: ClassifierArtifact; linear?: LinearFitReport } {
  const base = { embedder: o.embedder, ...(o.createdAt ? { createdAt: o.createdAt } : {}) };
  if (kind === 'rf') return { artifact: trainForest(X, y, { ...base, seed: o.seed, ...o.forest }) };
  const r = trainLinearWithReport(X, y, { ...base, seed: o.seed, ...o.linear, fine: o.fine, progress: o.progress, runner });
  return { artifact: r.artifact, linear: r.report };
}

/** fitKind, the linear head's objective on worker threads when the rows are many and there is more than one thread (PORTRAIT_TRAIN_THREADS). */
async function fitKindThreaded(kind: ModelKind, X: TrainingRows, y: readonly string[], o: TrainOptions): Promise<ReturnType<typeof fitKind>> {
  const threads = objectiveThreads();
  if (kind !== 'linear' || X.length < THREADED_MIN_ROWS || threads < 2) return fitKind(kind, X, y, o);
  let pool: ObjectivePool | undefined;
  try {
    pool = await ObjectivePool.open(threads);
  } catch (err) {
    o.onProgress?.(`objective workers failed to start (${err instanceof Error ? err.message : String(err)}); fitting on this thread`);
    return fitKind(kind, X, y, o);
  }
  try {
    o.onProgress?.(`fitting the linear head on ${pool.threads} threads`);
    return fitKind(kind, X, y, o, pool);
  } finally {
    await pool.close();
  }
}

/** One fold: train `kind` on every row not in `test`, predict the `test` rows. */
export function runFold(kind: ModelKind, X: TrainingRows, y: readonly string[], test: readonly number[], o: Omit<TrainOptions, 'kind'>): { predictions: string[]; seconds: number } {
  const t0 = now();
  const inTest = new Set(test);
  const train = y.map((_, i) => i).filter((i) => !inTest.has(i));
  const fine = o.fine ? take(o.fine, train) : undefined;
  const { artifact } = fitKind(kind, take(X, train), take(y, train), { ...o, kind, fine });
  const clf = classifierFromArtifact(artifact);
  const predictions = clf.predict(take(X, test).map((x) => (x instanceof Float32Array ? x : Float32Array.from(x)))).map(topLabel);
  return { predictions, seconds: now() - t0 };
}

function cvResult(kind: ModelKind, y: readonly string[], parts: readonly number[][], folds: ReadonlyArray<{ predictions: string[]; seconds: number }>): CvResult {
  const predictions = new Array<string>(y.length);
  const scores: FoldScore[] = parts.map((test, f) => {
    const pred = folds[f]!.predictions;
    test.forEach((i, k) => (predictions[i] = pred[k]!));
    const r = classificationReport(take(y, test), pred);
    return { fold: f + 1, rows: test.length, accuracy: r.accuracy, macroF1: r.macro.f1, seconds: folds[f]!.seconds };
  });
  return {
    kind,
    folds: scores,
    macroF1: meanStd(scores.map((s) => s.macroF1)),
    accuracy: meanStd(scores.map((s) => s.accuracy)),
    predictions,
    seconds: scores.reduce((s, f) => s + f.seconds, 0),
  };
}

/** Stratified k-fold cross-validation of one training procedure, on this thread. */
export function crossValidate(kind: ModelKind, X: TrainingRows, y: readonly string[], folds: number, o: TrainOptions): CvResult {
  const parts = stratifiedFolds(y, folds, o.seed);
  const results = parts.map((test, f) => {
    o.onProgress?.(`cross-validating ${kind}: fold ${f + 1}/${folds}`);
    return runFold(kind, X, y, test, o);
  });
  return cvResult(kind, y, parts, results);
}

/**
 * Cross-validation of several procedures on the same folds, the folds on worker threads (one per
 * core; PORTRAIT_CV_THREADS=1 for none). Same results as `crossValidate`, in about 1/cores the time.
 */
export async function crossValidateAll(kinds: readonly ModelKind[], X: TrainingRows, y: readonly string[], folds: number, o: TrainOptions): Promise<Record<string, CvResult>> {
  const parts = stratifiedFolds(y, folds, o.seed);
  const threads = foldThreads(kinds.length * folds);
  const out: Record<string, CvResult> = {};
  if (threads > 1) {
    const dim = X[0]?.length ?? 0;
    const flat = new Float32Array(X.length * dim);
    X.forEach((x, i) => flat.set(x, i * dim));
    const { onProgress, progress, kind: _kind, ...options } = o;
    // the forest folds first: they are the long ones
    const order = [...kinds].sort((a, b) => (a === 'rf' ? -1 : b === 'rf' ? 1 : 0));
    const jobs: FoldJob[] = order.flatMap((kind, k) => parts.map((test, f) => ({ id: k * folds + f, kind, X: flat, dim, y: [...y], test, options: JSON.parse(JSON.stringify(options)) as FoldOptions })));
    let done = 0;
    onProgress?.(`cross-validating ${order.join(' and ')}: ${jobs.length} folds on ${threads} threads`);
    const bar = progress?.('cross-validation', jobs.length);
    try {
      const results = await runFoldJobs(jobs, threads, (j) => {
        onProgress?.(`cross-validated ${j.kind} fold ${(j.id % folds) + 1}/${folds} (${++done}/${jobs.length})`);
        bar?.update(done);
      });
      order.forEach((kind, k) => (out[kind] = cvResult(kind, y, parts, results.slice(k * folds, (k + 1) * folds))));
      return out;
    } catch (err) {
      onProgress?.(`fold workers failed (${err instanceof Error ? err.message : String(err)}); cross-validating on this thread`);
    } finally {
      bar?.stop();
    }
  }
  // on this thread: the folds' own fits report no phases (they would interleave with the folds' count)
  const { progress, ...serial } = o;
  const bar = progress?.('cross-validation', kinds.length * folds);
  let done = 0;
  for (const kind of kinds) {
    const onProgress = (m: string) => {
      serial.onProgress?.(m);
      bar?.update(done++);
    };
    out[kind] = crossValidate(kind, X, y, folds, { ...serial, onProgress });
  }
  bar?.update(done);
  bar?.stop();
  return out;
}

const f3 = (x: number) => x.toFixed(3);

/** Train as asked; 'auto': see the head of this file. */
export async function trainClassifier(X: TrainingRows, y: readonly string[], o: TrainOptions): Promise<TrainResult> {
  const started = now();
  if (o.kind !== 'auto') {
    o.onProgress?.(`training ${o.kind} on ${X.length} rows`);
    const r = await fitKindThreaded(o.kind, X, y, o);
    return { artifact: r.artifact, seconds: now() - started, ...(r.linear ? { linear: r.linear } : {}) };
  }
  if (X.length > AUTO_FOREST_MAX_ROWS) {
    const reason = `linear head only: the forest is cross-validated only on at most ${AUTO_FOREST_MAX_ROWS} training rows (here ${X.length}); on the reference sets it scored 14-40 points below the linear head`;
    o.onProgress?.(`auto: ${reason}; training linear on ${X.length} rows`);
    const r = await fitKindThreaded('linear', X, y, o);
    const chosen = r.linear!.path?.find((p) => p.l2 === r.linear!.l2 && p.classWeight === r.linear!.classWeight);
    const selection = {
      method: 'the linear head alone: its class weighting and l2 chosen on a stratified validation slice of the training rows',
      metric: 'macro-F1',
      seed: o.seed,
      candidates: { linear: { validation: { l2: r.linear!.l2, classWeight: r.linear!.classWeight, ...(chosen ? { macroF1: chosen.macroF1 } : {}), fits: r.linear!.path?.length ?? 0 } } },
      winner: 'linear',
      reason,
    };
    const artifact = amendArtifact(r.artifact, { selection: JSON.parse(JSON.stringify(selection)) as Record<string, never> });
    return { artifact, seconds: now() - started, linear: r.linear! };
  }
  const folds = o.folds ?? DEFAULT_AUTO_FOLDS;
  const all = await crossValidateAll(['linear', 'rf'], X, y, folds, o);
  const cv = { linear: all.linear!, rf: all.rf! };
  const diff = cv.linear.macroF1.mean - cv.rf.macroF1.mean;
  const winner: ModelKind = diff >= -TIE_MARGIN ? 'linear' : 'rf';
  const loser: ModelKind = winner === 'linear' ? 'rf' : 'linear';
  const reason =
    Math.abs(diff) < TIE_MARGIN
      ? `tie within ${TIE_MARGIN} (linear ${f3(cv.linear.macroF1.mean)} vs rf ${f3(cv.rf.macroF1.mean)}): linear kept, cheaper to predict and calibrated`
      : `${winner} had the higher cross-validated macro-F1: ${f3(cv[winner].macroF1.mean)} ± ${f3(cv[winner].macroF1.std)} vs ${loser} ${f3(cv[loser].macroF1.mean)} ± ${f3(cv[loser].macroF1.std)}`;
  o.onProgress?.(`auto: ${reason}; training ${winner} on all ${X.length} rows`);
  const r = await fitKindThreaded(winner, X, y, o);
  const summary = (c: CvResult) => ({
    macroF1: c.macroF1,
    accuracy: c.accuracy,
    folds: c.folds.map((f) => ({ fold: f.fold, rows: f.rows, macroF1: f.macroF1, accuracy: f.accuracy })),
  });
  const selection = {
    method: `stratified ${folds}-fold cross-validation on the training rows`,
    metric: 'macro-F1',
    seed: o.seed,
    candidates: { linear: summary(cv.linear), rf: summary(cv.rf) },
    winner,
    reason,
  };
  const artifact = amendArtifact(r.artifact, { selection: JSON.parse(JSON.stringify(selection)) as Record<string, never> });
  return { artifact, seconds: now() - started, cv, ...(r.linear ? { linear: r.linear } : {}) };
}
