/**
 * Training of the random forest on embeddings (ml-random-forest 2.1.0), stored as a 'rf' classifier
 * artifact; prediction and the model format are src/classify/forest.ts.
 *
 * Bounded training (docs/classifiers.md, "Random forest"): at most `maxRows` rows (stratified
 * subsample), features binned into `bins` quantile bins and each split threshold proposed once
 * (src/train/forest-speed.ts), a depth limit, and a fraction of the features per tree. The
 * library samples the features once per tree, not at each split.
 *
 * Labels must be class indices 0..k-1 for the library: labels are sorted and mapped to indices.
 * The trees are converted from the library's JSON into the compact model of the artifact.
 */
import { RandomForestClassifier } from 'ml-random-forest';
import { finalizeArtifact, type ClassifierArtifact } from '../classify/artifact.js';
import type { ForestModel, ForestNode } from '../classify/forest.js';
import { binRows, quantileEdges, rawThreshold, withDistinctSplits } from './forest-speed.js';
import { stratifiedCap, take } from './split.js';
import { checkTrainingSet, trainingFingerprint, withDefaults } from './training-set.js';

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
  return withDefaults(DEFAULT_FOREST_OPTIONS, opts);
}
