/**
 * The composition root: the one module that builds Portrait's real parts from the config (the
 * Redis client, the Kafka client, the embedder chain, the classifier, the profile stores) and
 * hands them out. The consumers (consumers/), the CLI commands, the API and the bench ask it;
 * nothing else constructs a client.
 *
 *   const parts = new Parts(cfg, log);
 *   const store = await parts.store(await parts.namespaces().active());
 *   ...
 *   await parts.close();   // closes what it built, in reverse order
 */
import { loadClassifierArtifact, type Classifier } from '../classify/index.js';
import { loadZeroShot } from '../classify/zero-shot-calibration.js';
import { projectPath, type Config } from '../config/index.js';
import { CachedEmbedder } from '../embed/cached-embedder.js';
import { SharedCachedEmbedder } from '../embed/shared-cache.js';
import { TransformersEmbedder } from '../embed/transformers-embedder.js';
import type { Embedder } from '../embed/types.js';
import { createKafkaClient } from '../kafka/client.js';
import type { KafkaClient } from '../kafka/types.js';
import { ContinuityStore } from '../store/continuity.js';
import { RedisEmbeddingCache } from '../store/embedding-cache.js';
import { RedisHistory } from '../store/history.js';
import { Keys, RedisProfileStore, RedisSimilarSnapshot, WriteBehind } from '../store/index.js';
import { RedisProcessorStats } from '../store/processor-stats.js';
import { RedisModelRegistry } from '../store/model-registry.js';
import { checkRedisSettings, type RedisFinding } from '../store/redis-checks.js';
import { createRedis, type RedisClient } from '../store/redis-client.js';
import { ReplicaWait } from '../store/replicas.js';
import { Namespaces } from '../store/namespaces.js';
import { PortraitError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';

/**
 * The embedder chain: the model in a worker thread; then, given a Redis client and
 * embedder.sharedCache, the shared int8 cache in Redis (a rebuild does not re-embed); then an
 * in-process LRU.
 */
export function createEmbedder(cfg: Pick<Config, 'embedder'> & Partial<Pick<Config, 'redis'>>, redis?: RedisClient, sharedCacheRead = false, writeBehind?: WriteBehind): Embedder {
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
  const shared = redis && cfg.redis && e.sharedCache ? new SharedCachedEmbedder(inner, new RedisEmbeddingCache(redis, { keyPrefix: cfg.redis.keyPrefix, ttlSeconds: e.sharedCacheTtlSeconds, writeBehind }), { read: sharedCacheRead }) : inner;
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

/** The configured classifier: a trained artifact, or zero-shot from the taxonomy (calibrated when a calibration file is there). */
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

export interface PartsOptions {
  /** extra ioredis options (a CLI command gives up sooner than the processor) */
  redis?: Parameters<typeof createRedis>[1];
  /** appended to kafka.clientId, so the broker tells the processes apart (e.g. '-replay') */
  kafkaClientIdSuffix?: string;
  /** how long the Redis connection's errors stay quiet after one is logged (default 10 s) */
  redisErrorLogIntervalMs?: number;
  /** log no Redis connection error: a short command reports the failure of the call instead */
  quietRedis?: boolean;
}

const REDIS_ERROR_LOG_INTERVAL_MS = 10_000;

export class Parts {
  private redisClient: RedisClient | undefined;
  private replicaWait: ReplicaWait | undefined;
  private lastRedisError: string | undefined;
  private readonly kafkaClients = new Map<string, KafkaClient>();
  private namespacesReader: Namespaces | undefined;
  private readonly stores = new Map<string, Promise<RedisProfileStore>>();
  private readonly closers: (() => Promise<unknown>)[] = [];
  /** the embedding cache's writes, sent with the next profile write (one round trip for both) */
  private readonly writeBehind = new WriteBehind();

  constructor(
    readonly cfg: Readonly<Config>,
    readonly log: Logger,
    private readonly opts: PartsOptions = {},
  ) {}

  /** The one Redis client (created on first use). ioredis reconnects by itself; its errors are logged at most every 10 s (redisErrorLogIntervalMs). */
  get redis(): RedisClient {
    if (this.redisClient) return this.redisClient;
    const redis = createRedis(this.cfg, this.opts.redis);
    // without a listener every failed reconnect prints a stack trace; the batch that needs Redis
    // fails with REDIS_UNAVAILABLE and is retried by the runner
    let loggedAt = 0;
    redis.on('error', (err: Error) => {
      this.lastRedisError = err.message;
      if (this.opts.quietRedis) return;
      if (Date.now() - loggedAt < (this.opts.redisErrorLogIntervalMs ?? REDIS_ERROR_LOG_INTERVAL_MS)) return;
      loggedAt = Date.now();
      this.log.warn({ err: err.message }, 'Redis connection error; reconnecting');
    });
    this.closers.push(() => {
      this.writeBehind.flush();
      return redis.quit().catch(() => redis.disconnect());
    });
    this.redisClient = redis;
    return redis;
  }

  /**
   * A start-up step that needs Redis. A command that gave up while the connection kept failing
   * says only "max retries"; the reason is what the connection said (WRONGPASS, NOAUTH,
   * ECONNREFUSED): this names it.
   */
  startup<T>(p: Promise<T>): Promise<T> {
    return p.catch((err: unknown) => {
      let gaveUp = false;
      for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) gaveUp ||= e.name === 'MaxRetriesPerRequestError';
      if (this.lastRedisError !== undefined && gaveUp) throw new PortraitError('REDIS_UNAVAILABLE', `Redis: ${this.lastRedisError} (gave up after retrying)`, { cause: err });
      throw err;
    });
  }

  /** The Redis client's replica confirmation (redis.waitReplicas), shared by the stores that write. */
  private get replicas(): ReplicaWait {
    this.replicaWait ??= new ReplicaWait(this.redis, { want: this.cfg.redis.waitReplicas, timeoutMs: this.cfg.redis.waitTimeoutMs, log: this.log });
    return this.replicaWait;
  }

  /** The one Kafka client (created on first use; the admins, producers and followers made from it are closed by their users). */
  get kafka(): KafkaClient {
    return this.kafkaAs(this.opts.kafkaClientIdSuffix ?? '');
  }

  /** A Kafka client whose client id ends in `suffix` (a part with connections of its own, e.g. the telemetry's lag poller). */
  kafkaAs(suffix: string): KafkaClient {
    let k = this.kafkaClients.get(suffix);
    if (!k) {
      k = createKafkaClient(this.cfg, this.log, suffix);
      this.kafkaClients.set(suffix, k);
    }
    return k;
  }

  /** The embedder chain of the config, with the shared Redis cache when configured (`sharedCacheRead`: a rebuild reads it, live only fills it). Closed by close(). */
  embedder(opts: { sharedCacheRead?: boolean } = {}): Embedder {
    const embedder = createEmbedder(this.cfg, this.cfg.embedder.sharedCache ? this.redis : undefined, opts.sharedCacheRead ?? false, this.writeBehind);
    this.closers.push(() => embedder.close());
    return embedder;
  }

  classifier(embedder: Embedder): Promise<Classifier> {
    return createClassifier(this.cfg, embedder, this.log);
  }

  /** The model registry in Redis (`portrait model`, `portrait train --register`; followed live by processors). */
  modelRegistry(): RedisModelRegistry {
    return new RedisModelRegistry(this.redis, this.cfg.redis.keyPrefix);
  }

  /** The namespaces' continuity records (src/pipeline/continuity.ts). */
  continuity(): ContinuityStore {
    return new ContinuityStore(this.redis, this.cfg.redis.keyPrefix);
  }

  /** What is wrong for Portrait with the Redis server's settings (eviction, persistence). */
  redisSettings(): Promise<RedisFinding[]> {
    return checkRedisSettings(this.redis);
  }

  /** The active-namespace pointer and the namespace registry. */
  namespaces(): Namespaces {
    this.namespacesReader ??= new Namespaces(this.redis, this.cfg.redis.keyPrefix, this.cfg.redis.namespace);
    return this.namespacesReader;
  }

  /** The profile store of a namespace (one per namespace, registered on first use). */
  store(namespace: string): Promise<RedisProfileStore> {
    let s = this.stores.get(namespace);
    if (!s) {
      const cfg = this.cfg;
      const similar = cfg.redis.similarShards > 0 ? this.similarSnapshot(namespace) : undefined;
      const store = new RedisProfileStore(this.redis, { keyPrefix: cfg.redis.keyPrefix, namespace, userTtlSeconds: cfg.redis.userTtlSeconds, historyLength: cfg.api.historyLength, writeBehind: this.writeBehind, similar, replicas: this.replicas });
      s = store.registerNamespace().then(() => store);
      s.catch(() => this.stores.delete(namespace));
      this.stores.set(namespace, s);
    }
    return s;
  }

  /**
   * The similar-users snapshot of a namespace (redis.similarShards shards): the processors' store
   * writes it through the write-behind (one round trip with the profile writes), the API loads it.
   */
  similarSnapshot(namespace: string): RedisSimilarSnapshot {
    return new RedisSimilarSnapshot(this.redis, { keyPrefix: this.cfg.redis.keyPrefix, namespace, shards: Math.max(1, this.cfg.redis.similarShards), writeBehind: this.writeBehind });
  }

  /** A store of a namespace for reading only (the API, `portrait profile`): not registered, writes nothing. */
  reader(namespace: string): RedisProfileStore {
    return new RedisProfileStore(this.redis, { keyPrefix: this.cfg.redis.keyPrefix, namespace, userTtlSeconds: 0 });
  }

  /** The profile-event history lists of a namespace (the API's /history). */
  history(namespace: string): RedisHistory {
    return new RedisHistory(this.redis, new Keys(this.cfg.redis.keyPrefix, namespace), { max: this.cfg.api.historyLength });
  }

  /** The processors' stats snapshots (published by each processor's telemetry, read by the API and the dashboard). */
  processorStats(): RedisProcessorStats {
    return new RedisProcessorStats(this.redis, this.cfg.redis.keyPrefix);
  }

  /** Close everything built here, last built first. */
  async close(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) await close().catch(() => {});
    this.redisClient = undefined;
    this.kafkaClients.clear();
    this.stores.clear();
  }
}

/** Run `fn` with parts of its own (a CLI command), closing them however `fn` ends. */
export async function withParts<T>(cfg: Readonly<Config>, log: Logger, opts: PartsOptions, fn: (parts: Parts) => Promise<T>): Promise<T> {
  const parts = new Parts(cfg, log, opts);
  try {
    return await fn(parts);
  } finally {
    await parts.close();
  }
}
