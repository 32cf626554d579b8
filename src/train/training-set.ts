/** Checks and fingerprints shared by every trainer (pure). */
import { createHash } from 'node:crypto';
import { ClassLabel } from '../classify/artifact.js';

export type TrainingRows = readonly (Float32Array | readonly number[])[];

/** sha256 (16 hex) of the training set: labels and float32 values in row order. */
export function trainingFingerprint(X: readonly ArrayLike<number>[], y: readonly string[]): string {
  const h = createHash('sha256');
  X.forEach((x, i) => {
    h.update(`${JSON.stringify(y[i])}\n`);
    h.update(new Uint8Array(Float32Array.from(x as ArrayLike<number>).buffer));
  });
  return h.digest('hex').slice(0, 16);
}

/**
 * Validate rows and labels (same count, every row `dim` finite numbers, valid labels, at least two
 * classes) and map labels to indices of the sorted label list. Problems are RangeErrors naming `who`.
 */
export function checkTrainingSet(X: TrainingRows, y: readonly string[], dim: number, who: string): { labels: string[]; yi: number[]; dim: number } {
  if (X.length !== y.length) throw new RangeError(`${who}: ${X.length} rows but ${y.length} labels`);
  if (X.length < 2) throw new RangeError(`${who}: needs at least 2 rows`);
  X.forEach((x, i) => {
    if (x.length !== dim) throw new RangeError(`${who}: row ${i} has ${x.length} dimensions; the embedder has ${dim}`);
    for (let j = 0; j < x.length; j++) if (!Number.isFinite(x[j]!)) throw new RangeError(`training row ${i} has a non-finite value`);
  });
  y.forEach((l, i) => {
    const r = ClassLabel.safeParse(l);
    if (!r.success) throw new RangeError(`${who}: label of row ${i}: ${r.error.issues[0]?.message}`);
  });
  const labels = [...new Set(y)].sort();
  if (labels.length < 2) throw new RangeError(`${who}: needs at least 2 distinct labels`);
  const index = new Map(labels.map((l, i) => [l, i]));
  return { labels, yi: y.map((l) => index.get(l)!), dim };
}

/** The keys of `defaults` taken from `opts` where set (nothing else), the defaults elsewhere: a trainer's own options out of a larger bag. */
export function withDefaults<T extends object>(defaults: Readonly<T>, opts: Partial<T>): T {
  const o = { ...defaults } as T;
  for (const k of Object.keys(defaults) as Array<keyof T>) {
    const v = opts[k];
    if (v !== undefined) o[k] = v as T[keyof T];
  }
  return o;
}
