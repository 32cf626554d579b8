/**
 * Random forest on embeddings (ml-random-forest 2.1.0), stored as a 'rf' classifier artifact.
 *
 * Bounded training (docs/classifiers.md, "Random forest"): at most `maxRows` rows (stratified
 * subsample), features binned into `bins` quantile bins and each split threshold proposed once
 * (src/classify/forest-speed.ts), a depth limit, and a fraction of the features per tree. The
 * library samples the features once per tree, not at each split.
 *
 * Pitfalls of the library, handled here:
 * - `predictProbability()` drops the first tree's vote (its reduce has no initial value, so tree 0's
 *   prediction becomes the accumulator). Probabilities here are vote shares over ALL trees.
 * - Labels must be class indices 0..k-1: labels are sorted and mapped to indices.
 *
 * Prediction does not use the library: the trees are flattened into typed arrays and walked
 * directly (a few microseconds per comment for 50 trees of depth 12).
 */
import { RandomForestClassifier } from 'ml-random-forest';
import { z } from 'zod';
import { PortraitError } from '../util/errors.js';
import { artifactConfusion, finalizeArtifact, type ClassifierArtifact } from './artifact.js';
import { binRows, quantileEdges, rawThreshold, withDistinctSplits } from '../train/forest-speed.js';
import { stratifiedCap, take } from '../train/split.js';
import { checkTrainingSet, trainingFingerprint } from '../train/training-set.js';
import type { Classifier } from './types.js';

export const FOREST_LIBRARY = 'ml-random-forest@2.1.0';

export interface ForestOptions {
  /** Number of trees. Default 50. */
  nEstimators: number;
  /** Features per tree: a fraction in (0, 1) or an integer count (> 1). Default 0.2. */
  maxFeatures: number;
  /** Maximum depth of each tree. Default 12. */
  maxDepth: number;
  /** A node with at most this many rows becomes a leaf. Default 3. */
  minNumSamples: number;
  /** Minimum Gini gain to split. Default 0.01. */
  gainThreshold: number;
  /** Seed of row bagging and feature sampling (32-bit integer). Default 42. */
  seed: number;
  /** Bootstrap the rows of each tree. Default true. */
  useSampleBagging: boolean;
  /** Quantile bins per feature for training (0 = raw values, the library's own slow search). Default 16. */
  bins: number;
  /** Train on at most this many rows (stratified subsample, seeded). Default 1500. */
  maxRows: number;
}

export const DEFAULT_FOREST_OPTIONS: ForestOptions = {
  nEstimators: 50,
  maxFeatures: 0.2,
  maxDepth: 12,
  minNumSamples: 3,
  gainThreshold: 0.01,
  seed: 42,
  useSampleBagging: true,
  bins: 16,
  maxRows: 1500,
};

export interface TrainForestOptions extends Partial<ForestOptions> {
  /** The embedder that produced X (Embedder.id and dimension). */
  embedder: { id: string; dim: number };
  /** ISO time stamped into the artifact (default: now). Not part of the version. */
  createdAt?: string;
  /** Evaluation results to record in the artifact. */
  metrics?: ClassifierArtifact['metrics'];
}

// ------------------------------------------------------------------------------------------------
// Model JSON inside the artifact: compact trees (no per-node copies of the options).

export interface ForestSplit {
  splitColumn: number;
  splitValue: number;
  left: ForestNode;
  right: ForestNode;
}
export interface ForestLeaf {
  /** Class distribution of the leaf's training rows, indexed by label index (may be shorter than labels). */
  distribution: number[];
}
export type ForestNode = ForestSplit | ForestLeaf;

export interface ForestModel {
  library: string;
  treeOptions: { maxDepth: number; minNumSamples: number; gainThreshold: number };
  /** Per tree: the embedding dimensions it reads (its columns, in order) and its root. */
  trees: Array<{ features: number[]; root: ForestNode }>;
}

const MAX_TREE_DEPTH = 256;

const ForestModelShape = z.strictObject({
  library: z.string().min(1),
  treeOptions: z.strictObject({ maxDepth: z.number().positive(), minNumSamples: z.number().nonnegative(), gainThreshold: z.number().nonnegative() }),
  trees: z.array(z.strictObject({ features: z.array(z.int().min(0)).min(1), root: z.unknown() })).min(1),
});

/** Structural check of one tree; returns a problem or undefined. Iterative over an explicit stack. */
function checkTree(root: unknown, nFeatures: number, nLabels: number): string | undefined {
  const stack: Array<{ node: unknown; depth: number; path: string }> = [{ node: root, depth: 0, path: 'root' }];
  while (stack.length > 0) {
    const { node, depth, path } = stack.pop()!;
    if (depth > MAX_TREE_DEPTH) return `${path}: deeper than ${MAX_TREE_DEPTH}`;
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return `${path}: not an object`;
    const n = node as Record<string, unknown>;
    if ('distribution' in n) {
      const d = n.distribution;
      if (!Array.isArray(d) || d.length === 0 || d.length > nLabels || !d.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) {
        return `${path}.distribution: expected 1-${nLabels} non-negative numbers`;
      }
      continue;
    }
    const { splitColumn, splitValue } = n;
    if (typeof splitColumn !== 'number' || !Number.isInteger(splitColumn) || splitColumn < 0 || splitColumn >= nFeatures) {
      return `${path}.splitColumn: expected an integer in [0, ${nFeatures})`;
    }
    if (typeof splitValue !== 'number' || !Number.isFinite(splitValue)) return `${path}.splitValue: expected a finite number`;
    stack.push({ node: n.left, depth: depth + 1, path: `${path}.left` }, { node: n.right, depth: depth + 1, path: `${path}.right` });
  }
  return undefined;
}

/** Validate the 'rf' model member of an artifact against its labels and dimension. */
export function parseForestModel(model: unknown, labels: readonly string[], dim: number): ForestModel {
  const r = ForestModelShape.safeParse(model);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`model.${i.path.map(String).join('.')}: ${i.message}`);
  }
  r.data.trees.forEach((t, i) => {
    const bad = t.features.find((f) => f >= dim);
    if (bad !== undefined) throw new Error(`model.trees[${i}].features: index ${bad} is outside the ${dim}-dim embedding`);
    const problem = checkTree(t.root, t.features.length, labels.length);
    if (problem) throw new Error(`model.trees[${i}].${problem}`);
  });
  return r.data as ForestModel;
}

// ------------------------------------------------------------------------------------------------
// Conversion between the library's JSON and the compact model.

interface LibNode {
  splitColumn?: number;
  splitValue?: number;
  left?: LibNode;
  right?: LibNode;
  distribution?: number[][] | { to2DArray(): number[][] };
}

function compactNode(node: LibNode): ForestNode {
  if (node.distribution !== undefined) {
    const d = Array.isArray(node.distribution) ? node.distribution : node.distribution.to2DArray();
    return { distribution: [...(d[0] ?? [])] };
  }
  return { splitColumn: node.splitColumn!, splitValue: node.splitValue!, left: compactNode(node.left!), right: compactNode(node.right!) };
}

// ------------------------------------------------------------------------------------------------
// Training

export { trainingFingerprint };

function checkOptions(o: ForestOptions): void {
  const bad = (what: string): never => {
    throw new RangeError(`trainForest: ${what}`);
  };
  if (!Number.isInteger(o.nEstimators) || o.nEstimators < 1) bad(`nEstimators must be an integer >= 1, got ${o.nEstimators}`);
  if (!(o.maxFeatures > 0)) bad(`maxFeatures must be > 0, got ${o.maxFeatures}`);
  if (o.maxFeatures > 1 && !Number.isInteger(o.maxFeatures)) bad(`maxFeatures above 1 must be an integer count, got ${o.maxFeatures}`);
  if (!(o.maxDepth >= 1)) bad(`maxDepth must be >= 1, got ${o.maxDepth}`);
  if (!Number.isInteger(o.seed) || o.seed < -(2 ** 31) || o.seed >= 2 ** 31) bad(`seed must be a 32-bit integer, got ${o.seed}`);
  if (!Number.isInteger(o.bins) || o.bins < 0 || o.bins === 1 || o.bins > 65536) bad(`bins must be 0 (off) or an integer in [2, 65536], got ${o.bins}`);
  if (!Number.isInteger(o.maxRows) || o.maxRows < 2) bad(`maxRows must be an integer >= 2, got ${o.maxRows}`);
}

/** Map a binned tree's thresholds back to raw values (see forest-speed.ts). */
function unbin(node: ForestNode, features: readonly number[], edges: readonly number[][]): ForestNode {
  if ('distribution' in node) return node;
  return {
    splitColumn: node.splitColumn,
    splitValue: rawThreshold(edges[features[node.splitColumn]!]!, node.splitValue),
    left: unbin(node.left, features, edges),
    right: unbin(node.right, features, edges),
  };
}

/**
 * Train a forest on embeddings X with string labels y and return a finalised 'rf' artifact.
 * Deterministic for a given (X, y, options): same data and settings give the same version.
 */
export function trainForest(X: readonly (Float32Array | readonly number[])[], y: readonly string[], opts: TrainForestOptions): ClassifierArtifact {
  const o = forestOptions(opts);
  checkOptions(o);
  const { labels, dim } = checkTrainingSet(X, y, opts.embedder.dim, 'trainForest');
  const keep = stratifiedCap(y, o.maxRows, o.seed);
  const Xs = keep.length === X.length ? X : take(X, keep);
  const ys = keep.length === y.length ? y : take(y, keep);
  const index = new Map(labels.map((l, i) => [l, i]));
  const yi = ys.map((l) => index.get(l)!);
  const nFeatures = o.maxFeatures <= 1 ? Math.floor(dim * o.maxFeatures) : o.maxFeatures;
  if (nFeatures < 1 || nFeatures > dim) throw new RangeError(`trainForest: maxFeatures ${o.maxFeatures} selects ${nFeatures} of ${dim} features`);

  const edges = o.bins > 0 ? quantileEdges(Xs, o.bins) : undefined;
  const rows = edges ? binRows(Xs, edges) : Xs.map((x) => Array.from(x));
  const treeOptions = { maxDepth: o.maxDepth, minNumSamples: o.minNumSamples, gainThreshold: o.gainThreshold };
  const forest = new RandomForestClassifier({
    nEstimators: o.nEstimators,
    maxFeatures: o.maxFeatures,
    replacement: false,
    seed: o.seed,
    useSampleBagging: o.useSampleBagging,
    noOOB: true,
    treeOptions,
  });
  withDistinctSplits(() => forest.train(rows, yi));
  const lib = JSON.parse(JSON.stringify(forest.toJSON())) as { baseModel: { indexes: number[][]; estimators: Array<{ root: LibNode }> } };
  const model: ForestModel = {
    library: FOREST_LIBRARY,
    treeOptions,
    trees: lib.baseModel.estimators.map((e, i) => {
      const features = lib.baseModel.indexes[i]!;
      const root = compactNode(e.root);
      return { features, root: edges ? unbin(root, features, edges) : root };
    }),
  };
  return finalizeArtifact({
    format: 'portrait-classifier',
    formatVersion: 1,
    kind: 'rf',
    labels,
    embedder: { id: opts.embedder.id, dim },
    hyperParameters: { ...o, featuresPerTree: nFeatures, replacement: false, library: FOREST_LIBRARY, rowsUsed: rows.length },
    createdAt: opts.createdAt ?? new Date().toISOString(),
    training: { rows: rows.length, fingerprint: trainingFingerprint(Xs, ys) },
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    model: model as unknown as Record<string, unknown>,
  });
}

/** The forest settings of `opts` (only the ForestOptions keys), defaults filled in. */
export function forestOptions(opts: Partial<ForestOptions>): ForestOptions {
  const o = { ...DEFAULT_FOREST_OPTIONS };
  for (const k of Object.keys(DEFAULT_FOREST_OPTIONS) as Array<keyof ForestOptions>) {
    const v = opts[k];
    if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  }
  return o;
}

// ------------------------------------------------------------------------------------------------
// Prediction

/** Trees flattened into typed arrays: node i splits on feature[i] at threshold[i], or is a leaf of class leaf[i]. */
interface FlatForest {
  roots: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  leaf: Int32Array;
}

function flatten(model: ForestModel): FlatForest {
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const leaf: number[] = [];
  const roots: number[] = [];
  for (const t of model.trees) {
    const add = (): number => {
      feature.push(-1);
      threshold.push(0);
      left.push(-1);
      right.push(-1);
      leaf.push(-1);
      return feature.length - 1;
    };
    const stack: Array<{ node: ForestNode; at: number }> = [{ node: t.root, at: add() }];
    roots.push(stack[0]!.at);
    while (stack.length > 0) {
      const { node, at } = stack.pop()!;
      if ('distribution' in node) {
        let best = 0;
        node.distribution.forEach((x, i) => {
          if (x > node.distribution[best]!) best = i;
        });
        leaf[at] = best;
        continue;
      }
      feature[at] = t.features[node.splitColumn]!;
      threshold[at] = node.splitValue;
      const l = add();
      const r = add();
      left[at] = l;
      right[at] = r;
      stack.push({ node: node.left, at: l }, { node: node.right, at: r });
    }
  }
  return {
    roots: Int32Array.from(roots),
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    leaf: Int32Array.from(leaf),
  };
}

export class ForestClassifier implements Classifier {
  readonly kind = 'rf' as const;
  readonly version: string;
  readonly labels: readonly string[];
  readonly embedderId: string;
  readonly dim: number;
  readonly confusion: Classifier['confusion'];
  readonly nTrees: number;
  private readonly flat: FlatForest;

  constructor(artifact: ClassifierArtifact) {
    if (artifact.kind !== 'rf') throw new PortraitError('CLASSIFIER_INVALID', `expected an 'rf' artifact, got '${artifact.kind}'`);
    const model = parseForestModel(artifact.model, artifact.labels, artifact.embedder.dim);
    this.version = artifact.version;
    this.labels = Object.freeze([...artifact.labels]);
    this.embedderId = artifact.embedder.id;
    this.dim = artifact.embedder.dim;
    this.confusion = artifactConfusion(artifact);
    this.nTrees = model.trees.length;
    this.flat = flatten(model);
  }

  /** Per embedding, the number of trees voting for each label (label order). Every tree votes. */
  votes(embeddings: readonly Float32Array[]): number[][] {
    const { roots, feature, threshold, left, right, leaf } = this.flat;
    return embeddings.map((e, i) => {
      if (e.length !== this.dim) {
        throw new PortraitError('CLASSIFIER_MISMATCH', `forest ${this.version} expects ${this.dim}-dim embeddings from ${this.embedderId}; embedding ${i} has ${e.length}`);
      }
      const counts = new Array<number>(this.labels.length).fill(0);
      for (let t = 0; t < roots.length; t++) {
        let n = roots[t]!;
        while (feature[n]! >= 0) n = e[feature[n]!]! < threshold[n]! ? left[n]! : right[n]!;
        counts[leaf[n]!]! += 1;
      }
      return counts;
    });
  }

  predict(embeddings: readonly Float32Array[]): Record<string, number>[] {
    return this.votes(embeddings).map((c) => {
      const out: Record<string, number> = {};
      this.labels.forEach((l, k) => (out[l] = c[k]! / this.nTrees));
      return out;
    });
  }
}
