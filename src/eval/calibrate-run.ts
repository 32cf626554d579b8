/**
 * `portrait calibrate` without the command line: measure a zero-shot taxonomy's confusion on
 * labelled rows (one or more files, a dev split by default) and write it beside the taxonomy
 * (src/classify/zero-shot-calibration.ts), so processors unmix zero-shot profiles with it. With
 * `balance`, first fit a per-language label bias on the rows' texts (labels unused) and measure the
 * confusion with it applied.
 */
import { basename } from 'node:path';
import type { Config } from '../config/index.js';
import type { Embedder } from '../embed/types.js';
import { fitTemperature } from '../train/linear-fit.js';
import { labelMap, loadTaxonomy } from '../classify/taxonomy.js';
import { applyCalibration, CALIBRATION_FORMAT, calibrationPath, writeCalibration, type ZeroShotCalibration } from '../classify/zero-shot-calibration.js';
import { balanceBias, measureConfusion } from '../train/zero-shot-calibration.js';
import { buildZeroShot } from '../classify/zero-shot.js';
import { PortraitError } from '../util/errors.js';
import { describeSplits, preprocessRows, readDataset, rowsOfSplit, type DatasetFields, type PreparedRow } from './dataset.js';
import { embedChunkLists } from './embed-cache.js';
import { evaluateClassifier, summarize } from './evaluate.js';
import { taxonomyFor } from './evaluate-run.js';

/** Calibration rows by default: a dev or val split, whichever the data has. */
export const DEFAULT_CALIBRATION_SPLIT = 'dev,val';

export interface CalibrateRunOptions {
  /** Labelled JSONL files (several: e.g. the Chinese and the English rows of one taxonomy). */
  data: string[];
  fields?: Partial<DatasetFields>;
  /** Split value(s) to calibrate on, comma-separated, or 'all'. Default 'dev,val'. */
  split?: string;
  /** Taxonomy YAML; default config/taxonomies/<first data file>.yaml, else classifier.taxonomy. */
  taxonomy?: string;
  /** Where to write; default beside the taxonomy (<name>.calibration.json). */
  out?: string;
  /**
   * Also fit a label bias per language (balanceBias) on the rows, which must be balanced across
   * labels in each language: it changes per-comment predictions.
   */
  balance?: boolean;
  /** Measure and report, write nothing. */
  dryRun?: boolean;
  cacheDir?: string | undefined;
  progress?: boolean;
  /** Clock for createdAt (tests). */
  now?: () => Date;
}

export interface CalibrateSummary {
  taxonomy: string;
  out: string;
  written: boolean;
  rows: number;
  /** Calibration rows per taxonomy label (label order of the calibration). */
  rowsPerLabel: Record<string, number>;
  /** Rows whose label is not in the taxonomy (no id or alias), skipped, per data label. */
  skipped: Record<string, number>;
  droppedRows: number;
  metrics: { accuracy: number; macroF1: number };
  temperature: number;
  bestTemperature: number;
  /** Version of the plain zero-shot classifier, and of the calibrated one processors will report. */
  classifierVersion: string;
  calibratedVersion: string;
  calibration: ZeroShotCalibration;
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

export async function runCalibrate(o: CalibrateRunOptions, cfg: Pick<Config, 'text' | 'classifier'>, embedder: Embedder): Promise<CalibrateSummary> {
  if (o.data.length === 0) throw new PortraitError('USAGE', 'give at least one --data file');
  const split = o.split ?? DEFAULT_CALIBRATION_SPLIT;
  const taxonomyFile = o.taxonomy ?? taxonomyFor(o.data[0]!, cfg.classifier.taxonomy);
  const taxonomy = loadTaxonomy(taxonomyFile);
  const map = labelMap(taxonomy);
  const text = cfg.text;

  const rows: PreparedRow[] = [];
  const skipped: Record<string, number> = {};
  const data: ZeroShotCalibration['data'] = [];
  let droppedRows = 0;
  for (const file of o.data) {
    const all = readDataset(file, o.fields);
    const picked = split === 'all' ? all : rowsOfSplit(all, split);
    if (picked.length === 0) {
      throw new PortraitError('USAGE', `${file}: no rows of split "${split}" (the file has: ${describeSplits(all)}); choose one with --split`);
    }
    const prepared = preprocessRows(picked, text);
    droppedRows += prepared.dropped;
    let used = 0;
    for (const r of prepared.rows) {
      const id = map.get(r.label);
      if (id === undefined) skipped[r.label] = (skipped[r.label] ?? 0) + 1;
      else {
        rows.push({ ...r, label: id });
        used++;
      }
    }
    const found = [...new Set(picked.map((r) => r.split ?? '(none)'))].join(',');
    data.push({ file: basename(file), split: split === 'all' ? 'all' : found, rows: used });
  }
  if (rows.length === 0) {
    throw new PortraitError('USAGE', `none of the rows has a label of ${taxonomyFile} (data labels: ${Object.keys(skipped).slice(0, 10).join(', ')}); add them as ids or aliases`);
  }

  const plain = await buildZeroShot(taxonomy, embedder, cfg.classifier.temperature);
  const X = (
    await embedChunkLists(
      embedder,
      rows.map((r) => r.chunks),
      { cacheDir: o.cacheDir, ...(o.progress ? { progressLabel: 'embed' } : {}) },
    )
  ).vectors;
  const langs = rows.map((r) => r.lang);
  const bias = o.balance ? fitBias(plain.rawSimilarities(X), langs, plain.temperature, plain.labels.length) : undefined;
  const zs = bias ? plain.withCalibration({ bias }, plain.version) : plain;
  const index = new Map(zs.labels.map((l, i) => [l, i]));
  const truth = rows.map((r) => index.get(r.label)!);
  const { report, probs } = evaluateClassifier(
    zs,
    X,
    rows.map((r) => r.label),
    langs,
  );
  const confusion = measureConfusion(
    zs,
    probs.map((p) => zs.labels.map((l) => p[l]!)),
    truth,
  );
  const metrics = summarize(report);
  const calibration: ZeroShotCalibration = {
    format: CALIBRATION_FORMAT,
    classifier: zs.version,
    embedder: zs.embedderId,
    temperature: zs.temperature,
    labels: [...zs.labels],
    confusion,
    ...(bias ? { bias } : {}),
    data,
    metrics: { accuracy: r4(metrics.accuracy), macroF1: r4(metrics.macroF1) },
    bestTemperature: r4(fitTemperature(zs.similarities(X, langs), truth)),
    createdAt: (o.now?.() ?? new Date()).toISOString(),
  };
  const applied = applyCalibration(plain, calibration);
  if (!applied.applied) throw new Error(`calibration does not fit the classifier it was measured on: ${applied.reason}`);
  const out = o.out ?? calibrationPath(taxonomyFile);
  if (!o.dryRun) writeCalibration(out, calibration);
  return {
    taxonomy: taxonomyFile,
    out,
    written: !o.dryRun,
    rows: rows.length,
    rowsPerLabel: Object.fromEntries(zs.labels.map((l, i) => [l, confusion.rows[i]!])),
    skipped,
    droppedRows,
    metrics: calibration.metrics,
    temperature: zs.temperature,
    bestTemperature: calibration.bestTemperature!,
    classifierVersion: plain.version,
    calibratedVersion: applied.classifier.version,
    calibration,
  };
}

/** A language needs this many calibration rows per label before its bias is fitted (else its offsets are 0). */
export const MIN_BALANCE_ROWS_PER_LABEL = 4;

/** balanceBias per language (zh, en) on the rows of that language; 'mixed' and 'other' rows are not used. */
function fitBias(raw: readonly number[][], langs: readonly string[], temperature: number, k: number): NonNullable<ZeroShotCalibration['bias']> {
  const fitLanguage = (lang: 'zh' | 'en') => {
    const sims = raw.filter((_, i) => langs[i] === lang);
    return { n: sims.length, bias: sims.length >= MIN_BALANCE_ROWS_PER_LABEL * k ? balanceBias(sims, temperature) : new Array<number>(k).fill(0) };
  };
  const zh = fitLanguage('zh');
  const en = fitLanguage('en');
  return {
    source: `per language, without the labels: offsets that make every label's mean probability 1/${k} on the calibration rows of that language (a language with fewer than ${MIN_BALANCE_ROWS_PER_LABEL * k} rows keeps 0)`,
    rows: { zh: zh.n, en: en.n },
    zh: zh.bias,
    en: en.bias,
  };
}
