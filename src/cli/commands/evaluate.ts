/**
 * `portrait evaluate`: accuracy, macro and per-class precision / recall / F1 and the confusion
 * matrix of a trained artifact (--model), of the zero-shot taxonomy (--zero-shot), or of a training
 * procedure by stratified k-fold cross-validation (--folds). docs/models.md.
 */
import { Option, type Command } from 'commander';
import { withEmbedder } from '../../app/parts.js';
import { loadConfig } from '../../config/index.js';
import { runEvaluate, type EvaluateSummary } from '../../eval/evaluate-run.js';
import type { ClassificationReport } from '../../train/metrics.js';
import { addEmbedCacheOptions, addFieldOptions, cacheDirOf, fieldsOf, intOption, type EmbedCacheCliOptions, type FieldCliOptions } from '../options.js';
import { printJson } from '../output.js';

interface EvaluateCliOptions extends FieldCliOptions, EmbedCacheCliOptions {
  data: string;
  model?: string;
  zeroShot?: boolean;
  taxonomy?: string;
  calibrate?: string;
  split?: string;
  folds?: number;
  classifier?: 'rf' | 'linear';
  seed: number;
  json?: boolean;
}

const f3 = (x: number) => x.toFixed(3);

/** The confusion matrix as text, labels cut to `w` characters. */
export function confusionText(r: ClassificationReport, w = 8): string {
  const short = r.labels.map((l) => (l.length > w ? `${l.slice(0, w - 1)}…` : l));
  const cell = Math.max(5, ...r.confusion.flat().map((n) => String(n).length + 1));
  const head = `${'true \\ pred'.padEnd(w + 2)}${short.map((l) => l.padStart(Math.max(cell, l.length + 1))).join('')}`;
  const lines = r.confusion.map((row, i) => `${short[i]!.padEnd(w + 2)}${row.map((n, j) => String(n).padStart(Math.max(cell, short[j]!.length + 1))).join('')}`);
  return [head, ...lines].join('\n');
}

function printText(s: EvaluateSummary): void {
  const w = (line = '') => process.stdout.write(`${line}\n`);
  const who = s.classifier.version ? `${s.classifier.kind} ${s.classifier.version}` : s.classifier.kind;
  w(`${s.mode === 'cross-validation' ? `${s.folds!.length}-fold cross-validation of` : 'evaluated'} ${who} on ${s.rows} rows of ${s.file} (split ${s.split})${s.droppedRows ? `, ${s.droppedRows} dropped by preprocessing` : ''}`);
  if (s.classifier.taxonomy) w(`  taxonomy ${s.classifier.taxonomy}, temperature ${s.classifier.temperature}`);
  const zc = s.zeroShotCalibration;
  if (zc) w(zc.applied ? `  calibration ${zc.file}: applied (profiles unmix with its confusion; these per-comment figures do not depend on it)` : `  warning: calibration ${zc.file} not applied: ${zc.reason}`);
  if (s.unmappedLabels) w(`  warning: labels with no taxonomy entry or alias (always wrong): ${s.unmappedLabels.join(', ')}`);
  w(`  accuracy ${f3(s.metrics.accuracy)}  macro-F1 ${f3(s.metrics.macroF1)}  macro-P ${f3(s.metrics.macroPrecision)}  macro-R ${f3(s.metrics.macroRecall)}  weighted-F1 ${f3(s.metrics.weightedF1)}`);
  if (s.macroF1) w(`  macro-F1 per fold ${s.folds!.map((f) => f3(f.macroF1)).join(' ')} (mean ${f3(s.macroF1.mean)} ± ${f3(s.macroF1.std)})`);
  if (s.predictMicros !== undefined) w(`  prediction ${s.predictMicros} µs per comment, log-loss ${s.logLoss}`);
  if (s.calibration) {
    const c = s.calibration;
    w(`  calibration on split ${c.split} (${c.rows} rows): temperature ${c.temperature} (log-loss ${c.logLossBefore} → ${c.logLossAfter}); set "temperature: ${c.temperature}" in the taxonomy to use it`);
  }
  w();
  const width = Math.max(5, ...s.report.perClass.map((c) => c.label.length));
  w(`  ${'label'.padEnd(width)}  precision  recall     f1  support`);
  for (const c of s.report.perClass) w(`  ${c.label.padEnd(width)}  ${f3(c.precision).padStart(9)}  ${f3(c.recall).padStart(6)}  ${f3(c.f1).padStart(5)}  ${String(c.support).padStart(7)}`);
  w();
  w(confusionText(s.report));
}

export function registerEvaluate(program: Command): void {
  const cmd = program
    .command('evaluate')
    .description('score a model artifact, the zero-shot taxonomy, or a training procedure (cross-validation) on labelled JSONL rows')
    .requiredOption('--data <jsonl>', 'labelled rows, e.g. data/sib200_zh.jsonl')
    .option('--model <dir>', 'artifact directory (or classifier.json) to score')
    .option('--zero-shot', 'score the zero-shot classifier (taxonomy: --taxonomy, else config/taxonomies/<data>.yaml, else classifier.taxonomy)')
    .option('--taxonomy <file>', 'with --zero-shot: the taxonomy YAML')
    .option('--calibrate <split>', 'with --zero-shot: fit the softmax temperature on this split and report it')
    .option('--split <names>', "split value(s) to score, comma-separated, or 'all' (default: test; all with --folds)")
    .option('--folds <k>', 'stratified k-fold cross-validation of the training procedure (of --model, else --classifier)', intOption('--folds', 2))
    .addOption(new Option('--classifier <kind>', 'with --folds and no --model: the procedure').choices(['rf', 'linear']).default('linear'));
  addFieldOptions(cmd).option('--seed <n>', 'seed of the folds', intOption('--seed', 0), 42);
  addEmbedCacheOptions(cmd)
    .option('--json', 'print the full result (per-class metrics, confusion matrix) as JSON')
    .addHelpText(
      'after',
      `
Examples:
  portrait evaluate --model artifacts/models/sib200_zh --data data/sib200_zh.jsonl
  portrait evaluate --zero-shot --data data/csl_titles_zh.jsonl --calibrate dev
  portrait evaluate --folds 5 --classifier linear --data data/sib200_en.jsonl --split train`,
    )
    .action(async (opts: EvaluateCliOptions) => {
      const cfg = loadConfig();
      const s: EvaluateSummary = await withEmbedder(cfg, (embedder) =>
        runEvaluate(
          {
            data: opts.data,
            fields: fieldsOf(opts),
            ...(opts.split !== undefined ? { split: opts.split } : {}),
            ...(opts.model !== undefined ? { model: opts.model } : {}),
            ...(opts.zeroShot ? { zeroShot: true } : {}),
            ...(opts.taxonomy !== undefined ? { taxonomy: opts.taxonomy } : {}),
            ...(opts.calibrate !== undefined ? { calibrate: opts.calibrate } : {}),
            ...(opts.folds !== undefined ? { folds: opts.folds } : {}),
            ...(opts.classifier ? { classifier: opts.classifier } : {}),
            seed: opts.seed,
            cacheDir: cacheDirOf(opts),
            progress: process.stderr.isTTY === true,
          },
          cfg,
          embedder,
        ),
      );
      if (opts.json) printJson(s);
      else printText(s);
    });
}
