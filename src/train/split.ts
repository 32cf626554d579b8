/**
 * Stratified sampling of labelled rows (pure, seeded): hold-out splits, k folds and row caps that
 * keep every class's share. Indices refer to the caller's arrays; results are sorted ascending so a
 * subset keeps the original row order.
 */
import { createRng } from '../sim/random.js';

/** Row indices per label, labels in sorted order. */
export function indicesByLabel(y: readonly string[]): Map<string, number[]> {
  const by = new Map<string, number[]>();
  y.forEach((l, i) => {
    const list = by.get(l);
    if (list) list.push(i);
    else by.set(l, [i]);
  });
  return new Map([...by.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

/**
 * Split into train and test parts, `ratio` of each class in test (rounded, at least one row of a
 * class with 2+ rows, never all of a class). Deterministic for a seed.
 */
export function stratifiedHoldout(y: readonly string[], ratio: number, seed: number): { train: number[]; test: number[] } {
  if (!(ratio > 0 && ratio < 1)) throw new RangeError(`holdout ratio must be in (0, 1), got ${ratio}`);
  const rng = createRng(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const idx of indicesByLabel(y).values()) {
    const shuffled = rng.shuffle([...idx]);
    const k = idx.length < 2 ? 0 : Math.min(idx.length - 1, Math.max(1, Math.round(idx.length * ratio)));
    test.push(...shuffled.slice(0, k));
    train.push(...shuffled.slice(k));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

/**
 * k stratified folds: each class's rows are shuffled and dealt round-robin, continuing where the
 * previous class stopped, so fold sizes differ by at most one. Every row is in exactly one fold.
 */
export function stratifiedFolds(y: readonly string[], k: number, seed: number): number[][] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`folds must be an integer >= 2, got ${k}`);
  if (k > y.length) throw new RangeError(`cannot make ${k} folds of ${y.length} rows`);
  const rng = createRng(seed);
  const folds: number[][] = Array.from({ length: k }, () => []);
  let next = 0;
  for (const idx of indicesByLabel(y).values()) {
    for (const i of rng.shuffle([...idx])) {
      folds[next]!.push(i);
      next = (next + 1) % k;
    }
  }
  return folds.map((f) => f.sort((a, b) => a - b));
}

/**
 * At most `max` rows, each class keeping its share (largest remainders get the rounding), every
 * class at least one row. Returns all indices when there are at most `max` rows.
 */
export function stratifiedCap(y: readonly string[], max: number, seed: number): number[] {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`row cap must be an integer >= 1, got ${max}`);
  const all = y.map((_, i) => i);
  if (y.length <= max) return all;
  const groups = [...indicesByLabel(y).values()];
  if (groups.length > max) throw new RangeError(`row cap ${max} is below the number of classes (${groups.length})`);
  // every class gets 1, the rest is shared in proportion to the remaining rows (largest remainder)
  const rest = max - groups.length;
  const spare = groups.map((g) => g.length - 1);
  const totalSpare = spare.reduce((s, v) => s + v, 0);
  const exact = spare.map((s) => (totalSpare === 0 ? 0 : (s * rest) / totalSpare));
  const quota = exact.map((e) => Math.floor(e));
  let left = rest - quota.reduce((s, v) => s + v, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left === 0) break;
    if (quota[i]! < spare[i]!) {
      quota[i]!++;
      left--;
    }
  }
  const rng = createRng(seed);
  const out: number[] = [];
  groups.forEach((g, i) => out.push(...rng.shuffle([...g]).slice(0, 1 + quota[i]!)));
  return out.sort((a, b) => a - b);
}

/** Pick the rows at `idx`. */
export function take<T>(rows: readonly T[], idx: readonly number[]): T[] {
  return idx.map((i) => rows[i]!);
}
