/**
 * Train → register → activate → hot swap on a running processor, on the real broker, Redis and
 * model: profiles name the classifier version that produced them; rollback returns to the previous
 * model; a model built for another embedder is refused at activation and again by the processor.
 */
import type { Redis } from 'ioredis';
import type { Admin, Kafka } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcessor, type Processor } from '../../consumers/comments.js';
import { createEmbedder } from '../../src/app/parts.js';
import { amendArtifact, type ClassifierArtifact } from '../../src/classify/artifact.js';
import { trainLinear } from '../../src/train/linear-train.js';
import { ModelRegistry } from '../../src/classify/registry.js';
import { loadConfig, projectPath, type Config } from '../../src/config/index.js';
import { preprocessRows, readDataset, rowsOfSplit } from '../../src/eval/dataset.js';
import type { Embedder } from '../../src/embed/types.js';
import { RedisModelRegistry } from '../../src/store/model-registry.js';
import { isPortraitError } from '../../src/util/errors.js';
import { readAll, waitForCaughtUp } from '../helpers/kafka.js';
import { brokers, createTestTopics, redisUrl, testAdmin, testKafka, testRedis, uniqueName } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';

let embedder: Embedder;
let modelA: ClassifierArtifact;
let modelB: ClassifierArtifact;
let foreign: ClassifierArtifact;
let texts: string[];

beforeAll(async () => {
  const base = loadConfig({ env: {} });
  embedder = createEmbedder({ embedder: { ...base.embedder, modelDir: projectPath(base.embedder.modelDir), cacheSize: 2000 } });
  await embedder.ready();
  const rows = preprocessRows(rowsOfSplit(readDataset(projectPath('data/sib200_zh.jsonl')), 'train'), { maxChars: 512, maxTokens: 64 }).rows;
  const small = rows.slice(0, 160);
  const X = await embedder.embed(small.map((r) => r.input));
  const y = small.map((r) => r.label);
  const e = { id: embedder.id, dim: embedder.dim };
  modelA = trainLinear(X, y, { embedder: e, l2: 1, seed: 1 });
  modelB = trainLinear(X.slice(40), y.slice(40), { embedder: e, l2: 0.3, seed: 2 });
  // a valid artifact, but for another embedder
  foreign = amendArtifact(modelA, { embedder: { id: 'BAAI/bge-base-en-v1.5@fp32/cls', dim: 768 } });
  texts = rows.slice(200, 260).map((r) => r.text);
}, 180_000);

afterAll(async () => {
  await embedder?.close();
});

describe('model registry and hot swap on a running processor', () => {
  let admin: Admin;
  let kafka: Kafka;
  let cfg: Readonly<Config>;
  let topics: string[];
  let proc: Processor;
  let registry: ModelRegistry;
  let registryStore: RedisModelRegistry;
  let raw: Redis;
  let groupId: string;
  const logs: Array<{ msg: string; refused?: string }> = [];
  let sent = 0;

  /** Publish `n` comments of five users and wait until the processor committed them. */
  const publish = async (n: number) => {
    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: n }, (_, i) => {
      const k = sent + i;
      const userId = `user-${k % 5}`;
      return { key: userId, value: JSON.stringify({ type: 'comment', schemaVersion: 1, eventId: `hs-${k}`, userId, commentId: `c-${k}`, ts: Date.parse('2026-03-01T00:00:00Z') + k * 60_000, text: texts[k % texts.length] }) };
    });
    await producer.send({ topic: topics[0]!, acks: -1, messages });
    await producer.disconnect();
    sent += n;
    await waitForCaughtUp(admin, groupId, topics[0]!, 90_000);
  };

  /** Where the profiles topic ends now, per partition. */
  const mark = async () => new Map((await admin.fetchTopicOffsets(topics[1]!)).map((o) => [o.partition, Number(o.high)]));
  /** Classifier of every profile event published after `since` (all when undefined). */
  const publishedVersions = async (since?: Map<number, number>) =>
    (await readAll(kafka, admin, topics[1]!)).filter((m) => Number(m.offset) >= (since?.get(m.partition) ?? 0)).map((m) => (JSON.parse(m.value!.toString()) as { classifier: { kind: string; version: string } }).classifier);

  beforeAll(async () => {
    admin = await testAdmin();
    kafka = testKafka();
    topics = await createTestTopics(admin, 'swap', 2, 3);
    groupId = uniqueName('swap');
    const { redis, prefix } = testRedis();
    raw = redis;
    cfg = loadConfig({
      env: {},
      overrides: {
        kafka: { brokers: brokers(), groupId, partitions: 2, topics: { comments: topics[0], profiles: topics[1], deadLetter: topics[2] } },
        redis: { url: redisUrl(), keyPrefix: prefix },
        classifier: { registry: true, pollMs: 200 },
        log: { level: 'info' },
      },
    });
    registryStore = new RedisModelRegistry(redis, prefix);
    registry = new ModelRegistry(registryStore);
    // model A is active before the processor starts: it starts with A, not the configured zero-shot
    await registry.register(modelA);
    await registry.activate(modelA.version, { embedderId: embedder.id, dim: embedder.dim });
    const log = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line) as { msg: string }) });
    proc = await startProcessor(cfg, log, { embedder });
  }, 180_000);

  afterAll(async () => {
    await proc?.stop();
    await admin?.deleteGroups([groupId]).catch(() => {});
  });

  it('starts with the active registry model and stamps its version on every profile', async () => {
    expect(proc.classifier().version).toBe(modelA.version);
    await publish(10);
    const versions = await publishedVersions();
    expect(versions.length).toBeGreaterThan(0);
    for (const c of versions) expect(c).toEqual({ kind: 'linear', version: modelA.version });
  });

  it('swaps to a newly activated model without a restart; later profiles carry the new version', async () => {
    await registry.register(modelB);
    const r = await registry.activate(modelB.version, { embedderId: embedder.id, dim: embedder.dim });
    expect(r).toEqual({ changed: true, previous: modelA.version });
    await waitFor('the processor to pick up model B', () => proc.classifier().version === modelB.version, { timeoutMs: 30_000 });
    const before = await mark();
    await publish(10);
    const after = await publishedVersions(before);
    expect(after.length).toBeGreaterThan(0);
    for (const c of after) expect(c.version).toBe(modelB.version);
    const stored = (await proc.store.getProfile('user-0')) as { classifier: { version: string } };
    expect(stored.classifier.version).toBe(modelB.version);
    expect(logs.some((l) => l.msg === 'classifier swapped')).toBe(true);
  });

  it('rolls back to the previous model', async () => {
    expect(await registry.rollback()).toEqual({ from: modelB.version, to: modelA.version });
    await waitFor('the processor to return to model A', () => proc.classifier().version === modelA.version, { timeoutMs: 30_000 });
    const before = await mark();
    await publish(5);
    const after = await publishedVersions(before);
    expect(after.length).toBeGreaterThan(0);
    for (const c of after) expect(c.version).toBe(modelA.version);
  });

  it('refuses a model built for another embedder: at activation, and in the processor, which keeps its model', async () => {
    await registry.register(foreign);
    let err: unknown;
    try {
      await registry.activate(foreign.version, { embedderId: embedder.id, dim: embedder.dim });
    } catch (e) {
      err = e;
    }
    expect(isPortraitError(err, 'CLASSIFIER_MISMATCH')).toBe(true);
    expect((err as Error).message).toContain('768-dim embeddings of "BAAI/bge-base-en-v1.5@fp32/cls"');
    expect(await registry.active()).toBe(modelA.version);

    // another tool (or an operator with another embedder configured) makes it active anyway
    await raw.set(registryStore.keys.active, foreign.version);
    await waitFor('the processor to refuse the foreign model', () => logs.some((l) => l.refused === foreign.version), { timeoutMs: 30_000 });
    const refusal = logs.find((l) => l.refused === foreign.version)!;
    expect(refusal.msg).toMatch(/refused to activate model .*: .*768-dim embeddings.*keeping the current classifier/);
    expect(proc.classifier().version).toBe(modelA.version);
    const before = await mark();
    await publish(5);
    const after = await publishedVersions(before);
    expect(after.length).toBeGreaterThan(0);
    for (const c of after) expect(c.version).toBe(modelA.version);
    expect(logs.filter((l) => l.refused === foreign.version)).toHaveLength(1); // logged once, not every poll
  });

  it('deactivating the registry model returns to the configured classifier', async () => {
    await raw.set(registryStore.keys.active, modelA.version);
    expect(await registry.deactivate()).toBe(modelA.version);
    await waitFor('the processor to fall back to the configured classifier', () => proc.classifier().kind === cfg.classifier.kind, { timeoutMs: 30_000 });
    expect(proc.classifier().version).not.toBe(modelA.version);
  });
});
