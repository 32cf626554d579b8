/**
 * `portrait train` without the command line: read a labelled file, choose training and held-out
 * rows, preprocess them as the pipeline does, embed (cached), train, score the held-out rows, and
 * write the artifact. The embedder is passed in (the command builds the configured one).
 */
import { basename } from 'node:path';
import { amendArtifact, saveArtifact, type ClassifierArtifact } from '../classify/artifact.js';
import type { ForestOptions } from '../train/forest-train.js';
import type { LinearOptions } from '../train/linear-train.js';
import { classifierFromArtifact } from '../classify/load.js';
import { trainClassifier, type TrainKind } from '../train/train.js';
import type { Config } from '../config/index.js';
import type { Embedder } from '../embed/types.js';
import { PortraitError } from '../util/errors.js';
import { createProgress, stepLog } from '../util/progress.js';
import { chooseSplit, preprocessRows, readDataset, type DatasetFields } from './dataset.js';
import { embedChunkLists } from './embed-cache.js';
import { evaluateClassifier, predictMicros, summarize, type MetricsSummary } from './evaluate.js';

/** Progress bar labels of the training phases (src/train: cross-validation folds; the linear head's path, calibration and refit, counted in L-BFGS iterations). */
const PHASE_LABELS: Record<string, string> = {
  'cross-validation': 'cross-validation (folds)',
  path: 'linear: l2 and weighting (iterations)',
  calibrate: 'linear: temperature and confusion',
  refit: 'linear: refit on all rows (iterations)',
};

export interface TrainRunOptions {
  data: string;
  fields?: Partial<DatasetFields>;
  trainSplit?: string;
  testSplit?: string;
  testRatio?: number;
  maxRows?: number;
  kind: TrainKind;
  seed: number;
  folds?: number;
  forest?: Partial<ForestOptions>;
  linear?: Partial<LinearOptions>;
  out: string;
  cacheDir?: string | undefined;
  /** Progress on stderr. */
  progress?: boolean;
}

export interface TrainSummary {
  out: string;
  file: string;
  kind: 'rf' | 'linear';
  version: string;
  labels: string[];
  split: string;
  trainRows: number;
  heldOutRows: number;
  droppedRows: number;
  embed: { texts: number; embedded: number; cached: number; seconds: number };
  trainSeconds: number;
  predictMicros: number;
  heldOut: MetricsSummary | null;
  selection?: unknown;
  linear?: unknown;
  artifact: ClassifierArtifact;
}

export async function runTrain(o: TrainRunOptions, cfg: Pick<Config, 'text'>, embedder: Embedder): Promise<TrainSummary> {
  const rows = readDataset(o.data, o.fields);
  const split = chooseSplit(rows, {
    seed: o.seed,
    ...(o.trainSplit !== undefined ? { trainSplit: o.trainSplit } : {}),
    ...(o.testSplit !== undefined ? { testSplit: o.testSplit } : {}),
    ...(o.testRatio !== undefined ? { testRatio: o.testRatio } : {}),
    ...(o.maxRows !== undefined ? { maxRows: o.maxRows } : {}),
  });
  const textOpts = cfg.text;
  const train = preprocessRows(split.train, textOpts);
  const test = preprocessRows(split.test, textOpts);
  if (new Set(train.rows.map((r) => r.label)).size < 2) throw new PortraitError('USAGE', `${o.data}: the training rows (${split.description}) hold fewer than 2 labels`);
  const fineField = o.fields?.fineField;
  if (fineField) {
    const missing = train.rows.findIndex((r) => r.fine === undefined);
    if (missing >= 0) throw new PortraitError('USAGE', `${o.data}:${train.rows[missing]!.line}: no "${fineField}" on a training row (--fine-label-field needs it on every one)`);
    if (o.kind === 'rf') throw new PortraitError('USAGE', '--fine-label-field applies to the linear head (use --classifier linear or auto)');
  }
  const say = stepLog('train: ', { enabled: o.progress === true });
  say(`${split.description}; embedding ${train.rows.length + test.rows.length} texts with ${embedder.id}`);
  const embedded = await embedChunkLists(
    embedder,
    [...train.rows, ...test.rows].map((r) => r.chunks),
    {
      cacheDir: o.cacheDir,
      ...(o.progress ? { progressLabel: 'embed' } : {}),
    },
  );
  const Xtr = embedded.vectors.slice(0, train.rows.length);
  const Xte = embedded.vectors.slice(train.rows.length);
  const ytr = train.rows.map((r) => r.label);

  const result = await trainClassifier(Xtr, ytr, {
    kind: o.kind,
    embedder: { id: embedder.id, dim: embedder.dim },
    seed: o.seed,
    ...(o.folds !== undefined ? { folds: o.folds } : {}),
    ...(o.forest ? { forest: o.forest } : {}),
    ...(o.linear ? { linear: o.linear } : {}),
    fine: fineField ? train.rows.map((r) => r.fine!) : undefined,
    ...(o.progress ? { onProgress: say, progress: (phase: string, total: number) => createProgress({ total, label: PHASE_LABELS[phase] ?? phase }) } : {}),
  });
  const clf = classifierFromArtifact(result.artifact);
  const heldOut =
    test.rows.length > 0
      ? summarize(
          evaluateClassifier(
            clf,
            Xte,
            test.rows.map((r) => r.label),
          ).report,
        )
      : null;
  const micros = predictMicros(clf, Xte.length > 0 ? Xte : Xtr);
  const labelCounts: Record<string, number> = {};
  for (const l of ytr) labelCounts[l] = (labelCounts[l] ?? 0) + 1;
  const dropped = train.dropped + test.dropped;
  const artifact = amendArtifact(result.artifact, {
    training: {
      ...result.artifact.training,
      labelCounts,
      source: `${basename(o.data)}: ${split.description}${dropped > 0 ? `; ${dropped} rows with nothing left after preprocessing dropped` : ''}${fineField ? `; linear head trained on "${fineField}"` : ''}`,
    },
    ...(heldOut ? { metrics: { heldOut: heldOut as unknown as Record<string, never> } } : {}),
    run: { trainSeconds: Math.round(result.seconds * 10) / 10, predictMicrosPerComment: micros, embedSeconds: Math.round(embedded.stats.seconds * 10) / 10 },
  });
  saveArtifact(o.out, artifact);
  return {
    out: o.out,
    file: o.data,
    kind: artifact.kind,
    version: artifact.version,
    labels: artifact.labels,
    split: split.description,
    trainRows: train.rows.length,
    heldOutRows: test.rows.length,
    droppedRows: dropped,
    embed: { texts: embedded.stats.texts, embedded: embedded.stats.embedded, cached: embedded.stats.cached, seconds: embedded.stats.seconds },
    trainSeconds: result.seconds,
    predictMicros: micros,
    heldOut,
    ...(artifact.selection ? { selection: artifact.selection } : {}),
    ...(result.linear ? { linear: result.linear } : {}),
    artifact,
  };
}
