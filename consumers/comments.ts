/**
 * The composition root of the comment processor: the one place that builds the real clients
 * (Kafka, Redis, the embedding model, the classifier) and wires them into the runner.
 *
 *   comments topic (key = userId) → decode → preprocess → embed → classify → Redis → profiles topic → commit
 */
import { PortraitError } from '../src/util/errors.js';
import { loadClassifierArtifact, type Classifier } from '../src/classify/index.js';
import { loadZeroShot } from '../src/classify/zero-shot-calibration.js';
import { watchModels } from '../src/classify/hot-swap.js';
import { deadLetterTopic, projectPath, type Config } from '../src/config/index.js';
import { CachedEmbedder } from '../src/embed/cached-embedder.js';
import { SharedCachedEmbedder } from '../src/embed/shared-cache.js';
import { TransformersEmbedder } from '../src/embed/transformers-embedder.js';
import type { Embedder } from '../src/embed/types.js';
import { createKafka } from '../src/kafka/client.js';
import { CommentsRunner, type RunnerHooks } from '../src/kafka/runner.js';
import { ensureTopics, portraitTopics } from '../src/kafka/topics.js';
import { BatchProcessor } from '../src/pipeline/processor.js';
import { StateCache } from '../src/pipeline/state-cache.js';
import type { ProfileParams } from '../src/profile/index.js';
import { RedisProfileStore } from '../src/store/index.js';
import { createRedis, type RedisClient } from '../src/store/redis-client.js';
import { Namespaces } from '../src/store/namespaces.js';
import type { Logger } from '../src/util/logger.js';
import { ContinuityGuard, type ContinuityEvents } from '../src/pipeline/continuity.js';
import { ContinuityStore } from '../src/store/continuity.js';
import { checkRedisSettings } from '../src/store/redis-checks.js';
import { RedisModelRegistry } from '../src/store/model-registry.js';
import { RedisEmbeddingCache } from '../src/store/embedding-cache.js';
import { committedOffsets, startOffsets } from '../src/kafka/offsets.js';
import { TopicIds } from '../src/kafka/topic-ids.js';

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

/**
 * The embedder chain: the model in a worker thread; then, given a Redis client and
 * embedder.sharedCache, the shared int8 cache in Redis (a rebuild does not re-embed); then an
 * in-process LRU.
 */
export function createEmbedder(cfg: Pick<Config, 'embedder'> & Partial<Pick<Config, 'redis'>>, redis?: RedisClient, sharedCacheRead = false): Embedder {
  const e = cfg.embedder;
  const inner = new TransformersEmbedder({
    model: e.model,
    modelDir: projectPath(e.modelDir),
    dtype: e.dtype,
    pooling: e.pooling,
    allowRemote: e.allowRemote,
    threads: e.threads,
    batchSize: e.batchSize,
    nice: e.nice,
  });
  const shared = redis && cfg.redis && e.sharedCache ? new SharedCachedEmbedder(inner, new RedisEmbeddingCache(redis, { keyPrefix: cfg.redis.keyPrefix, ttlSeconds: e.sharedCacheTtlSeconds }), { read: sharedCacheRead }) : inner;
  return e.cacheSize > 0 ? new CachedEmbedder(shared, e.cacheSize) : shared;
}

/** Run `fn` with an embedder of `cfg` (the commands that embed a data set), closing it however `fn` ends. */
export async function withEmbedder<T>(cfg: Pick<Config, 'embedder'>, fn: (embedder: Embedder) => Promise<T>): Promise<T> {
  const embedder = createEmbedder(cfg);
  try {
    return await fn(embedder);
  } finally {
    await embedder.close();
  }
}

export async function createClassifier(cfg: Pick<Config, 'classifier'>, embedder: Embedder, log?: Logger): Promise<Classifier> {
  const c = cfg.classifier;
  await embedder.ready();
  if (c.kind === 'artifact') {
    return loadClassifierArtifact(projectPath(c.artifact), { embedderId: embedder.id, dim: embedder.dim });
  }
  const zs = await loadZeroShot(projectPath(c.taxonomy), embedder, c.temperature);
  if (zs.calibration?.applied === false) log?.warn({ file: zs.calibration.file, reason: zs.calibration.reason }, 'zero-shot calibration not applied: profiles are plain means of the predictions');
  else if (zs.calibration) log?.info({ file: zs.calibration.file, version: zs.classifier.version }, 'zero-shot calibration applied: profiles are unmixed with its confusion');
  return zs.classifier;
}

export interface Processor {
  runner: CommentsRunner;
  embedder: Embedder;
  redis: RedisClient;
  /** the store of the namespace in force */
  readonly store: RedisProfileStore;
  classifier: () => Classifier;
  stop(): Promise<void>;
}

export interface StartOptions {
  fromBeginning?: boolean;
  hooks?: RunnerHooks;
  /** reuse an embedder (tests, several processors in one process) */
  embedder?: Embedder;
  /** write this namespace only (a rebuild); default: follow the active namespace */
  namespace?: string;
  /** consumer group (default kafka.groupId) */
  groupId?: string;
  /** publish profile events and dead letters (default true; a rebuild publishes nothing) */
  publish?: boolean;
  /** bounded run: per partition, the first offset not to process */
  stopAt?: Map<number, number>;
  /** with stopAt: where each partition starts */
  startAt?: Map<number, number>;
  /** what the continuity guard meets (metrics: PortraitMetrics.continuity) */
  continuity?: ContinuityEvents;
  /** judge the Redis server's eviction policy and persistence at start-up (default true; the demo, on a throwaway stack, does not) */
  checkRedis?: boolean;
}

/** How often a live processor checks which namespace is active. */
const NAMESPACE_POLL_MS = 1000;

/** Build everything, create the topics, start consuming. Throws with one clear message on bad start-up. */
export async function startProcessor(cfg: Readonly<Config>, log: Logger, opts: StartOptions = {}): Promise<Processor> {
  const redis = createRedis(cfg);
  // ioredis reconnects by itself; without a listener every failed reconnect prints a stack trace.
  // The batch that needs Redis fails with REDIS_UNAVAILABLE and is retried by the runner.
  let lastRedisError = 0;
  let lastRedisErrorMessage: string | undefined;
  redis.on('error', (err: Error) => {
    lastRedisErrorMessage = err.message;
    if (Date.now() - lastRedisError < 10_000) return;
    lastRedisError = Date.now();
    log.warn({ err: err.message }, 'Redis connection error; reconnecting');
  });
  // A command that gave up while the connection kept failing says only "max retries"; at start-up
  // the reason is what the connection said (WRONGPASS, NOAUTH, ECONNREFUSED): name it.
  const atStartup = <T>(p: Promise<T>): Promise<T> =>
    p.catch((err: unknown) => {
      let gaveUp = false;
      for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) gaveUp ||= e.name === 'MaxRetriesPerRequestError';
      if (lastRedisErrorMessage !== undefined && gaveUp) {
        throw new PortraitError('REDIS_UNAVAILABLE', `Redis: ${lastRedisErrorMessage} (gave up after retrying)`, { cause: err });
      }
      throw err;
    });
  // a rebuild (fixed namespace, nothing published) reads the shared embedding cache; live only fills it
  const embedder = opts.embedder ?? createEmbedder(cfg, redis, opts.publish === false);
  const ownEmbedder = opts.embedder === undefined;
  await embedder.ready();
  // the registry's active model when there is one (followed live), else the configured classifier
  const models = await watchModels(cfg, { registry: new RedisModelRegistry(redis, cfg.redis.keyPrefix), embedder, fallback: await createClassifier(cfg, embedder, log), log });
  const stores = new Map<string, RedisProfileStore>();
  const storeFor = async (ns: string) => {
    let s = stores.get(ns);
    if (!s) {
      s = new RedisProfileStore(redis, { keyPrefix: cfg.redis.keyPrefix, namespace: ns, userTtlSeconds: cfg.redis.userTtlSeconds, historyLength: cfg.api.historyLength });
      await s.registerNamespace();
      stores.set(ns, s);
    }
    return s;
  };
  const namespaces = new Namespaces(redis, cfg.redis.keyPrefix, cfg.redis.namespace);
  let store = await atStartup(storeFor(opts.namespace ?? (await atStartup(namespaces.active()))));
  await atStartup(store.ping());
  if (opts.checkRedis !== false) for (const f of await checkRedisSettings(redis)) log[f.level]({ setting: f.setting, value: f.value }, f.message);
  // A live processor follows `portrait namespace activate`: the switch takes effect between batches.
  const follow = opts.namespace
    ? undefined
    : setInterval(() => {
        namespaces
          .active()
          .then(async (ns) => {
            if (ns !== store.namespace) {
              log.info({ from: store.namespace, to: ns }, 'switching to the newly activated namespace');
              store = await storeFor(ns);
            }
          })
          .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not read the active namespace'));
      }, NAMESPACE_POLL_MS);
  follow?.unref();

  let processorStateCache: StateCache | undefined;
  const kafka = createKafka(cfg, log);
  const admin = kafka.admin();
  await admin.connect();
  const topicIds = new TopicIds(kafka);
  const groupId = opts.groupId ?? cfg.kafka.groupId;
  const commentsTopic = cfg.kafka.topics.comments;
  let guard: ContinuityGuard;
  try {
    const created = await ensureTopics(admin, portraitTopics(cfg));
    if (created.length > 0) log.info({ created }, 'created topics');
    const stateCache = cfg.profile.stateCacheUsers > 0 ? new StateCache(cfg.profile.stateCacheUsers, cfg.profile.stateCacheMiB * 1024 * 1024) : undefined;
    guard = new ContinuityGuard({
      store: new ContinuityStore(redis, cfg.redis.keyPrefix),
      namespace: () => store.namespace,
      topicId: (topic) => topicIds.fresh(topic),
      earliest: async (topic, partition) => (await startOffsets(admin, topic)).get(partition) ?? 0,
      committed: (topic) => committedOffsets(admin, groupId, topic),
      // a bounded rebuild reads the range it was given
      rewind: opts.stopAt === undefined,
      log,
      events: {
        ...opts.continuity,
        onEpoch: (ns, epoch, why) => {
          stateCache?.clearNamespace(ns);
          opts.continuity?.onEpoch?.(ns, epoch, why);
        },
      },
    });
    await atStartup(guard.establish(store.namespace, commentsTopic));
    processorStateCache = stateCache;
  } catch (err) {
    await admin.disconnect().catch(() => {});
    await topicIds.close();
    throw err;
  }

  const processor = new BatchProcessor({
    embedder,
    classifier: () => models.current(),
    store: () => store,
    params: profileParams(cfg),
    ...(cfg.profile.unmix ? { unmix: { prior: cfg.profile.unmixPrior } } : {}),
    text: { maxChars: cfg.text.maxChars, maxTokens: cfg.text.maxTokens },
    decode: { maxRecordBytes: cfg.events.maxRecordBytes, maxFutureMs: cfg.events.maxFutureMs, minTs: cfg.events.minTs },
    dedupeWindow: cfg.events.dedupeWindow,
    log,
    ...(processorStateCache ? { stateCache: processorStateCache } : {}),
    epoch: (ns) => guard.epochFor(ns),
  });
  const runner = new CommentsRunner(
    kafka,
    processor,
    {
      groupId,
      commentsTopic,
      profilesTopic: cfg.kafka.topics.profiles,
      deadLetterTopic: deadLetterTopic(cfg),
      maxBatchSize: cfg.kafka.maxBatchSize,
      maxBytesPerPartition: cfg.kafka.maxBytesPerPartition,
      sessionTimeoutMs: cfg.kafka.sessionTimeoutMs,
      heartbeatIntervalMs: cfg.kafka.heartbeatIntervalMs,
      fromBeginning: opts.fromBeginning ?? true,
      ...(opts.publish === false ? { publish: false } : {}),
      ...(opts.stopAt ? { stopAt: opts.stopAt } : {}),
      ...(opts.startAt ? { startAt: opts.startAt } : {}),
    },
    log,
    { ...opts.hooks, guard },
  );
  await runner.start();
  return {
    runner,
    embedder,
    redis,
    get store() {
      return store;
    },
    classifier: () => models.current(),
    async stop() {
      if (follow) clearInterval(follow);
      models.stop();
      await runner.stop();
      await admin.disconnect().catch(() => {});
      await topicIds.close();
      await store.close();
      if (ownEmbedder) await embedder.close();
    },
  };
}
