/**
 * The composition root of the comment processor: the one place that builds the real clients
 * (Kafka, Redis, the embedding model, the classifier) and wires them into the runner.
 *
 *   comments topic (key = userId) → decode → preprocess → embed → classify → Redis → profiles topic → commit
 */
import { buildZeroShot, loadClassifierArtifact, loadTaxonomy, type Classifier } from '../src/classify/index.js';
import { deadLetterTopic, projectPath, type Config } from '../src/config/index.js';
import { CachedEmbedder } from '../src/embed/cached-embedder.js';
import { TransformersEmbedder } from '../src/embed/transformers-embedder.js';
import type { Embedder } from '../src/embed/types.js';
import { createKafka } from '../src/kafka/client.js';
import { CommentsRunner, type RunnerHooks } from '../src/kafka/runner.js';
import { ensureTopics, portraitTopics } from '../src/kafka/topics.js';
import { BatchProcessor } from '../src/pipeline/processor.js';
import type { ProfileParams } from '../src/profile/index.js';
import { createRedis, RedisProfileStore, type RedisClient } from '../src/store/index.js';
import type { Logger } from '../src/util/logger.js';

export function profileParams(cfg: Pick<Config, 'profile'>): ProfileParams {
  const p = cfg.profile;
  return {
    halfLifeMs: p.halfLifeDays * 86_400_000,
    maxTerms: p.maxTerms,
    evidencePerLabel: p.evidencePerLabel,
    topK: p.topK,
    topTerms: p.topTerms,
    confidencePrior: p.confidencePrior,
  };
}

export function createEmbedder(cfg: Pick<Config, 'embedder'>): Embedder {
  const e = cfg.embedder;
  const inner = new TransformersEmbedder({
    model: e.model,
    modelDir: projectPath(e.modelDir),
    dtype: e.dtype,
    pooling: e.pooling,
    allowRemote: e.allowRemote,
    threads: e.threads,
    batchSize: e.batchSize,
  });
  return e.cacheSize > 0 ? new CachedEmbedder(inner, e.cacheSize) : inner;
}

export async function createClassifier(cfg: Pick<Config, 'classifier'>, embedder: Embedder): Promise<Classifier> {
  const c = cfg.classifier;
  await embedder.ready();
  if (c.kind === 'artifact') {
    return loadClassifierArtifact(projectPath(c.artifact), { embedderId: embedder.id, dim: embedder.dim });
  }
  return buildZeroShot(loadTaxonomy(projectPath(c.taxonomy)), embedder, c.temperature);
}

export interface Processor {
  runner: CommentsRunner;
  embedder: Embedder;
  redis: RedisClient;
  store: RedisProfileStore;
  classifier: () => Classifier;
  stop(): Promise<void>;
}

export interface StartOptions {
  fromBeginning?: boolean;
  hooks?: RunnerHooks;
  /** reuse an embedder (tests, several processors in one process) */
  embedder?: Embedder;
}

/** Build everything, create the topics, start consuming. Throws with one clear message on bad start-up. */
export async function startProcessor(cfg: Readonly<Config>, log: Logger, opts: StartOptions = {}): Promise<Processor> {
  const embedder = opts.embedder ?? createEmbedder(cfg);
  const ownEmbedder = opts.embedder === undefined;
  await embedder.ready();
  let classifier = await createClassifier(cfg, embedder);
  const redis = createRedis(cfg);
  const store = new RedisProfileStore(redis, { keyPrefix: cfg.redis.keyPrefix, namespace: cfg.redis.namespace, userTtlSeconds: cfg.redis.userTtlSeconds });
  await store.ping();

  const kafka = createKafka(cfg, log);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await ensureTopics(admin, portraitTopics(cfg));
    if (created.length > 0) log.info({ created }, 'created topics');
  } finally {
    await admin.disconnect();
  }

  const processor = new BatchProcessor({
    embedder,
    classifier: () => classifier,
    store,
    params: profileParams(cfg),
    text: { maxChars: cfg.text.maxChars, maxTokens: cfg.text.maxTokens },
    decode: { maxRecordBytes: cfg.events.maxRecordBytes, maxFutureMs: cfg.events.maxFutureMs, minTs: cfg.events.minTs },
    log,
  });
  const runner = new CommentsRunner(
    kafka,
    processor,
    {
      groupId: cfg.kafka.groupId,
      commentsTopic: cfg.kafka.topics.comments,
      profilesTopic: cfg.kafka.topics.profiles,
      deadLetterTopic: deadLetterTopic(cfg),
      maxBatchSize: cfg.kafka.maxBatchSize,
      maxBytesPerPartition: cfg.kafka.maxBytesPerPartition,
      sessionTimeoutMs: cfg.kafka.sessionTimeoutMs,
      heartbeatIntervalMs: cfg.kafka.heartbeatIntervalMs,
      fromBeginning: opts.fromBeginning ?? true,
    },
    log,
    opts.hooks,
  );
  await runner.start();
  return {
    runner,
    embedder,
    redis,
    store,
    classifier: () => classifier,
    async stop() {
      await runner.stop();
      await store.close();
      if (ownEmbedder) await embedder.close();
    },
  };
}
