/**
 * Calibration of a zero-shot taxonomy on a small labelled set: its **confusion**, so profiles built
 * with it can be unmixed like a trained head's (src/profile/unmix.ts).
 *
 * A zero-shot classifier's errors are as systematic as a trained one's (a "travel" prototype that
 * pulls in geography sentences, a 工学 prototype that pulls in agriculture titles), and averaging
 * more of a user's comments does not remove a bias. A few labelled rows per label (a dev split)
 * measure it: confusion[t][p] is the mean probability of label p over the rows of true label t.
 * The confusion does not change per-comment predictions; only how a profile turns their mean into shares.
 *
 * A calibration may also hold a **label bias** per language (`bias`): offsets taken off each label's
 * cosine so that, on the calibration rows' texts, every label is predicted as often as the others
 * (src/train/zero-shot-calibration.ts, balanceBias). It corrects prototypes that sit near every
 * comment of a language ("hubs": the English side of a Chinese-first model) and does change
 * per-comment predictions; the confusion is then measured with it applied.
 *
 * The calibration lives beside the taxonomy (`<name>.calibration.json`, written by
 * `portrait calibrate`, measured by src/train/zero-shot-calibration.ts) and names the classifier it
 * was measured for: a content hash of the taxonomy, the embedder and the temperature
 * (zeroShotVersion). When any of those changes, the confusion no longer describes the classifier
 * and is not applied (the caller logs why).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { PortraitError } from '../util/errors.js';
import { contentHash } from './canonical.js';
import type { Embedder } from '../embed/types.js';
import { loadTaxonomy } from './taxonomy.js';
import { buildZeroShot, type ZeroShotClassifier } from './zero-shot.js';

export const CALIBRATION_FORMAT = 'portrait-zero-shot-calibration/1';

export const ZeroShotCalibration = z.strictObject({
  format: z.literal(CALIBRATION_FORMAT),
  /** zeroShotVersion of the taxonomy, embedder and temperature it was measured with. */
  classifier: z.string().min(1),
  embedder: z.string().min(1),
  temperature: z.number().positive(),
  labels: z.array(z.string().min(1)).min(2),
  confusion: z.strictObject({
    /** How it was measured, in words. */
    source: z.string().max(500),
    /** Calibration rows per true label (label order). */
    rows: z.array(z.int().min(0)),
    /** matrix[t][p]: mean probability of label p over the rows of true label t; rows sum to 1. */
    matrix: z.array(z.array(z.number().min(0).max(1))),
  }),
  /**
   * Per-label offsets taken off the cosines, per language (label order), fitted without the labels
   * so that every label is predicted equally often on the calibration rows of that language.
   */
  bias: z
    .strictObject({
      /** How it was fitted, in words. */
      source: z.string().max(500),
      /** Calibration rows of each language it was fitted on (0 = that language's offsets are 0). */
      rows: z.strictObject({ zh: z.int().min(0), en: z.int().min(0) }),
      zh: z.array(z.number()),
      en: z.array(z.number()),
    })
    .optional(),
  /** The labelled rows it was measured on: file, split and row count each. */
  data: z.array(z.strictObject({ file: z.string(), split: z.string(), rows: z.int().min(0) })),
  /** Per-comment accuracy and macro-F1 of the classifier on those rows (for the record). */
  metrics: z.strictObject({ accuracy: z.number(), macroF1: z.number() }),
  /** The temperature of minimum log-loss on those rows (advice: the taxonomy's own is what is used). */
  bestTemperature: z.number().positive().optional(),
  createdAt: z.string(),
});
export type ZeroShotCalibration = z.infer<typeof ZeroShotCalibration>;

/** `config/taxonomies/sib200.yaml` → `config/taxonomies/sib200.calibration.json`. */
export function calibrationPath(taxonomyFile: string): string {
  return `${taxonomyFile.replace(/\.ya?ml$/i, '')}.calibration.json`;
}

/** Read and validate a calibration file; undefined when there is none. CONFIG_INVALID if it is malformed. */
export function readCalibration(file: string): ZeroShotCalibration | undefined {
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PortraitError('CONFIG_UNREADABLE', `zero-shot calibration ${file} cannot be read or parsed: ${err instanceof Error ? err.message : String(err)}`, { cause: err, details: { file } });
  }
  const r = ZeroShotCalibration.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0]!;
    throw new PortraitError('CONFIG_INVALID', `invalid zero-shot calibration ${file}: ${first.path.join('.') || '(root)'}: ${first.message}`, { cause: r.error, details: { file } });
  }
  const k = r.data.labels.length;
  const m = r.data.confusion.matrix;
  const bad =
    r.data.confusion.rows.length !== k || m.length !== k
      ? `expected ${k} rows (one per label), got ${m.length}`
      : m.map((row, t) => (row.length !== k ? `row ${t} has ${row.length} values, expected ${k}` : Math.abs(row.reduce((a, b) => a + b, 0) - 1) > 1e-3 ? `row ${t} does not sum to 1` : '')).find(Boolean);
  if (bad) throw new PortraitError('CONFIG_INVALID', `invalid zero-shot calibration ${file}: confusion ${bad}`, { details: { file } });
  const b = r.data.bias;
  if (b && (b.zh.length !== k || b.en.length !== k)) {
    throw new PortraitError('CONFIG_INVALID', `invalid zero-shot calibration ${file}: bias needs ${k} values per language (one per label), got zh ${b.zh.length}, en ${b.en.length}`, { details: { file } });
  }
  return r.data;
}

export function writeCalibration(file: string, c: ZeroShotCalibration): void {
  // one line per matrix row and per number list: a diff of two calibrations stays readable
  const json = JSON.stringify(ZeroShotCalibration.parse(c), null, 2).replace(/\[\s+(-?[\d.e+-]+(?:,\s+-?[\d.e+-]+)*)\s+\]/g, (_, xs: string) => `[${xs.split(/,\s+/).join(', ')}]`);
  writeFileSync(file, `${json}\n`);
}

export type CalibrationOutcome = { classifier: ZeroShotClassifier; applied: true } | { classifier: ZeroShotClassifier; applied: false; reason: string };

/**
 * `zs` with the calibration's confusion, when the calibration was measured for exactly this
 * classifier (same taxonomy, embedder and temperature) and names the same labels; otherwise `zs`
 * unchanged and why.
 */
export function applyCalibration(zs: ZeroShotClassifier, c: ZeroShotCalibration): CalibrationOutcome {
  if (c.classifier !== zs.version) {
    const what = c.embedder !== zs.embedderId ? `embedder ${c.embedder}, not ${zs.embedderId}` : c.temperature !== zs.temperature ? `temperature ${c.temperature}, not ${zs.temperature}` : 'another version of the taxonomy';
    return { classifier: zs, applied: false, reason: `it was measured for zero-shot classifier ${c.classifier} (${what}); this one is ${zs.version}: run portrait calibrate again` };
  }
  if (c.labels.length !== zs.labels.length || c.labels.some((l, i) => l !== zs.labels[i])) {
    return { classifier: zs, applied: false, reason: 'its labels are not the taxonomy labels' };
  }
  // a calibration without a bias keeps the version it always had
  const version = contentHash({ zeroShot: zs.version, confusion: c.confusion.matrix, ...(c.bias ? { bias: { zh: c.bias.zh, en: c.bias.en } } : {}) });
  const calibrated = zs.withCalibration({ confusion: { labels: c.labels, confusion: c.confusion.matrix }, ...(c.bias ? { bias: { zh: c.bias.zh, en: c.bias.en } } : {}) }, version);
  return { classifier: calibrated, applied: true };
}

export interface LoadedZeroShot {
  classifier: ZeroShotClassifier;
  /** The calibration file beside the taxonomy, when there is one: applied, or why not. */
  calibration?: { file: string; applied: boolean; reason?: string };
}

/**
 * The zero-shot classifier of a taxonomy file, with the confusion of its calibration file
 * (`<name>.calibration.json`) when that was measured for it. A stale calibration is not an error
 * (the classifier works without it, as plain means) but the caller should say so.
 */
export async function loadZeroShot(taxonomyFile: string, embedder: Embedder, temperature?: number): Promise<LoadedZeroShot> {
  const zs = await buildZeroShot(loadTaxonomy(taxonomyFile), embedder, temperature);
  const file = calibrationPath(taxonomyFile);
  const cal = readCalibration(file);
  if (!cal) return { classifier: zs };
  const out = applyCalibration(zs, cal);
  return { classifier: out.classifier, calibration: out.applied ? { file, applied: true } : { file, applied: false, reason: out.reason } };
}
