/**
 * Making ml-random-forest 2.1.0 train in bounded time (docs/classifiers.md, "Random forest"):
 *
 * 1. Quantile binning: each embedding dimension is mapped to one of `bins` quantile bins of the
 *    training rows before training, so a node has at most bins-1 distinct thresholds per feature.
 *    After training, every threshold "bin < v" is turned back into a threshold on the raw value
 *    ("x < edge"), which is exactly equivalent: prediction needs no binning.
 * 2. Distinct split candidates: the library's `featureSplit` proposes a threshold between every two
 *    neighbouring rows whose labels differ, duplicates included — with binned values that is almost
 *    every row, and each candidate costs a pass over the node's rows. `withDistinctSplits` wraps it
 *    (for the duration of one training call) to drop repeated candidates. Repeats have the same
 *    gain and the library keeps the first best, so the trees are identical, only cheaper (unit test).
 */
import { RandomForestClassifier } from 'ml-random-forest';

type SplitFn = (this: unknown, x: number[], y: number[]) => number[];
interface TreeNodeProto {
  featureSplit: SplitFn;
}

let proto: TreeNodeProto | null | undefined;

/** The library's TreeNode prototype, found from a one-tree forest trained on four rows. */
function treeNodePrototype(): TreeNodeProto | null {
  if (proto !== undefined) return proto;
  try {
    const tiny = new RandomForestClassifier({ nEstimators: 1, seed: 1, noOOB: true, useSampleBagging: false });
    tiny.train(
      [
        [0, 1],
        [1, 0],
        [0, 0],
        [1, 1],
      ],
      [0, 1, 0, 1],
    );
    const root = (tiny as unknown as { estimators: Array<{ root: object }> }).estimators[0]?.root;
    const p = root ? (Object.getPrototypeOf(root) as Partial<TreeNodeProto>) : undefined;
    proto = p && typeof p.featureSplit === 'function' ? (p as TreeNodeProto) : null;
  } catch {
    proto = null;
  }
  return proto;
}

/** Run `fn` (synchronous) with the library proposing each split threshold once. */
export function withDistinctSplits<T>(fn: () => T): T {
  const p = treeNodePrototype();
  if (!p) return fn(); // an unknown library layout: correct, just slower
  const original = p.featureSplit;
  p.featureSplit = function distinct(this: unknown, x: number[], y: number[]): number[] {
    const all = original.call(this, x, y);
    const out: number[] = [];
    for (const v of all) if (out.length === 0 || out[out.length - 1] !== v) out.push(v);
    return out;
  };
  try {
    return fn();
  } finally {
    p.featureSplit = original;
  }
}

/** Per feature: the increasing cut points of `bins` quantile bins of the values (duplicates merged). */
export function quantileEdges(rows: readonly ArrayLike<number>[], bins: number): number[][] {
  if (!Number.isInteger(bins) || bins < 2) throw new RangeError(`bins must be an integer >= 2, got ${bins}`);
  const d = rows[0]?.length ?? 0;
  const n = rows.length;
  const edges: number[][] = [];
  const col = new Float64Array(n);
  for (let f = 0; f < d; f++) {
    for (let i = 0; i < n; i++) col[i] = rows[i]![f]!;
    col.sort();
    const e: number[] = [];
    for (let q = 1; q < bins; q++) {
      const t = col[Math.floor((q * n) / bins)]!;
      if (t > col[0]! && (e.length === 0 || t > e[e.length - 1]!)) e.push(t);
    }
    edges.push(e);
  }
  return edges;
}

/** Bin of x for one feature: the number of edges <= x (0 .. edges.length). */
export function binOf(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (edges[m]! <= x) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** Every row with each value replaced by its bin index. */
export function binRows(rows: readonly ArrayLike<number>[], edges: readonly number[][]): number[][] {
  return rows.map((r) => edges.map((e, f) => binOf(e, r[f]!)));
}

/**
 * The raw threshold equivalent to "bin < v" for a library split value v (a midpoint between two
 * bin indices, or a bin index): bin(x) < ceil(v)  <=>  x < edges[ceil(v) - 1].
 */
export function rawThreshold(edges: readonly number[], v: number): number {
  const m = Math.ceil(v);
  if (m < 1) return -Infinity; // nothing goes left (never produced by the library)
  if (m > edges.length) return Infinity; // everything goes left (never produced by the library)
  return edges[m - 1]!;
}
