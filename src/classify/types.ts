import type { Lang } from '../text/segment.js';

/** A classifier turns embeddings into a probability per label. Pure: no I/O in predict. */
export type ClassifierKind = 'zero-shot' | 'rf' | 'linear';

export interface Classifier {
  readonly kind: ClassifierKind;
  /** Content version: changes whenever the predictions could change (model, labels, embedder, settings). */
  readonly version: string;
  readonly labels: readonly string[];
  /** Embedder the classifier was built for (Embedder.id); embeddings from another model are meaningless to it. */
  readonly embedderId: string;
  readonly dim: number;
  /**
   * Held-out confusion, when the artifact carries one (matrix[t][p]: mean probability of label p
   * over rows of true label t, label order): profiles turn mean probabilities into shares with it.
   */
  readonly confusion?: { readonly labels: readonly string[]; readonly confusion: readonly (readonly number[])[] } | undefined;
  /**
   * One record per embedding: probability per label (every label present, values >= 0, sum 1).
   * `langs` (one per embedding, from preprocessing) matter to a calibrated zero-shot taxonomy only,
   * whose label bias is per language; the other kinds ignore them.
   */
  predict(embeddings: readonly Float32Array[], langs?: readonly (Lang | undefined)[]): Record<string, number>[];
}
