/**
 * Zero-shot classification by label prototypes. Every label of the taxonomy is described in Chinese
 * and English; the descriptions are embedded once, averaged per language, the two language means
 * averaged and L2-normalised: that is the label's prototype. A comment's probabilities are
 * softmax(cosine(embedding, prototype) / temperature) over the labels. Method: docs/classifiers.md.
 */
import type { Embedder } from '../embed/types.js';
import { PortraitError } from '../util/errors.js';
import { contentHash } from './canonical.js';
import { cosine, mean, normalize, softmax, toRecord } from './math.js';
import type { Taxonomy, TaxonomyLabel } from './taxonomy.js';
import type { Classifier } from './types.js';

export const DEFAULT_TEMPERATURE = 0.05;

/**
 * What an embedder is given for a description: NFKC, trimmed and lowercased (the model's tokenizer
 * does not lowercase, and its vocabulary maps capitalised English words to [UNK]).
 */
export function prepareDescription(s: string): string {
  return s.normalize('NFKC').trim().toLowerCase();
}

/** The texts behind one label's prototype, per language: the name, then the descriptions. */
export function prototypeTexts(label: TaxonomyLabel): { zh: string[]; en: string[] } {
  return {
    zh: [label.zh, ...label.descriptions.zh].map(prepareDescription),
    en: [label.en, ...label.descriptions.en].map(prepareDescription),
  };
}

export class ZeroShotClassifier implements Classifier {
  readonly kind = 'zero-shot' as const;
  readonly labels: readonly string[];
  readonly dim: number;

  constructor(
    labels: readonly string[],
    private readonly prototypes: readonly Float64Array[],
    readonly embedderId: string,
    readonly temperature: number,
    readonly version: string,
  ) {
    if (labels.length !== prototypes.length || labels.length === 0) throw new RangeError('zero-shot: one prototype per label, at least one label');
    if (!(temperature > 0)) throw new RangeError(`zero-shot: temperature must be > 0, got ${temperature}`);
    this.labels = Object.freeze([...labels]);
    this.dim = prototypes[0]!.length;
  }

  /** Cosine similarity of each embedding to each prototype, in label order. */
  similarities(embeddings: readonly Float32Array[]): number[][] {
    return embeddings.map((e, i) => {
      if (e.length !== this.dim) {
        throw new PortraitError('CLASSIFIER_MISMATCH', `zero-shot classifier expects ${this.dim}-dim embeddings from ${this.embedderId}; embedding ${i} has ${e.length}`);
      }
      return this.prototypes.map((p) => cosine(e, p));
    });
  }

  predict(embeddings: readonly Float32Array[]): Record<string, number>[] {
    return this.similarities(embeddings).map((sims) => toRecord(this.labels, softmax(sims, this.temperature)));
  }

  /** The prototypes (copies), in label order. */
  prototypeVectors(): Float64Array[] {
    return this.prototypes.map((p) => Float64Array.from(p));
  }
}

/** Version of a zero-shot classifier: short sha256 of the validated taxonomy, the embedder id and the temperature. */
export function zeroShotVersion(taxonomy: Taxonomy, embedderId: string, temperature: number): string {
  return contentHash({ method: 'prototype-mean-v1', taxonomy, embedderId, temperature });
}

/** Embed every description once (one batch) and build the classifier. */
export async function buildZeroShot(taxonomy: Taxonomy, embedder: Embedder, temperature: number = DEFAULT_TEMPERATURE): Promise<ZeroShotClassifier> {
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new PortraitError('CONFIG_INVALID', `classifier.temperature must be a positive number, got ${temperature}`);
  }
  await embedder.ready();
  const texts: string[] = [];
  const spans: Array<{ zh: [number, number]; en: [number, number] }> = [];
  for (const label of taxonomy.labels) {
    const t = prototypeTexts(label);
    const zhStart = texts.length;
    texts.push(...t.zh);
    const enStart = texts.length;
    texts.push(...t.en);
    spans.push({ zh: [zhStart, enStart], en: [enStart, texts.length] });
  }
  const vectors = await embedder.embed(texts);
  if (vectors.length !== texts.length) throw new PortraitError('EMBED_FAILED', `embedder returned ${vectors.length} vectors for ${texts.length} texts`);
  const dim = embedder.dim || vectors[0]!.length;
  vectors.forEach((v, i) => {
    if (v.length !== dim) throw new PortraitError('EMBED_FAILED', `embedder ${embedder.id} returned a ${v.length}-dim vector for description ${i}; expected ${dim}`);
  });
  const unit = vectors.map((v) => normalize(v));
  const prototypes = spans.map(({ zh, en }) => {
    const zhMean = normalize(mean(unit.slice(zh[0], zh[1])));
    const enMean = normalize(mean(unit.slice(en[0], en[1])));
    return normalize(mean([zhMean, enMean]));
  });
  return new ZeroShotClassifier(
    taxonomy.labels.map((l) => l.id),
    prototypes,
    embedder.id,
    temperature,
    zeroShotVersion(taxonomy, embedder.id, temperature),
  );
}
