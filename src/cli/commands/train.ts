/**
 * `portrait train`: train a classifier on a labelled JSONL file with the configured embedder and
 * write `<out>/classifier.json` (docs/models.md). With --register the artifact is also stored in
 * the Redis model registry (and activated with --activate).
 */
import { Option, type Command } from 'commander';
import { withEmbedder } from '../../app/parts.js';
import { TRAIN_KINDS, type TrainKind } from '../../train/train.js';
import { loadConfig, type Config } from '../../config/index.js';
import { runTrain, type TrainSummary } from '../../eval/train-run.js';
import { addEmbedCacheOptions, addFieldOptions, cacheDirOf, fieldsOf, intOption, numberOption, type EmbedCacheCliOptions, type FieldCliOptions } from '../options.js';
import { printJson, usage } from '../output.js';
import { withRegistry } from './model.js';

interface TrainCliOptions extends FieldCliOptions, EmbedCacheCliOptions {
  data: string;
  fineLabelField?: string;
  trainSplit?: string;
  testSplit: string;
  testRatio?: number;
  maxRows?: number;
  classifier: TrainKind;
  trees?: number;
  maxFeatures?: number;
  maxDepth?: number;
  bins?: number;
  rfRows?: number;
  l2?: number | 'auto';
  classWeight?: 'balanced' | 'none' | 'auto';
  folds: number;
  seed: number;
  out: string;
  register?: boolean;
  activate?: boolean;
  json?: boolean;
}

const pct = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(3));

function printText(s: TrainSummary, registered?: string): void {
  const w = (line: string) => process.stdout.write(`${line}\n`);
  w(`trained ${s.kind} ${s.version} on ${s.trainRows} rows of ${s.file} (${s.labels.length} labels) in ${s.trainSeconds.toFixed(1)} s → ${s.out}/classifier.json`);
  w(`  data: ${s.split}${s.droppedRows ? `; ${s.droppedRows} dropped by preprocessing` : ''}`);
  w(`  embedded ${s.embed.embedded} texts, ${s.embed.cached} from the cache, in ${s.embed.seconds.toFixed(1)} s`);
  if (s.selection) w(`  auto: ${(s.selection as { reason: string }).reason}`);
  if (s.heldOut) w(`  held out (${s.heldOut.rows} rows): accuracy ${pct(s.heldOut.accuracy)}  macro-F1 ${pct(s.heldOut.macroF1)}  macro-P ${pct(s.heldOut.macroPrecision)}  macro-R ${pct(s.heldOut.macroRecall)}`);
  w(`  prediction: ${s.predictMicros} µs per comment (batches of 16)`);
  if (registered) w(`  ${registered}`);
}

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a classifier (softmax head, random forest, or auto) on a labelled JSONL file and write a model artifact')
    .requiredOption('--data <jsonl>', 'labelled rows, e.g. data/sib200_zh.jsonl')
    .requiredOption('--out <dir>', 'directory for classifier.json (e.g. artifacts/models/sib200_zh)');
  addFieldOptions(cmd)
    .option('--train-split <names>', 'split value(s) to train on, comma-separated (default: every split in the data but --test-split)')
    .option('--test-split <names>', 'split value(s) held out for the metrics', 'test')
    .option(
      '--test-ratio <r>',
      'ignore the split field: hold out this stratified share instead',
      numberOption('--test-ratio', (n) => n > 0 && n < 1, 'in (0, 1)'),
    )
    .option('--fine-label-field <name>', 'train the linear head on this finer label (e.g. label_fine) and sum its probabilities into the labels')
    .option('--max-rows <n>', 'cap the training rows (stratified subsample)', intOption('--max-rows', 2))
    .addOption(new Option('--classifier <kind>', 'rf | linear | auto (the linear head; with at most 100 training rows, the better of both by cross-validation)').choices([...TRAIN_KINDS]).default('auto'))
    .option('--trees <n>', 'rf: number of trees', intOption('--trees', 1))
    .option(
      '--max-features <x>',
      'rf: features per tree, a fraction in (0,1] or a count',
      numberOption('--max-features', (n) => n > 0, '> 0'),
    )
    .option('--max-depth <n>', 'rf: maximum tree depth', intOption('--max-depth', 1))
    .option('--bins <n>', 'rf: quantile bins per feature for training (0 = exact, slow)', intOption('--bins', 0))
    .option('--rf-rows <n>', 'rf: train on at most this many rows (stratified)', intOption('--rf-rows', 2))
    .option('--l2 <x>', "linear: L2 penalty, or 'auto' (chosen on a validation slice)", (v: string) => (v === 'auto' ? 'auto' : numberOption('--l2', (n) => n >= 0, "a number >= 0 or 'auto'")(v)))
    .addOption(new Option('--class-weight <w>', "linear: 'balanced' (n / (k · n_c)), 'none', or 'auto' (the better on the validation slice)").choices(['balanced', 'none', 'auto']))
    .option('--folds <k>', 'auto: folds of the cross-validation (at most 100 training rows)', intOption('--folds', 2), 3)
    .option('--seed <n>', 'seed of splits, subsamples and the forest', intOption('--seed', 0), 42);
  addEmbedCacheOptions(cmd)
    .option('--register', 'also store the artifact in the Redis model registry')
    .option('--activate', 'with --register: make it the active model (running processors switch within seconds)')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
Examples:
  portrait train --data data/sib200_zh.jsonl --out artifacts/models/sib200_zh
  portrait train --data data/clinc150_en.jsonl --classifier linear --fine-label-field label_fine --out artifacts/models/clinc
  portrait train --data my.jsonl --test-ratio 0.2 --classifier rf --trees 50 --out artifacts/models/mine --register --activate

Methods, defaults and reference results: docs/models.md.`,
    )
    .action(async (opts: TrainCliOptions) => {
      if (opts.activate && !opts.register) throw usage('--activate needs --register');
      const cfg: Readonly<Config> = loadConfig();
      const summary: TrainSummary = await withEmbedder(cfg, (embedder) =>
        runTrain(
          {
            data: opts.data,
            fields: { ...fieldsOf(opts), fineField: opts.fineLabelField ?? '' },
            ...(opts.trainSplit !== undefined ? { trainSplit: opts.trainSplit } : {}),
            testSplit: opts.testSplit,
            ...(opts.testRatio !== undefined ? { testRatio: opts.testRatio } : {}),
            ...(opts.maxRows !== undefined ? { maxRows: opts.maxRows } : {}),
            kind: opts.classifier,
            seed: opts.seed,
            folds: opts.folds,
            forest: {
              ...(opts.trees !== undefined ? { nEstimators: opts.trees } : {}),
              ...(opts.maxFeatures !== undefined ? { maxFeatures: opts.maxFeatures } : {}),
              ...(opts.maxDepth !== undefined ? { maxDepth: opts.maxDepth } : {}),
              ...(opts.bins !== undefined ? { bins: opts.bins } : {}),
              ...(opts.rfRows !== undefined ? { maxRows: opts.rfRows } : {}),
            },
            linear: { ...(opts.l2 !== undefined ? { l2: opts.l2 } : {}), ...(opts.classWeight !== undefined ? { classWeight: opts.classWeight } : {}) },
            out: opts.out,
            cacheDir: cacheDirOf(opts),
            progress: !opts.json || process.stderr.isTTY === true,
          },
          cfg,
          embedder,
        ),
      );
      let registered: string | undefined;
      if (opts.register) {
        registered = await withRegistry(cfg, async (reg) => {
          const r = await reg.register(summary.artifact);
          let line = `${r.created ? 'registered' : 'already registered'} ${summary.version} in the model registry`;
          if (opts.activate) {
            await reg.activate(summary.version, { embedderId: summary.artifact.embedder.id, dim: summary.artifact.embedder.dim });
            line += ' and activated it';
          }
          return line;
        });
      }
      if (opts.json) {
        const { artifact: _artifact, ...rest } = summary;
        printJson({ ...rest, ...(registered ? { registry: registered } : {}) });
      } else printText(summary, registered);
    });
}
