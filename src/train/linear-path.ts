/**
 * How the linear head chooses its class weighting and l2 on the validation slice (pure: the fits
 * are passed in). Docs: docs/models.md, "linear".
 *
 * - One weighting's **path**: the l2 grid strongest first, each fit warm-started from the one
 *   before. It stops once `patience` steps in a row score below its best validation macro-F1:
 *   weaker penalties only fit the training rows more closely, and they are the slow steps.
 * - classWeight 'auto': the first weighting's path runs; the second is **probed** once, at that
 *   path's best l2 and from its solution, and its own path runs only when the probe scores better
 *   (with a one-value grid the probe is that path).
 *   When every label has as many rows as every other, the two weightings are one problem and
 *   nothing is probed.
 * - The best fit wins: the higher validation macro-F1; on a tie the earlier, unless both have the
 *   same weighting and the later has the lower log-loss.
 */

export type ClassWeighting = 'balanced' | 'none';

/** One fit on the validation slice: 'path' a step of a regularisation path, 'probe' the other weighting at the first path's best l2. */
export interface PathStep {
  classWeight: ClassWeighting;
  l2: number;
  macroF1: number;
  logLoss: number;
  iterations: number;
  role: 'path' | 'probe';
}

/** What a fit returns: its scores and its solution (`state`), the warm start of the next. */
export interface FitOutcome<S> {
  macroF1: number;
  logLoss: number;
  iterations: number;
  state: S;
}

export interface PathPlan {
  /** l2 values, strongest first. */
  grid: readonly number[];
  /** One or two weightings, the first's path always runs. */
  weightings: readonly ClassWeighting[];
  patience: number;
  /** Every label has the same row count: the weightings are the same problem. */
  sameProblem: boolean;
}

export interface PathChoice<S> {
  steps: Array<PathStep & { state: S }>;
  best: PathStep & { state: S };
  /** With two weightings: why the second's path did not run (absent when it ran). */
  weighting?: string;
}

/** `a` beats `b`: a higher validation macro-F1, or the same with the same weighting and a lower log-loss (ties keep `b`, the earlier). */
export function betterStep(a: Pick<PathStep, 'macroF1' | 'logLoss' | 'classWeight'>, b: Pick<PathStep, 'macroF1' | 'logLoss' | 'classWeight'>): boolean {
  if (a.macroF1 > b.macroF1 + 1e-9) return true;
  return Math.abs(a.macroF1 - b.macroF1) <= 1e-9 && a.classWeight === b.classWeight && a.logLoss < b.logLoss;
}

/** Whether every label present has the same number of rows: then 'balanced' weights are all 1, the same problem as 'none'. */
export function sameWeights(yi: readonly number[], k: number): boolean {
  const counts = new Array<number>(k).fill(0);
  for (const c of yi) counts[c]!++;
  const present = counts.filter((c) => c > 0);
  return present.every((c) => c === present[0]);
}

/** Fits (at most) a plan can run: both paths in full and the probe. */
export function maxFits(plan: Pick<PathPlan, 'grid' | 'weightings'>): number {
  return plan.grid.length * plan.weightings.length + plan.weightings.length - 1;
}

/** Run the plan with `fitOne` (from `start` for each path) and return every fit and the best. */
export function choosePath<S>(plan: PathPlan, start: S, fitOne: (classWeight: ClassWeighting, l2: number, from: S) => FitOutcome<S>): PathChoice<S> {
  if (plan.grid.length === 0) throw new RangeError('choosePath: an empty l2 grid');
  if (plan.weightings.length < 1 || plan.weightings.length > 2) throw new RangeError('choosePath: one or two weightings');
  if (!(Number.isInteger(plan.patience) && plan.patience >= 1)) throw new RangeError(`choosePath: patience must be an integer >= 1, got ${plan.patience}`);
  const steps: PathChoice<S>['steps'] = [];
  const run = (classWeight: ClassWeighting, l2: number, from: S, role: PathStep['role']) => {
    const r = fitOne(classWeight, l2, from);
    const step = { classWeight, l2, macroF1: r.macroF1, logLoss: r.logLoss, iterations: r.iterations, role, state: r.state };
    steps.push(step);
    return step;
  };
  const path = (classWeight: ClassWeighting) => {
    let from = start;
    let best: PathChoice<S>['best'] | undefined;
    let below = 0;
    for (const l2 of plan.grid) {
      const step = run(classWeight, l2, from, 'path');
      from = step.state;
      if (!best || betterStep(step, best)) {
        best = step;
        below = 0;
      } else if (++below >= plan.patience) break;
    }
    return best!;
  };
  const first = path(plan.weightings[0]!);
  const second = plan.weightings[1];
  if (!second) return { steps, best: first };
  if (plan.sameProblem) return { steps, best: first, weighting: `every label has as many rows as every other: '${second}' is the same problem as '${first.classWeight}'` };
  const probe = run(second, first.l2, first.state, 'probe');
  if (!betterStep(probe, first)) {
    return { steps, best: first, weighting: `'${second}' probed at l2 ${first.l2}: validation macro-F1 ${probe.macroF1.toFixed(4)} vs ${first.macroF1.toFixed(4)}, its path not run` };
  }
  if (plan.grid.length === 1) return { steps, best: probe }; // the probe was its whole path
  const own = path(second);
  return { steps, best: betterStep(own, probe) ? own : probe };
}
