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
