/**
 * `portrait calibrate`: measure a zero-shot taxonomy's confusion on labelled rows and write it
 * beside the taxonomy, so processors unmix zero-shot profiles with it. docs/models.md.
 */
import type { Command } from 'commander';
import { withEmbedder } from '../../app/parts.js';
import { loadConfig } from '../../config/index.js';
import { DEFAULT_CALIBRATION_SPLIT, runCalibrate, type CalibrateSummary } from '../../eval/calibrate-run.js';
import { addEmbedCacheOptions, addFieldOptions, cacheDirOf, fieldsOf, type EmbedCacheCliOptions, type FieldCliOptions } from '../options.js';
import { printJson } from '../output.js';

interface CalibrateCliOptions extends FieldCliOptions, EmbedCacheCliOptions {
  data: string[];
  taxonomy?: string;
  split: string;
  out?: string;
  dryRun?: boolean;
  balance?: boolean;
  json?: boolean;
}

const f3 = (x: number) => x.toFixed(3);

function printText(s: CalibrateSummary): void {
  const w = (line = '') => process.stdout.write(`${line}\n`);
  w(`${s.written ? 'calibrated' : 'measured (dry run, nothing written)'} ${s.taxonomy} on ${s.rows} labelled rows (${s.calibration.data.map((d) => `${d.file} ${d.split}: ${d.rows}`).join(', ')})`);
  if (s.droppedRows > 0) w(`  ${s.droppedRows} rows dropped by preprocessing`);
  const skipped = Object.entries(s.skipped);
  if (skipped.length > 0) w(`  warning: skipped rows whose label is not in the taxonomy: ${skipped.map(([l, n]) => `${l} (${n})`).join(', ')}`);
  const none = Object.entries(s.rowsPerLabel)
    .filter(([, n]) => n === 0)
    .map(([l]) => l);
  if (none.length > 0) w(`  warning: no calibration rows for ${none.join(', ')}: their confusion row is the identity`);
  const b = s.calibration.bias;
  if (b) {
    const big = (xs: readonly number[]) =>
      s.calibration.labels
        .map((l, i) => [l, xs[i]!] as const)
        .sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]))
        .slice(0, 3)
        .map(([l, v]) => `${l} ${v > 0 ? '+' : ''}${v.toFixed(3)}`)
        .join(', ');
    w(`  label bias fitted on ${b.rows.zh} zh and ${b.rows.en} en rows; largest offsets zh: ${big(b.zh)}; en: ${big(b.en)}`);
  }
  w(`  per comment on these rows: accuracy ${f3(s.metrics.accuracy)}, macro-F1 ${f3(s.metrics.macroF1)}`);
  w(`  temperature ${s.temperature} (best on these rows: ${s.bestTemperature}${Math.abs(s.bestTemperature - s.temperature) / s.temperature > 0.2 ? '; set it in the taxonomy and calibrate again to use it' : ''})`);
  w(`  zero-shot ${s.classifierVersion} → calibrated ${s.calibratedVersion}${s.written ? `; wrote ${s.out}` : ''}`);
  if (s.written) w('  processors built from this taxonomy now unmix profiles with this confusion (profile.unmix); it is ignored if the taxonomy, temperature or embedder change');
}

export function registerCalibrate(program: Command): void {
  const cmd = program
    .command('calibrate')
    .description("measure the zero-shot taxonomy's confusion on labelled rows (a dev split) and write it beside the taxonomy, so profiles are unmixed with it")
    .requiredOption('--data <jsonl...>', 'labelled rows, one or more files (e.g. the Chinese and English rows of one taxonomy)')
    .option('--taxonomy <file>', 'the taxonomy YAML (default: config/taxonomies/<first data file>.yaml, else classifier.taxonomy)')
    .option('--split <names>', "split value(s) to calibrate on, comma-separated, or 'all'", DEFAULT_CALIBRATION_SPLIT)
    .option('--out <file>', 'where to write (default: <taxonomy>.calibration.json beside it)')
    .option('--balance', 'also fit a label bias per language on the rows (labels unused; the rows must be balanced across labels): it corrects labels that take too many comments and changes per-comment predictions')
    .option('--dry-run', 'measure and report, write nothing');
  addFieldOptions(cmd);
  addEmbedCacheOptions(cmd)
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  portrait calibrate --data data/sib200_zh.jsonl data/sib200_en.jsonl
  portrait calibrate --data data/clinc150_en.jsonl --split val --dry-run
  portrait calibrate --taxonomy config/taxonomy.yaml --data data/everyday_comments_dev.jsonl --split all --balance

The rows must not be the ones you evaluate on (use a dev split). docs/models.md.`,
    )
    .action(async (opts: CalibrateCliOptions) => {
      const cfg = loadConfig();
      const s: CalibrateSummary = await withEmbedder(cfg, (embedder) =>
        runCalibrate(
          {
            data: opts.data,
            fields: fieldsOf(opts),
            split: opts.split,
            ...(opts.taxonomy !== undefined ? { taxonomy: opts.taxonomy } : {}),
            ...(opts.out !== undefined ? { out: opts.out } : {}),
            ...(opts.dryRun ? { dryRun: true } : {}),
            ...(opts.balance ? { balance: true } : {}),
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
