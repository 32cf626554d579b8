/**
 * Fail fast: `portrait run` with a broken start-up configuration stops before it consumes
 * anything, with one clear line on stderr (`portrait: <message> [<CODE>]`, no stack trace) and a
 * non-zero exit code: a missing model, a classifier artifact for another embedding dimension,
 * unreadable YAML, an unknown config key, a bad value from the environment.
 */
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { saveArtifact } from '../../../src/classify/index.js';
import { trainForest } from '../../../src/train/index.js';
import { clusters } from '../../unit/classify/fixtures.js';
import { spawnPortrait } from '../../helpers/faults.js';
import { Redis } from 'ioredis';
import { brokers, deleteByPrefix, redisUrl, registerCleanup, uniqueName } from '../../helpers/services.js';

const dir = mkdtempSync(join(tmpdir(), 'portrait-failfast-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Services that work: a failure below is the configuration's, not the stack's. */
const baseEnv = () => {
  const prefix = uniqueName('ff');
  registerCleanup(async () => {
    const r = new Redis(redisUrl());
    await deleteByPrefix(r, prefix);
    r.disconnect();
  });
  return {
    PORTRAIT_KAFKA_BROKERS: brokers().join(','),
    PORTRAIT_KAFKA_TOPICS_COMMENTS: uniqueName('ff-never-created'),
    PORTRAIT_REDIS_URL: redisUrl(),
    PORTRAIT_REDIS_KEY_PREFIX: prefix,
    PORTRAIT_METRICS_PORT: '0',
    PORTRAIT_LOG_LEVEL: 'info',
  };
};

async function failsWith(env: Record<string, string>, code: string, exit: number, says: RegExp): Promise<string> {
  const run = spawnPortrait(['run'], { ...baseEnv(), ...env });
  const x = await run.exited;
  const stderr = run.stderr();
  expect(x.code, stderr).toBe(exit);
  // one message for the operator (a config error lists each bad key on its own line); pino JSON
  // lines that came before it are logs, not the message
  const message = stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('{'))
    .join('\n');
  expect(message, stderr).toMatch(new RegExp(`^portrait: [^\\n]+[\\s\\S]* \\[${code}\\]$`));
  expect(message.match(/portrait: /g), stderr).toHaveLength(1);
  expect(message).toMatch(says);
  expect(stderr).not.toMatch(/^\s+at /m); // no stack trace
  return message;
}

describe('portrait run fails fast on a bad start-up', () => {
  it('a missing model file', async () => {
    const empty = join(dir, 'no-model');
    await failsWith({ PORTRAIT_EMBEDDER_MODEL_DIR: empty }, 'MODEL_MISSING', 1, /model/i);
  });

  it('a classifier artifact whose dimension does not match the embedder', async () => {
    const { X, y } = clusters(3, 10, 8, 0.3, 5, 6);
    const artifact = trainForest(X, y, { embedder: { id: 'BAAI/bge-small-zh-v1.5@q8/cls', dim: 8 }, nEstimators: 3 });
    const path = saveArtifact(join(dir, 'artifact-8d'), artifact);
    const line = await failsWith({ PORTRAIT_CLASSIFIER_KIND: 'artifact', PORTRAIT_CLASSIFIER_ARTIFACT: path }, 'CLASSIFIER_MISMATCH', 1, /8-dim/);
    expect(line).toMatch(/512 dimensions/);
  });

  it('a classifier artifact that is not one', async () => {
    const path = join(dir, 'garbage.json');
    writeFileSync(path, '{"format":"portrait-classifier","this":"is not an artifact"}');
    await failsWith({ PORTRAIT_CLASSIFIER_KIND: 'artifact', PORTRAIT_CLASSIFIER_ARTIFACT: path }, 'CLASSIFIER_INVALID', 1, /garbage\.json/);
  });

  it('unreadable YAML', async () => {
    const path = join(dir, 'broken.yaml');
    writeFileSync(path, 'kafka:\n  sasl: {mechanism: plain, username: portrait, password: "hunter2-S3cret"\n  groupId: x\n');
    const message = await failsWith({ PORTRAIT_CONFIG: path }, 'CONFIG_UNREADABLE', 2, /broken\.yaml is not valid YAML: .* at line 3, column 3/);
    // the parser's code frame would quote the broken lines, password included: it is left out
    expect(message).not.toContain('hunter2');
    expect(message.split('\n')).toHaveLength(1);
  });

  it('a config file that cannot be read', async () => {
    const path = join(dir, 'secret.yaml');
    writeFileSync(path, 'log:\n  level: info\n');
    chmodSync(path, 0o000);
    const missing = join(dir, 'missing.yaml');
    // root reads any file: fall back to a missing one there
    const target = process.getuid?.() === 0 ? missing : path;
    await failsWith({ PORTRAIT_CONFIG: target }, 'CONFIG_UNREADABLE', 2, /cannot read config file/);
  });

  it('an unknown config key', async () => {
    const path = join(dir, 'typo.yaml');
    writeFileSync(path, 'kafka:\n  maxBatchSise: 10\n');
    await failsWith({ PORTRAIT_CONFIG: path }, 'CONFIG_INVALID', 2, /kafka\.maxBatchSise: unknown key/);
  });

  it('a bad value from the environment names the variable', async () => {
    await failsWith({ PORTRAIT_KAFKA_MAX_BATCH_SIZE: 'lots' }, 'CONFIG_INVALID', 2, /kafka\.maxBatchSize \(from PORTRAIT_KAFKA_MAX_BATCH_SIZE\)/);
  });

  it('a mistyped variable (it would join the live consumer group) names the setting that was meant', async () => {
    await failsWith({ PORTRAIT_KAFKA_GROUPID: 'second' }, 'CONFIG_INVALID', 2, /PORTRAIT_KAFKA_GROUPID: not a Portrait setting; did you mean PORTRAIT_KAFKA_GROUP_ID\?/);
  });
});
