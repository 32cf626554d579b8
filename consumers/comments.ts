/**
 * The comment consumer: subscribe to the comments topic, batch, run the flow's stages
 * (src/pipeline/flow.ts), publish profile events and dead letters, commit. The parts come from the
 * composition root (src/app/parts.ts); the Kafka loop is the runner (src/kafka/runner.ts).
 *
 *   comments topic (key = userId) → decode → preprocess → embed → classify → store → profiles topic → commit
 */
import { Parts } from '../src/app/parts.js';
import { watchModels } from '../src/classify/hot-swap.js';
import type { Classifier } from '../src/classify/index.js';
import { deadLetterTopic, featuresTopic, type Config } from '../src/config/index.js';
import type { Embedder } from '../src/embed/types.js';
import { judgeRetention, RETENTION_SETTINGS } from '../src/kafka/retention.js';
import { portraitTopics } from '../src/kafka/topics.js';
import type { ConsumeLoop, RunnerHooks } from '../src/kafka/types.js';
import { ContinuityGuard, type ContinuityEvents } from '../src/pipeline/continuity.js';
import { CommentFlow, FeatureFlow, type FlowDeps } from '../src/pipeline/flow.js';
import type { BatchOutput } from '../src/pipeline/stage.js';
import { StateCache } from '../src/pipeline/state-cache.js';
import { profileParams } from '../src/profile/index.js';
import type { RedisProfileStore } from '../src/store/index.js';
import type { Logger } from '../src/util/logger.js';

export interface Processor {
  runner: ConsumeLoop;
  embedder: Embedder;
  /** the parts it was built from (its Redis client: `parts.redis`) */
  parts: Parts;
  /** the store of the namespace in force */
  readonly store: RedisProfileStore;
  classifier: () => Classifier;
  /** with `source: 'features'`: the flow, whose `sourceEnds` say how far into the comments topic the log went */
  featureFlow?: FeatureFlow;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** build from these parts (a command that also uses them); default: parts of its own, closed by stop() */
  parts?: Parts;
  fromBeginning?: boolean;
  hooks?: RunnerHooks<BatchOutput>;
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
  /** records per chunk (default kafka.maxBatchSize; a rebuild uses kafka.replayMaxBatchSize) */
  maxBatchSize?: number;
  /** what the continuity guard meets (metrics: PortraitMetrics.continuity) */
  continuity?: ContinuityEvents;
  /** judge the Redis server's eviction policy and persistence at start-up (default true; the demo, on a throwaway stack, does not) */
  checkRedis?: boolean;
  /** what to fold: the comments topic (default), or the feature log (a rebuild: no model call; needs publish: false) */
  source?: 'comments' | 'features';
}

/** How often a live processor checks which namespace is active. */
const NAMESPACE_POLL_MS = 1000;

/** Build everything, create the topics, start consuming. Throws with one clear message on bad start-up. */
export async function startProcessor(cfg: Readonly<Config>, log: Logger, opts: StartOptions = {}): Promise<Processor> {
  const parts = opts.parts ?? new Parts(cfg, log);
  const atStartup = <T>(p: Promise<T>) => parts.startup(p);
  // a rebuild (fixed namespace, nothing published) reads the shared embedding cache; live only fills it
  const embedder = opts.embedder ?? parts.embedder({ sharedCacheRead: opts.publish === false });
  await embedder.ready();
  // the registry's active model when there is one (followed live), else the configured classifier
  const models = await watchModels(cfg, { registry: parts.modelRegistry(), embedder, fallback: await parts.classifier(embedder), log });
  const namespaces = parts.namespaces();
  let store = await atStartup(parts.store(opts.namespace ?? (await atStartup(namespaces.active()))));
  await atStartup(store.ping());
  if (opts.checkRedis !== false) for (const f of await parts.redisSettings()) log[f.level]({ setting: f.setting, value: f.value }, f.message);
  // A live processor follows `portrait namespace activate`: the switch takes effect between batches.
  const follow = opts.namespace
    ? undefined
    : setInterval(() => {
        namespaces
          .active()
          .then(async (ns) => {
            if (ns !== store.namespace) {
              log.info({ from: store.namespace, to: ns }, 'switching to the newly activated namespace');
              store = await parts.store(ns);
            }
          })
          .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not read the active namespace'));
      }, NAMESPACE_POLL_MS);
  follow?.unref();

  let processorStateCache: StateCache | undefined;
  const { kafka } = parts;
  const admin = kafka.admin();
  await admin.connect();
  const topicIds = kafka.topicIds();
  const groupId = opts.groupId ?? cfg.kafka.groupId;
  const fromLog = opts.source === 'features';
  if (fromLog && opts.publish !== false) throw new Error('a processor reads the feature log only to rebuild (publish: false)');
  // the topic read: the comments, or the feature log for a rebuild from it
  const commentsTopic = fromLog ? featuresTopic(cfg) : cfg.kafka.topics.comments;
  let guard: ContinuityGuard;
  try {
    const created = await admin.ensureTopics(portraitTopics(cfg));
    if (created.length > 0) log.info({ created }, 'created topics');
    // a comments topic that keeps less than the profiles remember makes rebuilds partial (retention.ts)
    if (opts.publish !== false) {
      const settings = await admin.topicSettings([commentsTopic], RETENTION_SETTINGS).catch((err: unknown) => {
        log.warn({ err: (err as Error).message, topic: commentsTopic }, 'could not read the comments topic retention');
        return undefined;
      });
      for (const f of judgeRetention(commentsTopic, settings?.get(commentsTopic) ?? {}, cfg.profile.halfLifeDays)) log.warn({ topic: f.topic, setting: 'retention.ms', value: f.value }, f.message);
    }
    const stateCache = cfg.profile.stateCacheUsers > 0 ? new StateCache(cfg.profile.stateCacheUsers, cfg.profile.stateCacheMiB * 1024 * 1024) : undefined;
    guard = new ContinuityGuard({
      store: parts.continuity(),
      namespace: () => store.namespace,
      topicId: (topic) => topicIds.fresh(topic),
      earliest: async (topic, partition) => (await admin.topicOffsets(topic)).find((r) => r.partition === partition)?.start ?? 0,
      committed: (topic) => admin.committedOffsets(groupId, topic),
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

  const flowDeps: FlowDeps = {
    embedder,
    classifier: () => models.current(),
    store: () => store,
    params: profileParams(cfg),
    ...(cfg.profile.unmix ? { unmix: { prior: cfg.profile.unmixPrior } } : {}),
    text: cfg.text,
    decode: { maxRecordBytes: cfg.events.maxRecordBytes, maxFutureMs: cfg.events.maxFutureMs, minTs: cfg.events.minTs },
    dedupeWindow: cfg.events.dedupeWindow,
    eventCentroid: cfg.profile.eventCentroid,
    log,
    ...(processorStateCache ? { stateCache: processorStateCache } : {}),
    epoch: (ns: string) => guard.epochFor(ns),
    featureLog: cfg.kafka.featureLog && opts.publish !== false,
  };
  const featureFlow = fromLog ? new FeatureFlow(flowDeps) : undefined;
  const flow = featureFlow ?? new CommentFlow(flowDeps);
  const runner = kafka.commentsRunner(
    flow,
    {
      groupId,
      commentsTopic,
      profilesTopic: cfg.kafka.topics.profiles,
      deadLetterTopic: deadLetterTopic(cfg),
      ...(cfg.kafka.featureLog ? { featuresTopic: featuresTopic(cfg) } : {}),
      maxBatchSize: opts.maxBatchSize ?? cfg.kafka.maxBatchSize,
      maxBytesPerPartition: cfg.kafka.maxBytesPerPartition,
      sessionTimeoutMs: cfg.kafka.sessionTimeoutMs,
      heartbeatIntervalMs: cfg.kafka.heartbeatIntervalMs,
      releaseAfterMs: cfg.kafka.releaseAfterMs,
      fromBeginning: opts.fromBeginning ?? true,
      ...(opts.publish === false ? { publish: false } : {}),
      ...(opts.stopAt ? { stopAt: opts.stopAt } : {}),
      ...(opts.startAt ? { startAt: opts.startAt } : {}),
    },
    log,
    {
      healthy: () =>
        store.ping().then(
          () => true,
          () => false,
        ),
      ...opts.hooks,
      guard,
    },
  );
  await runner.start();
  return {
    runner,
    embedder,
    parts,
    get store() {
      return store;
    },
    classifier: () => models.current(),
    ...(featureFlow ? { featureFlow } : {}),
    async stop() {
      if (follow) clearInterval(follow);
      models.stop();
      await runner.stop();
      await admin.disconnect().catch(() => {});
      await topicIds.close();
      if (!opts.parts) await parts.close();
    },
  };
}
