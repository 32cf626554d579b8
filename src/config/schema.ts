import { z } from 'zod';

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port');
const positiveInt = z.number().int().positive();

const sasl = z
  .strictObject({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
    username: z.string().min(1),
    password: z.string().min(1),
  })
  .nullable();

export const ConfigSchema = z.strictObject({
  kafka: z.strictObject({
    brokers: z.array(hostPort).min(1),
    clientId: z.string().min(1),
    groupId: z.string().min(1),
    topics: z.strictObject({
      comments: z.string().min(1),
      profiles: z.string().min(1),
      deadLetter: z.string(),
      features: z.string(),
    }),
    // write the feature log (docs/events.md, "Feature log")
    featureLog: z.boolean(),
    partitions: positiveInt,
    replicationFactor: positiveInt,
    // retention.ms of the topics `portrait topics create` makes, in days; -1 = forever
    retentionDays: z.strictObject({
      comments: z.union([z.literal(-1), z.number().positive()]),
      deadLetter: z.union([z.literal(-1), z.number().positive()]),
    }),
    sessionTimeoutMs: positiveInt,
    releaseAfterMs: z.number().int().nonnegative(),
    heartbeatIntervalMs: positiveInt,
    maxBytesPerPartition: positiveInt,
    maxBatchSize: positiveInt,
    replayMaxBatchSize: positiveInt,
    sasl,
    ssl: z.boolean(),
  }),
  redis: z.strictObject({
    url: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL'),
    clusterNodes: z.array(hostPort),
    keyPrefix: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    // same rule as `portrait namespace`: never a name the key layout uses for something else
    namespace: z.string().regex(/^(?!(?:forgotten|receipts|models|emb|namespaces|active-namespace|namespace-history|spread)$)[A-Za-z0-9_.-]{1,64}$/, '1-64 letters, digits, _ . - and not a reserved key name'),
    userTtlSeconds: z.number().int().nonnegative(),
    similarShards: z.number().int().min(0).max(16384),
    waitReplicas: z.number().int().min(0).max(16),
    waitTimeoutMs: positiveInt,
    commandTimeoutMs: z.number().int().nonnegative(),
  }),
  embedder: z.strictObject({
    model: z.string().min(1),
    modelDir: z.string().min(1),
    dtype: z.enum(['q8', 'int8', 'fp32', 'fp16', 'uint8', 'q4']),
    pooling: z.enum(['cls', 'mean']),
    allowRemote: z.boolean(),
    threads: z.number().int().min(1).max(64),
    batchSize: z.number().int().min(1).max(256),
    nice: z.number().int().min(0).max(19),
    cacheSize: z.number().int().nonnegative(),
    sharedCache: z.boolean(),
    sharedCacheTtlSeconds: z.number().int().nonnegative(),
  }),
  events: z.strictObject({
    maxRecordBytes: positiveInt,
    maxFutureMs: z.number().int().nonnegative(),
    minTs: z.number().int(),
    dedupeWindow: z.number().int().min(0).max(1024),
  }),
  text: z.strictObject({
    maxChars: positiveInt,
    maxTokens: positiveInt,
    maxChunks: z.number().int().min(1).max(64),
  }),
  classifier: z.strictObject({
    kind: z.enum(['zero-shot', 'artifact']),
    taxonomy: z.string().min(1),
    artifact: z.string(),
    temperature: z.number().positive(),
    registry: z.boolean(),
    pollMs: z.number().int().min(100),
  }),
  profile: z.strictObject({
    halfLifeDays: z.number().positive(),
    maxTerms: positiveInt,
    evidencePerLabel: positiveInt,
    topK: positiveInt,
    topTerms: positiveInt,
    stateCacheUsers: z.number().int().nonnegative(),
    stateCacheMiB: z.number().positive(),
    unmix: z.boolean(),
    unmixPrior: z.number().nonnegative(),
    eventCentroid: z.enum(['compact', 'decimal', 'none']),
  }),
  api: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    token: z.string(),
    historyLength: z.number().int().min(1).max(100),
    similarIndex: z.boolean(),
    similarSource: z.enum(['topic', 'snapshot']),
  }),
  metrics: z.strictObject({
    port: z.number().int().min(0).max(65535),
    host: z.string().min(1),
    lagIntervalMs: z.number().int().min(100),
    publishIntervalMs: z.number().int().min(100),
    statsTtlSeconds: z.number().int().min(1),
  }),
  log: z.strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  }),
  stack: z.strictObject({
    kafkaVersion: z.string().regex(/^4\.\d+\.\d+$/, 'expected a Kafka 4.x version such as 4.1.2'),
    log4jSlf4jVersion: z.string().min(1),
    kafkaPort: z.number().int().min(1).max(65535),
    controllerPort: z.number().int().min(1).max(65535),
    heap: z.string().regex(/^\d+[mMgG]$/, 'expected a JVM heap size such as 512m'),
    redisPort: z.number().int().min(1).max(65535),
    /** the first port of `stack up --redis-cluster` (one node per port from here) */
    redisClusterPort: z.number().int().min(1).max(65535),
    /** the JVM heap of each node of `stack up --brokers N` */
    clusterHeap: z.string().regex(/^\d+[mMgG]$/, 'expected a JVM heap size such as 384m'),
    dir: z.string().min(1),
    startTimeoutMs: positiveInt,
  }),
});

export type Config = z.infer<typeof ConfigSchema>;
