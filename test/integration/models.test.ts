/**
 * `portrait train` and `portrait model ...` as real processes on the real model and Redis, and the
 * registry's activation stack (activate / rollback / deactivate) against Redis.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { amendArtifact, finalizeArtifact, readArtifact, saveArtifact, type ClassifierArtifact } from '../../src/classify/artifact.js';
import { ModelRegistry } from '../../src/classify/registry.js';
import { projectPath } from '../../src/config/index.js';
import { RedisModelRegistry } from '../../src/store/model-registry.js';
import { isPortraitError } from '../../src/util/errors.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { redisUrl, testRedis } from '../helpers/services.js';
import { tempDir } from '../helpers/tmp.js';

function run(args: string[], prefix: string): Promise<CliResult> {
  return runCli(args, { PORTRAIT_REDIS_URL: redisUrl(), PORTRAIT_REDIS_KEY_PREFIX: prefix, PORTRAIT_LOG_LEVEL: 'silent' });
}

/** 63 training rows (9 per label) and 21 test rows (3 per label) of sib200_zh. */
function smallDataset(dir: string): string {
  const rows = readFileSync(projectPath('data/sib200_zh.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { label: string; split: string });
  const take = (split: string, per: number) => {
    const count = new Map<string, number>();
    return rows.filter((r) => {
      if (r.split !== split) return false;
      count.set(r.label, (count.get(r.label) ?? 0) + 1);
      return count.get(r.label)! <= per;
    });
  };
  const file = join(dir, 'small.jsonl');
  writeFileSync(file, [...take('train', 9), ...take('test', 3)].map((r) => JSON.stringify(r)).join('\n'));
  return file;
}

describe('portrait train and portrait model (processes)', () => {
  it('trains (auto), writes and registers the artifact, and the model commands manage it', async () => {
    const { prefix } = testRedis();
    const dir = tempDir('models');
    const data = smallDataset(dir);
    const out = join(dir, 'model');
    const t = await run(['train', '--data', data, '--out', out, '--folds', '2', '--trees', '10', '--cache-dir', join(dir, 'cache'), '--register', '--activate', '--json'], prefix);
    expect(t.stderr).not.toMatch(/unexpected error/);
    expect(t.code).toBe(0);
    const summary = JSON.parse(t.stdout) as {
      version: string;
      kind: string;
      trainRows: number;
      heldOutRows: number;
      heldOut: { rows: number; macroF1: number };
      selection: { winner: string; candidates: Record<string, { macroF1: { mean: number } }> };
    };
    expect(summary.trainRows).toBe(63);
    expect(summary.heldOutRows).toBe(21);
    expect(summary.heldOut.rows).toBe(21);
    expect(['rf', 'linear']).toContain(summary.selection.winner);
    expect(summary.kind).toBe(summary.selection.winner);
    const a = readArtifact(out);
    expect(a.version).toBe(summary.version);
    expect(a.selection).toMatchObject({ winner: summary.kind, metric: 'macro-F1' });
    const scores = summary.selection.candidates;
    const better = scores.linear!.macroF1.mean >= scores.rf!.macroF1.mean - 0.005 ? 'linear' : 'rf';
    expect(summary.kind).toBe(better);
    expect(a.training).toMatchObject({ rows: 63, labelCounts: expect.any(Object) as unknown });
    expect(a.metrics).toMatchObject({ heldOut: { rows: 21 } });
    expect(a.run).toMatchObject({ trainSeconds: expect.any(Number) as unknown });

    const list = await run(['model', 'list', '--json'], prefix);
    expect(list.code).toBe(0);
    const listed = JSON.parse(list.stdout) as { active: string; models: Array<{ version: string; active: boolean }> };
    expect(listed.active).toBe(a.version);
    expect(listed.models).toEqual([expect.objectContaining({ version: a.version, active: true })]);

    // a second model from the same data with another seed; activate it by a prefix of its version
    const out2 = join(dir, 'model2');
    const t2 = await run(['train', '--data', data, '--out', out2, '--classifier', 'linear', '--seed', '7', '--cache-dir', join(dir, 'cache'), '--json'], prefix);
    expect(t2.code).toBe(0);
    const v2 = (JSON.parse(t2.stdout) as { version: string }).version;
    expect(v2).not.toBe(a.version);
    expect((await run(['model', 'register', out2], prefix)).code).toBe(0);
    const act = await run(['model', 'activate', v2.slice(0, 8), '--json'], prefix);
    expect(act.code).toBe(0);
    expect(JSON.parse(act.stdout)).toEqual({ version: v2, changed: true, previous: a.version });
    const rb = await run(['model', 'rollback', '--json'], prefix);
    expect(JSON.parse(rb.stdout)).toEqual({ from: v2, to: a.version });

    // a model for another embedder is refused, with the reason, exit code 1
    const foreignDir = join(dir, 'foreign');
    saveArtifact(foreignDir, amendArtifact(a, { embedder: { id: 'other-model@fp32/cls', dim: 768 } }));
    expect((await run(['model', 'register', foreignDir], prefix)).code).toBe(0);
    const foreignVersion = readArtifact(foreignDir).version;
    const refused = await run(['model', 'activate', foreignVersion], prefix);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/trained on 768-dim embeddings of "other-model@fp32\/cls", but the configured embedder is "BAAI\/bge-small-zh-v1\.5@q8\/cls" with 512 dimensions.*\[CLASSIFIER_MISMATCH\]/);
    // an unknown version: exit code 3
    const missing = await run(['model', 'activate', 'abcdef0123456789'], prefix);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/no registered model version starts with "abcdef0123456789"/);
    const after = JSON.parse((await run(['model', 'list', '--json'], prefix)).stdout) as { active: string };
    expect(after.active).toBe(a.version);
  }, 240_000);
});

describe('the registry in Redis', () => {
  const base: Omit<ClassifierArtifact, 'version'> = {
    format: 'portrait-classifier',
    formatVersion: 1,
    kind: 'linear',
    labels: ['a', 'b'],
    embedder: { id: 'e', dim: 2 },
    hyperParameters: {},
    createdAt: '2025-01-01T00:00:00.000Z',
    training: { rows: 2, fingerprint: 'f' },
    model: {
      weights: [
        [1, 0],
        [0, 1],
      ],
      bias: [0, 0],
      temperature: 1,
    },
  };
  const model = (n: number) => finalizeArtifact({ ...base, hyperParameters: { n } });
  const expected = { embedderId: 'e', dim: 2 };

  it('registers idempotently, activates, and rolls back through the activation stack', async () => {
    const { redis, prefix } = testRedis();
    let t = Date.parse('2026-01-01T00:00:00Z');
    const reg = new ModelRegistry(new RedisModelRegistry(redis, prefix), () => (t += 1000));
    const [a, b, c] = [model(1), model(2), model(3)];
    expect(await reg.register(a)).toEqual({ version: a.version, created: true });
    expect(await reg.register(a)).toEqual({ version: a.version, created: false });
    await reg.register(b);
    await reg.register(c);
    expect((await reg.list()).map((m) => m.version)).toEqual([c.version, b.version, a.version]);
    expect(await reg.active()).toBeNull();
    await expect(reg.rollback()).rejects.toThrow(/nothing to roll back/);

    await reg.activate(a.version, expected);
    await reg.activate(b.version, expected);
    expect(await reg.activate(b.version, expected)).toEqual({ changed: false, previous: b.version });
    await reg.activate(c.version, expected);
    expect(await reg.rollback()).toEqual({ from: c.version, to: b.version });
    expect(await reg.active()).toBe(b.version);
    // deactivate, then rollback returns to the model that was active
    expect(await reg.deactivate()).toBe(b.version);
    expect(await reg.active()).toBeNull();
    expect(await reg.rollback()).toEqual({ from: null, to: b.version });
    expect(await reg.rollback()).toEqual({ from: b.version, to: a.version });
    expect(await reg.rollback()).toEqual({ from: a.version, to: null });
    expect(await reg.active()).toBeNull();
    const h = await reg.history();
    expect(h[0]).toMatchObject({ action: 'rollback', from: a.version, version: '' });
    expect(h.at(-1)).toMatchObject({ action: 'activate', version: a.version });
    expect(h).toHaveLength(8);
  });

  it('resolves version prefixes and refuses unknown, ambiguous, mismatched and corrupt models', async () => {
    const { redis, prefix } = testRedis();
    const regStore = new RedisModelRegistry(redis, prefix);
    const reg = new ModelRegistry(regStore);
    const a = model(10);
    await reg.register(a);
    expect(await reg.resolve(a.version.slice(0, 5))).toBe(a.version);
    await expect(reg.resolve('zz')).rejects.toThrow(/not a model version/);
    await expect(reg.resolve('0000000000000000')).rejects.toSatisfy((e) => isPortraitError(e, 'NOT_FOUND'));
    await expect(reg.activate('0000000000000000', expected)).rejects.toSatisfy((e) => isPortraitError(e, 'NOT_FOUND'));
    await expect(reg.activate(a.version, { embedderId: 'e', dim: 3 })).rejects.toSatisfy((e) => isPortraitError(e, 'CLASSIFIER_MISMATCH'));
    expect(await reg.active()).toBeNull();
    // the stored JSON edited in Redis: the content hash no longer matches
    const stored = JSON.parse((await reg.getJson(a.version))!) as ClassifierArtifact;
    await redis.set(regStore.keys.artifact(a.version), JSON.stringify({ ...stored, labels: ['b', 'a'] }));
    await expect(reg.get(a.version)).rejects.toSatisfy((e) => isPortraitError(e, 'CLASSIFIER_INVALID'));
    await expect(reg.activate(a.version, expected)).rejects.toSatisfy((e) => isPortraitError(e, 'CLASSIFIER_INVALID'));
    // every key is under <prefix>:models:{registry}:
    const keys = await redis.keys(`${prefix}*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k.startsWith(`${prefix}:models:{registry}:`)).toBe(true);
  });
});
