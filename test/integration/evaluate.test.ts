/**
 * Evaluation on the real model, Kafka and Redis: `evaluate` of an artifact, of the zero-shot
 * taxonomy and by cross-validation; `evaluate-profiles` streaming simulated users through the real
 * pipeline, scoring the profiles, and cleaning up everything it created.
 */
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcessor } from '../../consumers/comments.js';
import { createEmbedder } from '../../src/app/parts.js';
import { saveArtifact, type ClassifierArtifact } from '../../src/classify/artifact.js';
import { trainLinear } from '../../src/train/linear-train.js';
import { calibrationPath } from '../../src/classify/zero-shot-calibration.js';
import { loadConfig, projectPath } from '../../src/config/index.js';
import { preprocessRows, readDataset, rowsOfSplit } from '../../src/eval/dataset.js';
import { runEvaluate } from '../../src/eval/evaluate-run.js';
import { classificationReport } from '../../src/train/metrics.js';
import { runEvaluateProfiles } from '../../src/eval/profiles-run.js';
import type { Embedder } from '../../src/embed/types.js';
import { simulateAuthors } from '../../src/sim/authors.js';
import { simulateUsers } from '../../src/sim/users.js';
import { silentLogger } from '../../src/util/logger.js';
import { runCli } from '../helpers/cli.js';
import { brokers, redisUrl, testAdmin, testRedis } from '../helpers/services.js';
import { tempDir } from '../helpers/tmp.js';

const DATA = projectPath('data/sib200_zh.jsonl');
const DATA_EN = projectPath('data/sib200_en.jsonl');
let embedder: Embedder;
let artifact: ClassifierArtifact;
let dir: string;

beforeAll(async () => {
  const cfg = loadConfig({ env: {} });
  embedder = createEmbedder({ embedder: { ...cfg.embedder, modelDir: projectPath(cfg.embedder.modelDir), cacheSize: 5000 } });
  await embedder.ready();
  const train = preprocessRows(rowsOfSplit(readDataset(DATA), 'train'), { maxChars: cfg.text.maxChars, maxTokens: cfg.text.maxTokens }).rows;
  artifact = trainLinear(
    await embedder.embed(train.map((r) => r.input)),
    train.map((r) => r.label),
    { embedder: { id: embedder.id, dim: embedder.dim }, l2: 1 },
  );
  dir = tempDir('eval');
  saveArtifact(dir, artifact);
}, 180_000);

afterAll(async () => {
  await embedder?.close();
});

describe('evaluate (real model)', () => {
  const cfg = loadConfig({ env: {} });

  it('scores an artifact on the test split: metrics consistent with the confusion matrix, well above chance', async () => {
    const s = await runEvaluate({ data: DATA, model: dir, seed: 42 }, cfg, embedder);
    expect(s.mode).toBe('model');
    expect(s.rows).toBe(204);
    expect(s.classifier).toEqual({ kind: 'linear', version: artifact.version });
    const m = s.report.confusion;
    expect(m.flat().reduce((a, b) => a + b, 0)).toBe(204);
    const diag = m.reduce((acc, row, i) => acc + row[i]!, 0);
    expect(s.metrics.accuracy).toBeCloseTo(diag / 204, 4);
    expect(s.metrics.macroF1).toBeGreaterThan(0.7); // 7 classes: chance is about 0.14
    expect(s.predictMicros).toBeGreaterThan(0);
  });

  it('zero-shot maps the data labels through the taxonomy aliases (none left unmapped)', async () => {
    const s = await runEvaluate({ data: DATA, zeroShot: true, seed: 42, calibrate: 'dev' }, cfg, embedder);
    expect(s.classifier.taxonomy).toMatch(/config\/taxonomies\/sib200\.yaml$/);
    expect(s.unmappedLabels).toBeUndefined();
    expect(s.report.labels).toContain('science_technology');
    expect(s.report.labels).not.toContain('science/technology');
    expect(s.metrics.macroF1).toBeGreaterThan(0.5);
    expect(s.calibration!.rows).toBe(99);
    expect(s.calibration!.logLossAfter).toBeLessThanOrEqual(s.calibration!.logLossBefore);
  });

  it('cross-validates a training procedure: pooled out-of-fold predictions, one score per fold', async () => {
    const s = await runEvaluate({ data: DATA, folds: 3, split: 'dev', classifier: 'linear', seed: 1 }, cfg, embedder);
    expect(s.mode).toBe('cross-validation');
    expect(s.rows).toBe(99);
    expect(s.folds!.map((f) => f.rows).reduce((a, b) => a + b, 0)).toBe(99);
    expect(s.macroF1!.mean).toBeCloseTo(s.folds!.reduce((a, f) => a + f.macroF1, 0) / 3, 10);
  });

  it('the command prints the same result as JSON', async () => {
    const out = await cli(['evaluate', '--model', dir, '--data', DATA, '--json', '--no-cache']);
    expect(out.code).toBe(0);
    const s = JSON.parse(out.stdout) as { rows: number; classifier: { version: string }; metrics: { accuracy: number } };
    expect(s.rows).toBe(204);
    expect(s.classifier.version).toBe(artifact.version);
    expect(s.metrics.accuracy).toBeGreaterThan(0.7);
  });
});

/** Run the CLI, logging silenced; its exit code, stdout and stderr. */
const cli = (args: string[]) => runCli(args, { PORTRAIT_LOG_LEVEL: 'silent' });

describe('evaluate-profiles (real pipeline)', () => {
  it('streams simulated users through Kafka → processor → Redis, scores their profiles, and removes its topics and keys', async () => {
    const admin = await testAdmin();
    const { redis, prefix } = testRedis();
    const cfg = loadConfig({ env: {}, overrides: { kafka: { brokers: brokers() }, redis: { url: redisUrl(), keyPrefix: prefix }, log: { level: 'silent' } } });
    const s = await runEvaluateProfiles({ data: DATA, population: 'tidy', users: 12, seed: 5, model: dir }, cfg, embedder, startProcessor, silentLogger);

    expect(s.classifier).toEqual({ kind: 'linear', version: artifact.version });
    expect(s.users).toBe(12);
    expect(s.profiled).toBe(12);
    // the same simulation (users and interests do not depend on the clock)
    const rows = rowsOfSplit(readDataset(DATA), 'test').map((r) => ({ id: `line-${r.line}`, text: r.text, label: r.label }));
    const sim = simulateUsers(rows, { users: 12, seed: 5, startTs: 0, spanMs: 1, userPrefix: 'eval-u' });
    expect(s.perComment.comments).toBe(sim.events.length);
    expect(s.perUser.map((u) => [u.userId, u.interests])).toEqual(sim.users.map((u) => [u.userId, u.interests]));
    for (const u of s.perUser) {
      expect(u.profileTop.length).toBeGreaterThan(0);
      expect(u.top1).toBe(u.profileTop[0] === u.interests[0]);
    }
    expect(s.top1).toBeCloseTo(s.perUser.filter((u) => u.top1).length / 12, 4);
    // per-comment accuracy of the same classifier on the same comments, computed independently
    const texts = preprocessRows(
      sim.events.map((e, i) => ({ line: i + 1, text: e.text, label: e.metadata.simLabel })),
      { maxChars: cfg.text.maxChars, maxTokens: cfg.text.maxTokens },
    ).rows;
    const { LinearClassifier } = await import('../../src/classify/linear.js');
    const pred = new LinearClassifier(artifact).predict(await embedder.embed(texts.map((t) => t.input)));
    const acc = classificationReport(
      texts.map((t) => t.label),
      pred.map((p) => Object.entries(p).sort((a, b) => b[1] - a[1])[0]![0]),
    ).accuracy;
    expect(s.perComment.accuracy).toBeCloseTo(acc, 2);
    expect(s.gain).toBeCloseTo(s.top1 - s.perComment.accuracy, 3);

    // the artifact carries its held-out confusion, and the processor unmixes the profiles with it
    // (profile.unmix, on by default): their shares are closer to each user's true mix of labels than
    // the plain mean of the same classifier's probabilities (profile.unmix false, same users)
    expect(artifact.confusion?.matrix).toHaveLength(artifact.labels.length);
    const plainCfg = loadConfig({ env: {}, overrides: { kafka: { brokers: brokers() }, redis: { url: redisUrl(), keyPrefix: prefix }, log: { level: 'silent' }, profile: { unmix: false } } });
    const plain = await runEvaluateProfiles({ data: DATA, population: 'tidy', users: 12, seed: 5, model: dir }, plainCfg, embedder, startProcessor, silentLogger);
    expect(plain.perUser.map((u) => u.interests)).toEqual(s.perUser.map((u) => u.interests));
    expect(s.shareError).toBeGreaterThan(0);
    expect(plain.shareError).toBeGreaterThan(0);
    expect(s.shareError!).toBeLessThan(plain.shareError! * 0.85);

    // nothing left behind
    const topics = await admin.listTopics();
    for (const run of [s.run, plain.run]) {
      expect(topics.filter((t) => t.startsWith(run))).toEqual([]);
      expect(await redis.keys(`${prefix}:${run}:*`)).toEqual([]);
      expect(await redis.sismember(`${prefix}:namespaces`, run)).toBe(0);
    }
  }, 300_000);

  it('forum-shaped authors (the default population): the pipeline profile is scored at user level beside every aggregation, and equals the unmix aggregation of the same predictions', async () => {
    const { prefix } = testRedis();
    const cfg = loadConfig({ env: {}, overrides: { kafka: { brokers: brokers() }, redis: { url: redisUrl(), keyPrefix: prefix }, log: { level: 'silent' } } });
    const s = await runEvaluateProfiles({ data: DATA, users: 60, seed: 9, model: dir }, cfg, embedder, startProcessor, silentLogger);
    expect(s.population).toBe('authors');
    const sim = simulateAuthors(
      rowsOfSplit(readDataset(DATA), 'test').map((r) => ({ id: `line-${r.line}`, text: r.text, label: r.label })),
      { authors: 60, seed: 9, startTs: 0, spanMs: 90 * 86_400_000, userPrefix: 'eval-a' },
    );
    expect(s.perComment.comments).toBe(sim.events.length);
    expect(s.perUser.map((u) => u.interests[0])).toEqual(sim.users.map((u) => u.majority));
    const { all, atLeast3 } = s.userLevel;
    expect(all.users).toBe(60);
    expect(atLeast3.users).toBe(sim.users.filter((u) => u.comments >= 3).length);
    expect(Object.keys(all.aggregations).sort()).toEqual(['centroid', 'confidence', 'logsum', 'majority', 'mean', 'temperature 0.25', 'temperature 0.5', 'unmix']);
    // the pipeline's first interests are the unmix aggregation's, computed apart from the same predictions
    expect(all.profile.top1).toBeCloseTo(all.aggregations.unmix!.top1, 6);
    expect(all.profile.top1).toBeCloseTo(s.top1, 4);
    for (const x of [all.profile, ...Object.values(all.aggregations)]) {
      expect(x.top1).toBeGreaterThan(0.5);
      expect(x.ece).toBeGreaterThanOrEqual(0);
      expect(x.ece).toBeLessThanOrEqual(1);
    }
  }, 300_000);

  it('zero-shot: portrait calibrate writes a confusion beside the taxonomy, and processors unmix zero-shot profiles with it', async () => {
    // a copy of the taxonomy, so the repository's own calibration is not touched
    const tdir = tempDir('cal');
    const yaml = join(tdir, 'sib200.yaml');
    copyFileSync(projectPath('config/taxonomies/sib200.yaml'), yaml);
    const bad = await cli(['calibrate', '--data', DATA, '--taxonomy', yaml, '--split', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no rows of split "nope" \(the file has: train 701, dev 99, test 204\)/);
    expect(existsSync(calibrationPath(yaml))).toBe(false);

    const out = await cli(['calibrate', '--data', DATA, DATA_EN, '--taxonomy', yaml, '--json', '--no-cache']);
    expect(out.code).toBe(0);
    const c = JSON.parse(out.stdout) as { rows: number; out: string; written: boolean; calibratedVersion: string; classifierVersion: string; rowsPerLabel: Record<string, number> };
    expect([c.rows, c.out, c.written]).toEqual([198, calibrationPath(yaml), true]); // both dev splits
    expect(Object.values(c.rowsPerLabel).reduce((a, b) => a + b, 0)).toBe(198);
    expect(existsSync(calibrationPath(yaml))).toBe(true);

    const { prefix } = testRedis();
    const cfgOf = (unmix: boolean) => loadConfig({ env: {}, overrides: { kafka: { brokers: brokers() }, redis: { url: redisUrl(), keyPrefix: prefix }, log: { level: 'silent' }, profile: { unmix } } });
    const run = { data: DATA, population: 'tidy' as const, users: 40, seed: 5, zeroShot: true, taxonomy: yaml };
    const cal = await runEvaluateProfiles(run, cfgOf(true), embedder, startProcessor, silentLogger);
    expect(cal.unmixed).toBe(true);
    expect(cal.classifier).toEqual({ kind: 'zero-shot', version: c.calibratedVersion });
    const plain = await runEvaluateProfiles(run, cfgOf(false), embedder, startProcessor, silentLogger);
    expect(plain.unmixed).toBe(false);
    // the shares of calibrated profiles are much nearer each user's true mix (0.6 -> 0.25 measured)
    expect(cal.shareError!).toBeLessThan(plain.shareError! * 0.85);
  }, 180_000);
});
