/**
 * The softmax-regression ('linear') head at prediction time: the artifact's model (validated on
 * load) and the classifier, softmax((W·x + b) / T), with the standardisation already folded into
 * W and b. Training is src/train/linear-train.ts (docs/classifiers.md, "Linear").
 */
import { PortraitError } from '../util/errors.js';
import { artifactConfusion, type ClassifierArtifact } from './artifact.js';
import { dotAt, softmax, toRecord } from './math.js';
import type { Classifier } from './types.js';

export interface LinearModel {
  /** One row of dim weights per class (label order, or `fineLabels` order), applied to the raw embedding. */
  weights: number[][];
  bias: number[];
  /** Softmax temperature: probabilities are softmax((W·x + b) / temperature). */
  temperature: number;
  /**
   * Trained on finer labels (e.g. intents under domains): the row classes, and for each the index in
   * `labels` it belongs to. A label's probability is the sum over its fine classes.
   */
  fineLabels?: string[];
  outputs?: number[];
}

/** Probabilities of fine classes summed into their labels. */
export function sumByOutput(p: ArrayLike<number>, outputs: readonly number[], nLabels: number): number[] {
  const out = new Array<number>(nLabels).fill(0);
  for (let c = 0; c < outputs.length; c++) out[outputs[c]!] = out[outputs[c]!]! + p[c]!;
  return out;
}

/** Validate the 'linear' model member against the labels and dimension. */
export function parseLinearModel(model: unknown, labels: readonly string[], dim: number): LinearModel {
  const m = model as Partial<LinearModel> | null;
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new Error('model: expected an object');
  const allowed = new Set(['weights', 'bias', 'temperature', 'fineLabels', 'outputs']);
  const extra = Object.keys(m).filter((key) => !allowed.has(key));
  if (extra.length > 0) throw new Error(`model: unknown member(s) ${extra.join(', ')}`);
  if ((m.fineLabels === undefined) !== (m.outputs === undefined)) throw new Error('model: fineLabels and outputs go together');
  let rows = labels.length;
  if (m.fineLabels !== undefined) {
    if (!Array.isArray(m.fineLabels) || m.fineLabels.length < 2 || !m.fineLabels.every((l) => typeof l === 'string' && l !== '')) throw new Error('model.fineLabels: expected at least 2 non-empty strings');
    if (new Set(m.fineLabels).size !== m.fineLabels.length) throw new Error('model.fineLabels: must be unique');
    rows = m.fineLabels.length;
    if (!Array.isArray(m.outputs) || m.outputs.length !== rows || !m.outputs.every((o) => Number.isInteger(o) && o >= 0 && o < labels.length)) {
      throw new Error(`model.outputs: expected ${rows} label indices in [0, ${labels.length})`);
    }
  }
  if (!Array.isArray(m.weights) || m.weights.length !== rows) throw new Error(`model.weights: expected ${rows} rows (one per class)`);
  m.weights.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== dim || !row.every(finite)) throw new Error(`model.weights[${i}]: expected ${dim} finite numbers`);
  });
  if (!Array.isArray(m.bias) || m.bias.length !== rows || !m.bias.every(finite)) throw new Error(`model.bias: expected ${rows} finite numbers`);
  if (!finite(m.temperature) || !(m.temperature! > 0)) throw new Error('model.temperature: expected a positive number');
  return m as LinearModel;
}

export class LinearClassifier implements Classifier {
  readonly kind = 'linear' as const;
  readonly version: string;
  readonly labels: readonly string[];
  readonly embedderId: string;
  readonly dim: number;
  readonly confusion: Classifier['confusion'];
  readonly temperature: number;
  private readonly W: Float64Array; // rows × dim
  private readonly b: Float64Array;
  private readonly outputs: number[] | undefined;

  constructor(artifact: ClassifierArtifact) {
    if (artifact.kind !== 'linear') throw new PortraitError('CLASSIFIER_INVALID', `expected a 'linear' artifact, got '${artifact.kind}'`);
    const m = parseLinearModel(artifact.model, artifact.labels, artifact.embedder.dim);
    this.version = artifact.version;
    this.labels = Object.freeze([...artifact.labels]);
    this.embedderId = artifact.embedder.id;
    this.dim = artifact.embedder.dim;
    this.confusion = artifactConfusion(artifact);
    this.temperature = m.temperature;
    this.W = Float64Array.from(m.weights.flat());
    this.b = Float64Array.from(m.bias);
    this.outputs = m.outputs;
  }

  /** Raw scores W·x + b per embedding, one per weight row (label order, or fine-class order). */
  logits(embeddings: readonly Float32Array[]): Float64Array[] {
    const k = this.b.length;
    const d = this.dim;
    return embeddings.map((e, i) => {
      if (e.length !== d) throw new PortraitError('CLASSIFIER_MISMATCH', `linear classifier ${this.version} expects ${d}-dim embeddings from ${this.embedderId}; embedding ${i} has ${e.length}`);
      const z = new Float64Array(k);
      const W = this.W;
      for (let c = 0; c < k; c++) z[c] = this.b[c]! + dotAt(W, c * d, e, 0, d);
      return z;
    });
  }

  predict(embeddings: readonly Float32Array[]): Record<string, number>[] {
    return this.logits(embeddings).map((z) => {
      const p = softmax(z, this.temperature);
      return toRecord(this.labels, this.outputs ? sumByOutput(p, this.outputs, this.labels.length) : p);
    });
  }
}
