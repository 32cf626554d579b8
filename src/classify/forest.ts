/**
 * Random forest on embeddings (ml-random-forest 2.1.0), stored as a 'rf' classifier artifact.
 *
 * Pitfalls of the library, handled here (docs/classifiers.md):
 * - `predictProbability()` drops the first tree's vote (its reduce has no initial value, so tree 0's
 *   prediction becomes the accumulator). Probabilities here are vote shares over ALL trees, computed
 *   from each tree's prediction on its own feature subset (`indexes[i]`).
 * - Features are sampled once per tree, not at every split; training cost grows with rows² x features
 *   x trees. The defaults (25 trees, 20% of the features, depth 12) keep training in seconds for a few
 *   hundred rows.
 * - Labels must be class indices 0..k-1: labels are sorted and mapped to indices.
 */
import { createHash } from 'node:crypto';
import { RandomForestClassifier } from 'ml-random-forest';
import { z } from 'zod';
import { PortraitError } from '../util/errors.js';
import { ClassLabel, finalizeArtifact, type ClassifierArtifact } from './artifact.js';
import type { Classifier } from './types.js';

export const FOREST_LIBRARY = 'ml-random-forest@2.1.0';

export interface ForestOptions {
  /** Number of trees. Default 25. */
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
}

export const DEFAULT_FOREST_OPTIONS: ForestOptions = {
  nEstimators: 25,
  maxFeatures: 0.2,
  maxDepth: 12,
  minNumSamples: 3,
  gainThreshold: 0.01,
  seed: 42,
  useSampleBagging: true,
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

function libraryNode(node: ForestNode): object {
  if ('distribution' in node) return { distribution: [node.distribution] };
  return { splitColumn: node.splitColumn, splitValue: node.splitValue, left: libraryNode(node.left), right: libraryNode(node.right) };
}

/** The slice of the library's trained/loaded forest this module uses. */
interface LibForest {
  indexes: number[][];
  estimators: Array<{ predict(rows: number[][]): number[] }>;
}

function toLibraryForest(model: ForestModel, nFeatures: number): LibForest {
  const options = { gainFunction: 'gini', splitFunction: 'mean', kind: 'classifier', ...model.treeOptions };
  const forest = RandomForestClassifier.load({
    name: 'RFClassifier',
    baseModel: {
      indexes: model.trees.map((t) => t.features),
      n: model.trees[0]!.features.length,
      replacement: false,
      maxFeatures: nFeatures,
      nEstimators: model.trees.length,
      treeOptions: model.treeOptions,
      isClassifier: true,
      seed: 0,
      useSampleBagging: true,
      noOOB: true,
      estimators: model.trees.map((t) => ({ name: 'DTClassifier', options, root: libraryNode(t.root) })),
    },
  } as unknown as Parameters<typeof RandomForestClassifier.load>[0]);
  return forest as unknown as LibForest;
}

// ------------------------------------------------------------------------------------------------
// Training

function toRows(X: readonly (Float32Array | readonly number[])[], dim: number): number[][] {
  return X.map((x, i) => {
    if (x.length !== dim) throw new RangeError(`trainForest: row ${i} has ${x.length} dimensions; the embedder has ${dim}`);
    const row = Array.from(x);
    if (!row.every(Number.isFinite)) throw new RangeError(`training row ${i} has a non-finite value`);
    return row;
  });
}

/** sha256 (16 hex) of the training set: labels and float32 values in row order. */
export function trainingFingerprint(X: readonly ArrayLike<number>[], y: readonly string[]): string {
  const h = createHash('sha256');
  X.forEach((x, i) => {
    h.update(`${JSON.stringify(y[i])}\n`);
    h.update(new Uint8Array(Float32Array.from(x as ArrayLike<number>).buffer));
  });
  return h.digest('hex').slice(0, 16);
}

function checkOptions(o: ForestOptions): void {
  const bad = (what: string): never => {
    throw new RangeError(`trainForest: ${what}`);
  };
  if (!Number.isInteger(o.nEstimators) || o.nEstimators < 1) bad(`nEstimators must be an integer >= 1, got ${o.nEstimators}`);
  if (!(o.maxFeatures > 0)) bad(`maxFeatures must be > 0, got ${o.maxFeatures}`);
  if (o.maxFeatures > 1 && !Number.isInteger(o.maxFeatures)) bad(`maxFeatures above 1 must be an integer count, got ${o.maxFeatures}`);
  if (!(o.maxDepth >= 1)) bad(`maxDepth must be >= 1, got ${o.maxDepth}`);
  if (!Number.isInteger(o.seed) || o.seed < -(2 ** 31) || o.seed >= 2 ** 31) bad(`seed must be a 32-bit integer, got ${o.seed}`);
}

/**
 * Train a forest on embeddings X with string labels y and return a finalised 'rf' artifact.
 * Deterministic for a given (X, y, options): same data and settings give the same version.
 */
export function trainForest(X: readonly (Float32Array | readonly number[])[], y: readonly string[], opts: TrainForestOptions): ClassifierArtifact {
  const o = forestOptions(opts);
  checkOptions(o);
  if (X.length !== y.length) throw new RangeError(`trainForest: ${X.length} rows but ${y.length} labels`);
  if (X.length < 2) throw new RangeError('trainForest: needs at least 2 rows');
  const dim = opts.embedder.dim;
  const rows = toRows(X, dim);
  y.forEach((l, i) => {
    const r = ClassLabel.safeParse(l);
    if (!r.success) throw new RangeError(`trainForest: label of row ${i}: ${r.error.issues[0]?.message}`);
  });
  const labels = [...new Set(y)].sort();
  if (labels.length < 2) throw new RangeError('trainForest: needs at least 2 distinct labels');
  const index = new Map(labels.map((l, i) => [l, i]));
  const yi = y.map((l) => index.get(l)!);
  const nFeatures = o.maxFeatures <= 1 ? Math.floor(dim * o.maxFeatures) : o.maxFeatures;
  if (nFeatures < 1 || nFeatures > dim) throw new RangeError(`trainForest: maxFeatures ${o.maxFeatures} selects ${nFeatures} of ${dim} features`);

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
  forest.train(rows, yi);
  const lib = JSON.parse(JSON.stringify(forest.toJSON())) as { baseModel: { indexes: number[][]; estimators: Array<{ root: LibNode }> } };
  const model: ForestModel = {
    library: FOREST_LIBRARY,
    treeOptions,
    trees: lib.baseModel.estimators.map((e, i) => ({ features: lib.baseModel.indexes[i]!, root: compactNode(e.root) })),
  };
  return finalizeArtifact({
    format: 'portrait-classifier',
    formatVersion: 1,
    kind: 'rf',
    labels,
    embedder: { id: opts.embedder.id, dim },
    hyperParameters: { ...o, featuresPerTree: nFeatures, replacement: false, library: FOREST_LIBRARY },
    createdAt: opts.createdAt ?? new Date().toISOString(),
    training: { rows: rows.length, fingerprint: trainingFingerprint(X, y) },
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

export class ForestClassifier implements Classifier {
  readonly kind = 'rf' as const;
  readonly version: string;
  readonly labels: readonly string[];
  readonly embedderId: string;
  readonly dim: number;
  readonly nTrees: number;
  private readonly forest: LibForest;

  constructor(artifact: ClassifierArtifact) {
    if (artifact.kind !== 'rf') throw new PortraitError('CLASSIFIER_INVALID', `expected an 'rf' artifact, got '${artifact.kind}'`);
    const model = parseForestModel(artifact.model, artifact.labels, artifact.embedder.dim);
    this.version = artifact.version;
    this.labels = Object.freeze([...artifact.labels]);
    this.embedderId = artifact.embedder.id;
    this.dim = artifact.embedder.dim;
    this.nTrees = model.trees.length;
    this.forest = toLibraryForest(model, artifact.embedder.dim);
  }

  /** Per embedding, the number of trees voting for each label (label order). Every tree votes. */
  votes(embeddings: readonly Float32Array[]): number[][] {
    embeddings.forEach((e, i) => {
      if (e.length !== this.dim) {
        throw new PortraitError('CLASSIFIER_MISMATCH', `forest ${this.version} expects ${this.dim}-dim embeddings from ${this.embedderId}; embedding ${i} has ${e.length}`);
      }
    });
    const counts = embeddings.map(() => new Array<number>(this.labels.length).fill(0));
    if (embeddings.length === 0) return counts;
    for (let t = 0; t < this.nTrees; t++) {
      const features = this.forest.indexes[t]!;
      const rows = embeddings.map((e) => features.map((f) => e[f]!));
      const predicted = this.forest.estimators[t]!.predict(rows);
      predicted.forEach((cls, i) => {
        counts[i]![cls]! += 1;
      });
    }
    return counts;
  }

  predict(embeddings: readonly Float32Array[]): Record<string, number>[] {
    return this.votes(embeddings).map((c) => {
      const out: Record<string, number> = {};
      this.labels.forEach((l, k) => (out[l] = c[k]! / this.nTrees));
      return out;
    });
  }
}
