import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envName, loadConfig } from '../../../src/config/index.js';
import { PROCESS_VARIABLES, PROJECT_ROOT } from '../../../src/config/load.js';
import { portraitErrorOf as errorOf } from '../../helpers/errors.js';
import { tempDir } from '../../helpers/tmp.js';

function tmpYaml(text: string): string {
  const file = join(tempDir('config'), 'c.yaml');
  writeFileSync(file, text);
  return file;
}

describe('config loader', () => {
  it('loads the defaults and freezes them', () => {
    const cfg = loadConfig({ env: {} });
    expect(cfg.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(cfg.embedder.model).toBe('BAAI/bge-small-zh-v1.5');
    expect(Object.isFrozen(cfg.kafka)).toBe(true);
    expect(() => {
      (cfg.kafka as { clientId: string }).clientId = 'x';
    }).toThrow();
  });

  it('maps camelCase paths to PORTRAIT_ env names', () => {
    expect(envName(['kafka', 'brokers'])).toBe('PORTRAIT_KAFKA_BROKERS');
    expect(envName(['kafka', 'maxBatchSize'])).toBe('PORTRAIT_KAFKA_MAX_BATCH_SIZE');
  });

  it('applies environment overrides with the type of the default', () => {
    const cfg = loadConfig({
      env: {
        PORTRAIT_KAFKA_BROKERS: '10.0.0.1:9092, 10.0.0.2:9092',
        PORTRAIT_EMBEDDER_THREADS: '4',
        PORTRAIT_EMBEDDER_ALLOW_REMOTE: 'true',
        PORTRAIT_KAFKA_SASL: '{"mechanism":"plain","username":"u","password":"p"}',
      },
    });
    expect(cfg.kafka.brokers).toEqual(['10.0.0.1:9092', '10.0.0.2:9092']);
    expect(cfg.embedder.threads).toBe(4);
    expect(cfg.embedder.allowRemote).toBe(true);
    expect(cfg.kafka.sasl).toEqual({ mechanism: 'plain', username: 'u', password: 'p' });
  });

  it('names the bad key and the variable it came from', () => {
    const err = errorOf(() => loadConfig({ env: { PORTRAIT_EMBEDDER_THREADS: 'many' } }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('embedder.threads (from PORTRAIT_EMBEDDER_THREADS)');
  });

  it('refuses an unknown PORTRAIT_* variable, naming the setting that was meant', () => {
    const err = errorOf(() => loadConfig({ env: { PORTRAIT_KAFKA_GROUPID: 'x', PORTRAIT_REDIS_URI: 'redis://h:6379' } }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('PORTRAIT_KAFKA_GROUPID: not a Portrait setting; did you mean PORTRAIT_KAFKA_GROUP_ID?');
    expect(err.message).toContain('PORTRAIT_REDIS_URI: not a Portrait setting; did you mean PORTRAIT_REDIS_URL?');
  });

  it('accepts the documented process variables and every config key as variables', () => {
    const env = Object.fromEntries(PROCESS_VARIABLES.map((n) => [n, n === 'PORTRAIT_CONFIG' ? tmpYaml('{}\n') : '1']));
    expect(() => loadConfig({ env: { ...env, PORTRAIT_KAFKA_GROUP_ID: 'g', PORTRAIT_PROFILE_UNMIX: 'false' } })).not.toThrow();
  });

  it("resolves relative paths against where they were set: the project, a config file's folder, the working directory", () => {
    const defaults = loadConfig({ env: {} });
    expect(defaults.embedder.modelDir).toBe(join(PROJECT_ROOT, 'models'));
    expect(defaults.classifier.taxonomy).toBe(join(PROJECT_ROOT, 'config', 'taxonomy.yaml'));
    expect(defaults.classifier.artifact).toBe(''); // unset stays unset
    const file = tmpYaml('classifier:\n  taxonomy: ./mine.yaml\nstack:\n  dir: /abs/stack\n');
    const layered = loadConfig({ env: { PORTRAIT_CONFIG: file } });
    expect(layered.classifier.taxonomy).toBe(join(dirname(file), 'mine.yaml'));
    expect(layered.stack.dir).toBe('/abs/stack');
    expect(layered.embedder.modelDir).toBe(join(PROJECT_ROOT, 'models'));
    const fromEnv = loadConfig({ env: { PORTRAIT_CONFIG: file, PORTRAIT_CLASSIFIER_TAXONOMY: 'here.yaml', PORTRAIT_EMBEDDER_MODEL_DIR: 'm' } });
    expect(fromEnv.classifier.taxonomy).toBe(join(process.cwd(), 'here.yaml'));
    expect(fromEnv.embedder.modelDir).toBe(join(process.cwd(), 'm'));
  });

  it('rejects unknown keys in a layered file, naming them', () => {
    const file = tmpYaml('kafka:\n  brokerz: [a:1]\n');
    const err = errorOf(() => loadConfig({ env: {}, files: [file] }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('kafka.brokerz: unknown key');
  });

  it('layers PORTRAIT_CONFIG over the defaults', () => {
    const file = tmpYaml('redis:\n  namespace: rebuild-2\n');
    const cfg = loadConfig({ env: { PORTRAIT_CONFIG: file } });
    expect(cfg.redis.namespace).toBe('rebuild-2');
    expect(cfg.redis.url).toBe('redis://127.0.0.1:6379');
  });

  it('reports unreadable YAML clearly', () => {
    const file = tmpYaml('kafka: [unclosed\n');
    const err = errorOf(() => loadConfig({ env: {}, files: [file] }));
    expect(err.code).toBe('CONFIG_UNREADABLE');
    expect(err.message).toContain('not valid YAML');
    const missing = errorOf(() => loadConfig({ env: {}, files: ['/nonexistent/portrait.yaml'] }));
    expect(missing.code).toBe('CONFIG_UNREADABLE');
  });

  it('validates values against the schema', () => {
    const err = errorOf(() => loadConfig({ env: { PORTRAIT_KAFKA_BROKERS: 'no-port' } }));
    expect(err.message).toContain('kafka.brokers.0');
    expect(err.message).toContain('host:port');
  });
});
