/**
 * Zero-shot classification by label prototypes. Every label of the taxonomy is described in Chinese
 * and English; the descriptions are embedded once, averaged per language, the two language means
 * averaged and L2-normalised: that is the label's prototype. A comment's probabilities are
 * softmax(cosine(embedding, prototype) / temperature) over the labels. A `prototypes: multi` taxonomy keeps
 * every name and description as its own prototype and scores a label by the mean of its `top` best
 * cosines. A calibration (zero-shot-calibration.ts) may add a bias per label and language, taken off
 * the cosines before the softmax: some prototypes sit closer to every comment of a language than
 * others ("hubs") and would otherwise take its ambiguous comments. Method: docs/classifiers.md.
 */
import type { Embedder } from '../embed/types.js';
import type { Lang } from '../text/segment.js';
import { PortraitError } from '../util/errors.js';
import { contentHash } from './canonical.js';
import { dotAt, mean, norm, normalize, softmax, toRecord } from './math.js';
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

/**
 * Per-label offsets taken off the cosines (label order), one list per language the calibration saw.
 * A comment in another language ('mixed', 'other', or no language given) gets the mean of the two.
 */
export interface LabelBias {
  readonly zh: readonly number[];
  readonly en: readonly number[];
}

export interface PrototypeLayout {
  /** Index of the label each prototype belongs to (prototypes of one label are contiguous or not). */
  owners: readonly number[];
  /** A label scores the mean of its `top` best cosines (1 = the best one). */
  top: number;
}

export class ZeroShotClassifier implements Classifier {
  readonly kind = 'zero-shot' as const;
  readonly labels: readonly string[];
  readonly dim: number;
  private readonly owners: readonly number[];
  private readonly top: number;
  /** All prototypes, row-major (prototypes × dim), for one tight loop per embedding. */
  private readonly matrix: Float64Array;
  /** Measured on labelled calibration rows (zero-shot-calibration.ts), when there are some: profiles unmix with it. */
  readonly confusion: Classifier['confusion'];
  /** From a calibration, when it has one; undefined = no offsets. */
  readonly bias: LabelBias | undefined;
  private readonly biasRows: Record<'zh' | 'en' | 'other', Float64Array> | undefined;

  /** One prototype per label (label order), or several with `layout`. */
  constructor(
    labels: readonly string[],
    private readonly prototypes: readonly Float64Array[],
    readonly embedderId: string,
    readonly temperature: number,
    readonly version: string,
    private readonly layout?: PrototypeLayout,
    confusion?: Classifier['confusion'],
    bias?: LabelBias,
  ) {
    if (labels.length === 0 || prototypes.length === 0) throw new RangeError('zero-shot: at least one label and one prototype');
    if (!layout && labels.length !== prototypes.length) throw new RangeError('zero-shot: one prototype per label');
    if (layout && (layout.owners.length !== prototypes.length || layout.owners.some((o) => o < 0 || o >= labels.length))) throw new RangeError('zero-shot: every prototype needs an owner label');
    if (layout && labels.some((_, i) => !layout.owners.includes(i))) throw new RangeError('zero-shot: every label needs a prototype');
    if (!(temperature > 0)) throw new RangeError(`zero-shot: temperature must be > 0, got ${temperature}`);
    this.labels = Object.freeze([...labels]);
    this.dim = prototypes[0]!.length;
    this.owners = layout ? [...layout.owners] : labels.map((_, i) => i);
    this.top = layout ? Math.max(1, layout.top) : 1;
    this.matrix = new Float64Array(prototypes.length * this.dim);
    prototypes.forEach((p, i) => this.matrix.set(p, i * this.dim));
    if (confusion && (confusion.labels.length !== this.labels.length || confusion.labels.some((l, i) => l !== this.labels[i]))) {
      throw new RangeError('zero-shot: the confusion must name the classifier labels, in order');
    }
    this.confusion = confusion;
    if (bias && (bias.zh.length !== this.labels.length || bias.en.length !== this.labels.length || [...bias.zh, ...bias.en].some((b) => !Number.isFinite(b)))) {
      throw new RangeError('zero-shot: a bias needs one finite number per label and language');
    }
    this.bias = bias;
    this.biasRows = bias && {
      zh: Float64Array.from(bias.zh),
      en: Float64Array.from(bias.en),
      other: Float64Array.from(bias.zh, (b, i) => (b + bias.en[i]!) / 2),
    };
  }

  /**
   * The same classifier with a calibration's confusion and label bias, under `version` (both change
   * what it outputs, so they are part of it).
   */
  withCalibration(c: { confusion?: NonNullable<Classifier['confusion']>; bias?: LabelBias }, version: string): ZeroShotClassifier {
    return new ZeroShotClassifier(this.labels, this.prototypes, this.embedderId, this.temperature, version, this.layout, c.confusion ?? this.confusion, c.bias ?? this.bias);
  }

  /** Cosine of `e` to every prototype (prototypes are unit vectors: e·p / |e|). */
  private cosines(e: Float32Array): Float64Array {
    const d = this.dim;
    const m = this.matrix;
    const n = norm(e);
    const inv = n === 0 ? 0 : 1 / n;
    const out = new Float64Array(this.prototypes.length);
    for (let k = 0; k < out.length; k++) out[k] = dotAt(e, 0, m, k * d, d) * inv;
    return out;
  }

  /**
   * Per embedding, each label's score (label order): its cosine to the prototype, or the mean of its
   * best `top`, less the label's bias for the comment's language (`langs[i]`) when there is one.
   */
  similarities(embeddings: readonly Float32Array[], langs?: readonly (Lang | undefined)[]): number[][] {
    const raw = this.rawSimilarities(embeddings);
    const rows = this.biasRows;
    if (!rows) return raw;
    return raw.map((s, i) => {
      const lang = langs?.[i];
      const b = lang === 'zh' ? rows.zh : lang === 'en' ? rows.en : rows.other;
      return s.map((v, k) => v - b[k]!);
    });
  }

  /** The scores without the bias: what a calibration fits the bias on. */
  rawSimilarities(embeddings: readonly Float32Array[]): number[][] {
    return embeddings.map((e, i) => {
      if (e.length !== this.dim) {
        throw new PortraitError('CLASSIFIER_MISMATCH', `zero-shot classifier expects ${this.dim}-dim embeddings from ${this.embedderId}; embedding ${i} has ${e.length}`);
      }
      const cos = this.cosines(e);
      if (this.top === 1 && this.owners.length === this.labels.length) return Array.from(cos);
      if (this.top === 1) {
        const best = new Array<number>(this.labels.length).fill(-Infinity);
        cos.forEach((c, k) => {
          if (c > best[this.owners[k]!]!) best[this.owners[k]!] = c;
        });
        return best;
      }
      const per: number[][] = this.labels.map(() => []);
      cos.forEach((c, k) => per[this.owners[k]!]!.push(c));
      return per.map((cs) => {
        cs.sort((a, b) => b - a);
        const n = Math.min(this.top, cs.length);
        let s = 0;
        for (let k = 0; k < n; k++) s += cs[k]!;
        return s / n;
      });
    });
  }

  predict(embeddings: readonly Float32Array[], langs?: readonly (Lang | undefined)[]): Record<string, number>[] {
    return this.similarities(embeddings, langs).map((sims) => toRecord(this.labels, softmax(sims, this.temperature)));
  }

  /** The prototypes (copies). */
  prototypeVectors(): Float64Array[] {
    return this.prototypes.map((p) => Float64Array.from(p));
  }
}

/** Version of a zero-shot classifier: short sha256 of the validated taxonomy, the embedder id and the temperature. */
export function zeroShotVersion(taxonomy: Taxonomy, embedderId: string, temperature: number): string {
  const method = taxonomy.prototypes === 'multi' ? `prototype-multi-top${taxonomy.top ?? DEFAULT_TOP}-v1` : 'prototype-mean-v1';
  return contentHash({ method, taxonomy, embedderId, temperature });
}

/** Default `top` of 'multi' taxonomies. */
export const DEFAULT_TOP = 2;

/**
 * Embed every name and description once (one call) and build the classifier. The taxonomy's own
 * `temperature`, when set, wins over `temperature` (the configured classifier.temperature).
 */
export async function buildZeroShot(taxonomy: Taxonomy, embedder: Embedder, temperature: number = DEFAULT_TEMPERATURE): Promise<ZeroShotClassifier> {
  const temp = taxonomy.temperature ?? temperature;
  if (!(temp > 0) || !Number.isFinite(temp)) {
    throw new PortraitError('CONFIG_INVALID', `classifier.temperature must be a positive number, got ${temp}`);
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
  const ids = taxonomy.labels.map((l) => l.id);
  const version = zeroShotVersion(taxonomy, embedder.id, temp);
  if (taxonomy.prototypes === 'multi') {
    const owners: number[] = [];
    spans.forEach(({ zh, en }, i) => {
      for (let k = zh[0]; k < en[1]; k++) owners.push(i);
    });
    return new ZeroShotClassifier(ids, unit, embedder.id, temp, version, { owners, top: taxonomy.top ?? DEFAULT_TOP });
  }
  const prototypes = spans.map(({ zh, en }) => {
    const zhMean = normalize(mean(unit.slice(zh[0], zh[1])));
    const enMean = normalize(mean(unit.slice(en[0], en[1])));
    return normalize(mean([zhMean, enMean]));
  });
  return new ZeroShotClassifier(ids, prototypes, embedder.id, temp, version);
}
