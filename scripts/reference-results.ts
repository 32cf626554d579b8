/**
 * Reference results for docs/models.md, in one command: `npm run models:reference`.
 *
 * On clinc150_en, sib200_en, sib200_zh and csl_titles_zh: train rf, linear and auto (the default)
 * on every split but the test split (train + dev / val: `portrait train`'s default) and score the
 * test split; score the zero-shot taxonomy; extra rows on the
 * forest's bounds (sib200_en); then profile-level numbers from
 * evaluate-profiles (needs Kafka and Redis; skipped with a note when they are not reachable).
 * Writes artifacts/reference/results.json and results.md; --update-docs replaces the blocks between
 * the reference markers in docs/models.md (classifiers; profiles). Options: --quick (no extras),
 * --no-profiles, --only <ds,..>, --profiles-only (only the profile table: reuses the linear models
 * of an earlier run in artifacts/reference/models when they carry a confusion, trains them if not),
 * --users n (simulated users per profile row, default 1,000).
 */
import { cpus } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcessor } from '../consumers/comments.js';
import { createEmbedder } from '../src/app/parts.js';
import { loadConfig, projectPath } from '../src/config/index.js';
import { runEvaluate } from '../src/eval/evaluate-run.js';
import { runEvaluateProfiles } from '../src/eval/profiles-run.js';
import { runTrain, type TrainRunOptions, type TrainSummary } from '../src/eval/train-run.js';
import { silentLogger } from '../src/util/logger.js';
import { stepLog } from '../src/util/progress.js';
import { readArtifact } from '../src/classify/artifact.js';
import { defaultTrainSplits, readDataset, splitCounts } from '../src/eval/dataset.js';
import { renderMarkdown, renderProfiles, type ProfilesReference, type Reference, type Row } from '../src/eval/reference-md.js';

const args = process.argv.slice(2);
const flag = (f: string) => args.includes(f);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',') : undefined;
const OUT = projectPath('artifacts/reference');
const CACHE = projectPath('artifacts/cache');
const SEED = 42;
/** Simulated users per profile row: 1,000 keeps a row's sampling error under a point (200 moved rows by up to 7). */
const USERS = args.includes('--users') ? Number(args[args.indexOf('--users') + 1]) : 1000;

const DATASETS = ['clinc150_en', 'sib200_en', 'sib200_zh', 'csl_titles_zh'].filter((d) => !only || only.includes(d)).map((name) => ({ name }));

const cfg = loadConfig();
const embedder = createEmbedder(cfg);
const say = stepLog('[reference] ');
const r3 = (x: number) => Math.round(x * 1000) / 1000;

async function train(ds: string, label: string, o: Partial<TrainRunOptions>): Promise<Row> {
  say(`${ds}: training ${label}`);
  const s: TrainSummary = await runTrain({ data: projectPath(`data/${ds}.jsonl`), kind: 'linear', seed: SEED, out: join(OUT, 'models', `${ds}-${label.replace(/[^a-z0-9]+/gi, '-')}`), cacheDir: CACHE, ...o }, cfg, embedder);
  const sel = s.selection as { winner: string; candidates: Record<string, { macroF1?: { mean: number; std: number }; validation?: { macroF1?: number } }> } | undefined;
  const cvNote = (c: NonNullable<typeof sel>) =>
    c.candidates.rf
      ? `CV macro-F1 linear ${r3(c.candidates.linear!.macroF1!.mean)}, rf ${r3(c.candidates.rf.macroF1!.mean)} → ${c.winner}`
      : `linear only (validation macro-F1 ${r3(c.candidates.linear?.validation?.macroF1 ?? Number.NaN)}); the forest is cross-validated only on small sets`;
  return {
    dataset: ds,
    method: label,
    kind: s.kind,
    trainRows: s.artifact.training.rows,
    testRows: s.heldOutRows,
    accuracy: r3(s.heldOut!.accuracy),
    macroF1: r3(s.heldOut!.macroF1),
    trainSeconds: Math.round(s.trainSeconds * 10) / 10,
    predictMicros: s.predictMicros,
    version: s.version,
    ...(sel ? { note: cvNote(sel) } : {}),
  };
}

const started = Date.now();
const rows: Row[] = [];
const profiles: Reference['profiles'] = [];
const notes: string[] = [];
await embedder.ready();
const profilesOnly = flag('--profiles-only');
for (const d of DATASETS) {
  const ds = d.name;
  if (profilesOnly) {
    const dir = join(OUT, 'models', `${ds}-linear`);
    const file = join(dir, 'classifier.json');
    if (!existsSync(file) || !readArtifact(file).confusion) await train(ds, 'linear', { kind: 'linear' });
    else say(`${ds}: reusing ${file}`);
  } else {
    rows.push(await train(ds, 'rf', { kind: 'rf' }));
    rows.push(await train(ds, 'linear', { kind: 'linear' }));
    rows.push(await train(ds, 'auto (default)', { kind: 'auto' }));
    say(`${ds}: zero-shot`);
    const zs = await runEvaluate({ data: projectPath(`data/${ds}.jsonl`), zeroShot: true, seed: SEED, cacheDir: CACHE }, cfg, embedder);
    rows.push({
      dataset: ds,
      method: 'zero-shot',
      kind: 'zero-shot',
      trainRows: 0,
      testRows: zs.rows,
      accuracy: r3(zs.metrics.accuracy),
      macroF1: r3(zs.metrics.macroF1),
      trainSeconds: 0,
      predictMicros: zs.predictMicros ?? 0,
      version: zs.classifier.version ?? '',
      note: `config/taxonomies/${zs.classifier.taxonomy!.split('/').pop()}`,
    });
    if (!flag('--quick')) {
      if (ds === 'sib200_en') {
        rows.push(await train(ds, 'rf, exact splits (bins 0)', { kind: 'rf', forest: { bins: 0 } }));
        rows.push(await train(ds, 'rf, 32 bins', { kind: 'rf', forest: { bins: 32 } }));
      }
    }
  }
  if (!flag('--no-profiles')) {
    for (const [label, opts] of [
      ['linear', { model: join(OUT, 'models', `${ds}-linear`) }],
      ['zero-shot', { zeroShot: true }],
    ] as const) {
      say(`${ds}: evaluate-profiles with ${label}`);
      try {
        const p = await runEvaluateProfiles({ data: projectPath(`data/${ds}.jsonl`), population: 'tidy', users: USERS, seed: SEED, ...opts }, cfg, embedder, startProcessor, silentLogger);
        profiles.push({
          dataset: ds,
          classifier: label === 'zero-shot' && p.unmixed ? 'zero-shot, calibrated' : label,
          users: p.users,
          comments: p.perComment.comments,
          perComment: p.perComment.accuracy,
          top1: p.top1,
          top3Recall: p.top3Recall,
          majorityVote: p.majorityVoteTop1,
          meanProbability: p.meanProbabilityTop1,
          gain: p.gain,
          ...(p.shareError !== undefined ? { shareError: p.shareError } : {}),
        });
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        notes.push(`evaluate-profiles ${ds} ${label} skipped: ${why}`);
        say(`evaluate-profiles failed: ${why}`);
      }
    }
  }
}
await embedder.close();

const minutes = Math.round((Date.now() - started) / 6000) / 10;
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? '?', node: process.version };
mkdirSync(OUT, { recursive: true });
const doc = projectPath('docs/models.md');
/** Replace the text between two markers of docs/models.md. */
function replaceBlock(name: string, md: string): void {
  const text = readFileSync(doc, 'utf8');
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`docs/models.md has no ${begin} … ${end} block`);
  writeFileSync(doc, `${text.slice(0, a + begin.length)}\n${md}${text.slice(b)}`);
  say(`updated the ${name} block of docs/models.md`);
}
const profRef: ProfilesReference = { generatedAt: new Date().toISOString(), machine, embedder: embedder.id, seed: SEED, minutes, profiles };
if (!profilesOnly) {
  /** "18,000 (train + val)": the rows `portrait train` uses by default, read off the data. */
  const trainRows = Object.fromEntries(
    DATASETS.map(({ name }) => {
      const data = readDataset(projectPath(`data/${name}.jsonl`));
      const splits = defaultTrainSplits(data, 'test').split(',');
      const counts = splitCounts(data);
      const n = splits.reduce((a, k) => a + (counts[k] ?? 0), 0);
      return [name, `${n.toLocaleString('en-US')} (${splits.join(' + ')})`];
    }),
  );
  const ref: Reference = { ...profRef, trainRows, rows, notes };
  writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(ref, null, 2)}\n`);
  const md = renderMarkdown(ref);
  writeFileSync(join(OUT, 'results.md'), md);
  say(`wrote ${join(OUT, 'results.json')} and results.md in ${minutes} min`);
  if (flag('--update-docs')) replaceBlock('reference', md);
}
if (profiles.length > 0) {
  writeFileSync(join(OUT, 'results-profiles.json'), `${JSON.stringify({ ...profRef, notes }, null, 2)}\n`);
  const pm = renderProfiles(profRef) + (profilesOnly && notes.length > 0 ? `\n${notes.map((n) => `- ${n}`).join('\n')}\n` : '');
  writeFileSync(join(OUT, 'results-profiles.md'), pm);
  if (flag('--update-docs')) replaceBlock('reference-profiles', pm);
}
