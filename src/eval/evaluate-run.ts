/**
 * `portrait evaluate` without the command line: score a trained artifact, the zero-shot taxonomy,
 * or (with folds) a training procedure by stratified cross-validation, on labelled JSONL rows.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ForestOptions } from '../train/forest-train.js';
import type { LinearOptions } from '../train/linear-train.js';
import { fitTemperature } from '../train/linear-fit.js';
import { classifierFromArtifact, checkEmbedder } from '../classify/load.js';
import { readArtifact } from '../classify/artifact.js';
import { labelMap, loadTaxonomy } from '../classify/taxonomy.js';
import { crossValidateAll, type ModelKind } from '../train/train.js';
import { ZeroShotClassifier } from '../classify/zero-shot.js';
import { loadZeroShot } from '../classify/zero-shot-calibration.js';
import type { Classifier } from '../classify/types.js';
import type { Config } from '../config/index.js';
import { projectPath } from '../config/index.js';
import type { Embedder } from '../embed/types.js';
import { PortraitError } from '../util/errors.js';
import { stepLog } from '../util/progress.js';
import { describeSplits, preprocessRows, readDataset, rowsOfSplit, type DatasetFields, type DataRow } from './dataset.js';
import { embedChunkLists } from './embed-cache.js';
import { evaluateClassifier, predictMicros, summarize, type MetricsSummary } from './evaluate.js';
import { classificationReport, logLoss, type ClassificationReport } from '../train/metrics.js';

export interface EvaluateRunOptions {
  data: string;
  fields?: Partial<DatasetFields>;
  /** Split value(s) to score, comma-separated, or 'all'. Default: 'test' ('all' with folds). */
  split?: string;
  model?: string;
  zeroShot?: boolean;
  taxonomy?: string;
  /** Split whose rows fit the zero-shot temperature (reported, not written). */
  calibrate?: string;
  folds?: number;
  /** Procedure to cross-validate without --model. Default 'linear'. */
  classifier?: ModelKind;
  seed: number;
  cacheDir?: string | undefined;
  progress?: boolean;
}

export interface EvaluateSummary {
  mode: 'model' | 'zero-shot' | 'cross-validation';
  file: string;
  split: string;
  rows: number;
  droppedRows: number;
  classifier: { kind: string; version?: string; taxonomy?: string; temperature?: number };
  metrics: MetricsSummary;
  report: ClassificationReport;
  predictMicros?: number;
  logLoss?: number;
  calibration?: { split: string; rows: number; temperature: number; logLossBefore: number; logLossAfter: number };
  /** The taxonomy's calibration file (portrait calibrate): applied (profiles unmix with its confusion; predictions are the same), or why not. */
  zeroShotCalibration?: { file: string; applied: boolean; reason?: string };
  folds?: Array<{ fold: number; rows: number; accuracy: number; macroF1: number }>;
  macroF1?: { mean: number; std: number };
  /** Data labels the taxonomy has no entry (or alias) for. */
  unmappedLabels?: string[];
}

/** config/taxonomies/<name>.yaml for a data file (also without a _xx language suffix), else the configured taxonomy. */
export function taxonomyFor(data: string, configured: string): string {
  const name = basename(data).replace(/\.jsonl?$/, '');
  for (const n of [name, name.replace(/_[a-z]{2}$/, '')]) {
    const f = projectPath(join('config/taxonomies', `${n}.yaml`));
    if (existsSync(f)) return f;
  }
  return projectPath(configured);
}

function pickRows(rows: readonly DataRow[], split: string): DataRow[] {
  if (split === 'all') return [...rows];
  const picked = rowsOfSplit(rows, split);
  if (picked.length === 0) {
    throw new PortraitError('USAGE', `no rows of split "${split}" (the file has: ${describeSplits(rows)}); use --split all for every row`);
  }
  return picked;
}

export async function runEvaluate(o: EvaluateRunOptions, cfg: Pick<Config, 'text' | 'classifier'>, embedder: Embedder): Promise<EvaluateSummary> {
  const modes = [o.model !== undefined, o.zeroShot === true, o.folds !== undefined && o.model === undefined].filter(Boolean).length;
  if (o.model !== undefined && o.zeroShot) throw new PortraitError('USAGE', 'give --model or --zero-shot, not both');
  if (modes === 0) throw new PortraitError('USAGE', 'give --model <dir>, --zero-shot, or --folds <k>');
  const all = readDataset(o.data, o.fields);
  const split = o.split ?? (o.folds !== undefined ? 'all' : 'test');
  const text = cfg.text;
  const chosen = preprocessRows(pickRows(all, split), text);
  const rows = chosen.rows;
  const progress = o.progress ? { progressLabel: 'embed' } : {};
  const X = (
    await embedChunkLists(
      embedder,
      rows.map((r) => r.chunks),
      { cacheDir: o.cacheDir, ...progress },
    )
  ).vectors;
  let truth = rows.map((r) => r.label);
  const base = { file: o.data, split, rows: rows.length, droppedRows: chosen.dropped };

  if (o.folds !== undefined) {
    let kind: ModelKind = o.classifier ?? 'linear';
    let forest: Partial<ForestOptions> | undefined;
    let linear: Partial<LinearOptions> | undefined;
    if (o.model !== undefined) {
      const a = readArtifact(o.model);
      checkEmbedder(a, { embedderId: embedder.id, dim: embedder.dim }, o.model);
      kind = a.kind;
      if (kind === 'rf') forest = a.hyperParameters as Partial<ForestOptions>;
      else linear = a.hyperParameters as Partial<LinearOptions>;
    }
    const cv = (
      await crossValidateAll([kind], X, truth, o.folds, {
        kind,
        embedder: { id: embedder.id, dim: embedder.dim },
        seed: o.seed,
        ...(forest ? { forest } : {}),
        ...(linear ? { linear } : {}),
        ...(o.progress ? { onProgress: stepLog('evaluate: ') } : {}),
      })
    )[kind]!;
    const report = classificationReport(truth, cv.predictions);
    return {
      mode: 'cross-validation',
      ...base,
      classifier: { kind },
      metrics: summarize(report),
      report,
      folds: cv.folds.map((f) => ({ fold: f.fold, rows: f.rows, accuracy: f.accuracy, macroF1: f.macroF1 })),
      macroF1: cv.macroF1,
    };
  }

  let clf: Classifier;
  let unmapped: string[] | undefined;
  let calibration: EvaluateSummary['calibration'];
  let taxonomyFile: string | undefined;
  let zeroShotCalibration: EvaluateSummary['zeroShotCalibration'];
  if (o.zeroShot) {
    taxonomyFile = o.taxonomy ?? taxonomyFor(o.data, cfg.classifier.taxonomy);
    const taxonomy = loadTaxonomy(taxonomyFile);
    const loaded = await loadZeroShot(taxonomyFile, embedder, cfg.classifier.temperature);
    const zs = loaded.classifier;
    zeroShotCalibration = loaded.calibration;
    const map = labelMap(taxonomy);
    unmapped = [...new Set(truth.filter((l) => !map.has(l)))].sort();
    truth = truth.map((l) => map.get(l) ?? l);
    if (o.calibrate) {
      const cal = preprocessRows(pickRows(all, o.calibrate), text).rows.filter((r) => map.has(r.label));
      const Xc = (
        await embedChunkLists(
          embedder,
          cal.map((r) => r.chunks),
          { cacheDir: o.cacheDir },
        )
      ).vectors;
      const idx = new Map(zs.labels.map((l, i) => [l, i]));
      const yc = cal.map((r) => idx.get(map.get(r.label)!)!);
      const langs = cal.map((r) => r.lang);
      const sims = zs.similarities(Xc, langs);
      const t = fitTemperature(sims, yc);
      const ys = cal.map((r) => map.get(r.label)!);
      calibration = {
        split: o.calibrate,
        rows: cal.length,
        temperature: Math.round(t * 1e4) / 1e4,
        logLossBefore: Math.round(logLoss(ys, zs.predict(Xc, langs)) * 1e4) / 1e4,
        logLossAfter: zeroShotLogLoss(sims, zs.labels, ys, t),
      };
    }
    clf = zs;
  } else {
    const a = readArtifact(o.model!);
    checkEmbedder(a, { embedderId: embedder.id, dim: embedder.dim }, o.model);
    clf = classifierFromArtifact(a, o.model);
  }
  const { report, probs } = evaluateClassifier(
    clf,
    X,
    truth,
    rows.map((r) => r.lang),
  );
  return {
    mode: o.zeroShot ? 'zero-shot' : 'model',
    ...base,
    classifier: {
      kind: clf.kind,
      version: clf.version,
      ...(taxonomyFile ? { taxonomy: taxonomyFile } : {}),
      ...(clf instanceof ZeroShotClassifier ? { temperature: clf.temperature } : {}),
    },
    metrics: summarize(report),
    report,
    predictMicros: predictMicros(clf, X),
    logLoss: Math.round(logLoss(truth, probs) * 1e4) / 1e4,
    ...(calibration ? { calibration } : {}),
    ...(zeroShotCalibration ? { zeroShotCalibration } : {}),
    ...(unmapped && unmapped.length > 0 ? { unmappedLabels: unmapped } : {}),
  };
}

/** Log-loss of softmax(scores / t) for the true labels. */
function zeroShotLogLoss(scores: readonly number[][], labels: readonly string[], y: readonly string[], t: number): number {
  let s = 0;
  scores.forEach((row, i) => {
    const max = Math.max(...row);
    const sum = row.reduce((acc, v) => acc + Math.exp((v - max) / t), 0);
    s -= (row[labels.indexOf(y[i]!)]! - max) / t - Math.log(sum);
  });
  return scores.length === 0 ? 0 : Math.round((s / scores.length) * 1e4) / 1e4;
}
