/**
 * Measuring a zero-shot taxonomy's calibration (`portrait calibrate`, src/eval/calibrate-run.ts):
 * its confusion on labelled rows. The calibration file's format, reading it and applying it are
 * src/classify/zero-shot-calibration.ts (what a processor needs).
 */
import type { ZeroShotCalibration } from '../classify/zero-shot-calibration.js';
import type { ZeroShotClassifier } from '../classify/zero-shot.js';
import { heldOutConfusion } from './linear-train.js';

/**
 * The confusion of `zs` on labelled rows: `probs` are its predictions (label order of `zs.labels`),
 * `truth` the index of each row's label. One perfect pseudo-row per label keeps a label with a
 * handful of rows from being taken as confused with whatever those rows hit.
 */
export function measureConfusion(zs: Pick<ZeroShotClassifier, 'labels'>, probs: readonly ArrayLike<number>[], truth: readonly number[]): ZeroShotCalibration['confusion'] {
  const c = heldOutConfusion(probs, truth, zs.labels.length);
  return { source: `${probs.length} labelled calibration rows; one perfect pseudo-row per label`, rows: c.rows, matrix: c.matrix };
}

/** Stop when every label's mean probability is within this factor of 1/k (|ln(k·mean)| below it). */
const BALANCE_TOLERANCE = 1e-4;
const BALANCE_MAX_STEPS = 1000;

/**
 * A label bias that balances a zero-shot taxonomy on unlabelled comments of one language: offsets
 * b (label order) such that softmax((s − b) / temperature), averaged over the rows, gives every
 * label 1/k. Fixed-point steps b ← b + temperature·ln(k·mean_l), a prior-matching (EM-style)
 * update; the offsets are centred (they change no prediction by a constant) and rounded to 1e-6.
 * Labels are not used: on rows whose labels are balanced this removes the pull of "hub"
 * prototypes without fitting 16 free parameters to a handful of labelled rows each.
 */
export function balanceBias(similarities: readonly (readonly number[])[], temperature: number): number[] {
  const k = similarities[0]?.length ?? 0;
  if (similarities.length === 0 || k === 0) return [];
  const b = new Float64Array(k);
  const p = new Float64Array(k);
  const m = new Float64Array(k);
  for (let step = 0; step < BALANCE_MAX_STEPS; step++) {
    m.fill(0);
    for (const s of similarities) {
      let max = -Infinity;
      for (let j = 0; j < k; j++) max = Math.max(max, (s[j]! - b[j]!) / temperature);
      let sum = 0;
      for (let j = 0; j < k; j++) sum += p[j] = Math.exp((s[j]! - b[j]!) / temperature - max);
      for (let j = 0; j < k; j++) m[j]! += p[j]! / sum;
    }
    let worst = 0;
    for (let j = 0; j < k; j++) {
      const g = Math.log((k * m[j]!) / similarities.length);
      worst = Math.max(worst, Math.abs(g));
      b[j]! += 0.5 * temperature * g;
    }
    if (worst < BALANCE_TOLERANCE) break;
  }
  const centre = b.reduce((a, x) => a + x, 0) / k;
  return Array.from(b, (x) => Math.round((x - centre) * 1e6) / 1e6);
}
