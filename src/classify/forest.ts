/**
 * Random forest prediction: the 'rf' classifier artifact's model (compact trees, validated on
 * load) and the classifier that walks it. Training is src/train/forest-train.ts.
 *
 * Pitfall of the library (ml-random-forest 2.1.0) avoided here: its `predictProbability()` drops
 * the first tree's vote (its reduce has no initial value, so tree 0's prediction becomes the
 * accumulator). Probabilities here are vote shares over ALL trees.
 *
 * Prediction does not use the library: the trees are flattened into typed arrays and walked
 * directly (a few microseconds per comment for 50 trees of depth 12).
 */
import { z } from 'zod';
import { PortraitError } from '../util/errors.js';
import { artifactConfusion, type ClassifierArtifact } from './artifact.js';
import type { Classifier } from './types.js';

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
