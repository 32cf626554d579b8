/**
 * Labelled JSONL data sets for training and evaluation: configurable field names, an optional split
 * field, the pipeline's own text preprocessing (so a model is trained on exactly what the processor
 * embeds), and the choice of training and held-out rows.
 */
import { readJsonlRecords } from '../sim/jsonl.js';
import { isRejection, preprocess, type Lang, type PreprocessOptions } from '../text/index.js';
import { stratifiedCap, stratifiedHoldout } from '../train/split.js';
import { PortraitError } from '../util/errors.js';

export interface DatasetFields {
  textField: string;
  labelField: string;
  /** Field holding the split name (train/dev/test); rows without it have split undefined. */
  splitField: string;
  /** Optional field with a finer label (e.g. the intent under a domain); empty = none. */
  fineField: string;
}

export const DEFAULT_FIELDS: DatasetFields = { textField: 'text', labelField: 'label', splitField: 'split', fineField: '' };

export interface DataRow {
  /** 1-based line in the file. */
  line: number;
  text: string;
  label: string;
  split?: string;
  /** The finer label, when a fine field was asked for and the row has one. */
  fine?: string;
}

/** Read every labelled row; a row without a non-empty text or label is a USAGE error naming the line. */
export function readDataset(file: string, fields: Partial<DatasetFields> = {}): DataRow[] {
  const f = { ...DEFAULT_FIELDS, ...fields };
  const rows = readJsonlRecords(file).map(({ line, value }) => {
    const bad = (why: string) => new PortraitError('USAGE', `${file}:${line}: ${why}`, { details: { file, line } });
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('expected a JSON object');
    const o = value as Record<string, unknown>;
    const text = o[f.textField];
    const label = o[f.labelField];
    if (typeof text !== 'string' || text.trim() === '') throw bad(`"${f.textField}" must be a non-empty string`);
    if (typeof label !== 'string' && typeof label !== 'number') throw bad(`"${f.labelField}" must be a string or a number`);
    const l = String(label).trim();
    if (l === '') throw bad(`"${f.labelField}" must not be empty`);
    const split = o[f.splitField];
    const row: DataRow = { line, text, label: l };
    if (typeof split === 'string' && split !== '') row.split = split;
    if (f.fineField !== '') {
      const fine = o[f.fineField];
      if (typeof fine === 'string' && fine.trim() !== '') row.fine = fine.trim();
      else if (typeof fine === 'number') row.fine = String(fine);
    }
    return row;
  });
  if (rows.length === 0) throw new PortraitError('USAGE', `${file} holds no rows`);
  return rows;
}

/** The splits present, with row counts (rows without a split under "(none)"). */
export function splitCounts(rows: readonly DataRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[r.split ?? '(none)'] = (out[r.split ?? '(none)'] ?? 0) + 1;
  return out;
}

/** The splits present with their row counts, for messages: "train 701, dev 99, test 204". */
export function describeSplits(rows: readonly DataRow[]): string {
  return Object.entries(splitCounts(rows))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

/** Rows whose split is one of `names` (comma-separated accepted). */
export function rowsOfSplit(rows: readonly DataRow[], names: string | readonly string[]): DataRow[] {
  const want = new Set((typeof names === 'string' ? names.split(',') : names).map((s) => s.trim()).filter(Boolean));
  return rows.filter((r) => r.split !== undefined && want.has(r.split));
}

export interface PreparedRow extends DataRow {
  /** The pipeline's preprocess() text: all that is embedded. */
  input: string;
  /** What the embedder sees: the pipeline's preprocess() chunks (`[input]` unless the text is long); pooled into one vector (src/embed/pool.ts). */
  chunks: string[];
  /** The language preprocessing detected (a calibrated zero-shot taxonomy's bias is per language). */
  lang: Lang;
}

/** Apply the pipeline's preprocessing; rows left with nothing to embed are dropped and counted. */
export function preprocessRows(rows: readonly DataRow[], text: PreprocessOptions): { rows: PreparedRow[]; dropped: number } {
  const out: PreparedRow[] = [];
  let dropped = 0;
  for (const r of rows) {
    const p = preprocess(r.text, text);
    if (isRejection(p)) dropped++;
    else out.push({ ...r, input: p.text, chunks: p.chunks, lang: p.lang });
  }
  return { rows: out, dropped };
}

/** Every split value of the data except the test split(s), in order of first appearance, comma-joined. */
export function defaultTrainSplits(rows: readonly DataRow[], testSplit: string): string {
  const test = new Set(testSplit.split(',').map((x) => x.trim()));
  return Object.keys(splitCounts(rows))
    .filter((k) => k !== '(none)' && !test.has(k))
    .join(',');
}

export interface SplitChoice {
  /** 'split' when the data's split field chose the parts, 'holdout' for a stratified random hold-out. */
  mode: 'split' | 'holdout';
  train: DataRow[];
  test: DataRow[];
  description: string;
}

export interface ChooseOptions {
  /**
   * Split values used for training, comma-separated. Default: every split value in the data except
   * the test split(s) (train, dev / val, …): a final model learns from every labelled row that is
   * not held out; its hyper-parameters are chosen on a slice of its own training rows.
   */
  trainSplit?: string;
  /** Split values held out for the metrics (default "test"). */
  testSplit?: string;
  /** Force a stratified hold-out of this share instead of the split field. */
  testRatio?: number;
  seed: number;
  /** Cap on the training rows (stratified subsample). */
  maxRows?: number;
}

/**
 * Training and held-out rows: by the split field when the data has the training split (and no
 * `testRatio` was asked for), else a stratified hold-out (default 20%).
 */
export function chooseSplit(rows: readonly DataRow[], o: ChooseOptions): SplitChoice {
  const testSplit = o.testSplit ?? 'test';
  const trainSplit = o.trainSplit ?? defaultTrainSplits(rows, testSplit);
  let choice: SplitChoice;
  const trainRows = rowsOfSplit(rows, trainSplit);
  if (o.testRatio === undefined && trainRows.length > 0) {
    let test = rowsOfSplit(rows, testSplit);
    let train = trainRows;
    const splits = trainSplit.includes(',') ? `splits "${trainSplit}"` : `split "${trainSplit}"`;
    let description = `trained on ${splits} (${train.length} rows), held out split "${testSplit}" (${test.length} rows)`;
    if (test.length === 0) {
      const h = stratifiedHoldout(
        train.map((r) => r.label),
        0.2,
        o.seed,
      );
      test = h.test.map((i) => train[i]!);
      train = h.train.map((i) => train[i]!);
      description = `no "${testSplit}" rows: held out a stratified 20% of split "${trainSplit}" (${train.length} train, ${test.length} held out)`;
    }
    choice = { mode: 'split', train, test, description };
  } else {
    const ratio = o.testRatio ?? 0.2;
    const h = stratifiedHoldout(
      rows.map((r) => r.label),
      ratio,
      o.seed,
    );
    choice = {
      mode: 'holdout',
      train: h.train.map((i) => rows[i]!),
      test: h.test.map((i) => rows[i]!),
      description: `stratified hold-out of ${Math.round(ratio * 100)}% (${h.train.length} train, ${h.test.length} held out)`,
    };
  }
  if (o.maxRows !== undefined && choice.train.length > o.maxRows) {
    const keep = stratifiedCap(
      choice.train.map((r) => r.label),
      o.maxRows,
      o.seed,
    );
    choice.description += `; training rows capped at ${o.maxRows} (stratified) from ${choice.train.length}`;
    choice.train = keep.map((i) => choice.train[i]!);
  }
  return choice;
}
