/**
 * `portrait api`: takes the real readers from the composition root (src/app/parts.ts: the profile
 * store and history of the active namespace, processor stats), starts the similar-users follower
 * (Kafka), the metrics registry and the readiness probes, then listens.
 */
import type { FastifyInstance } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/index.js';
import { Parts } from '../app/parts.js';
import type { KafkaAdmin } from '../kafka/types.js';
import { createRegistry } from '../metrics/index.js';
import type { RedisHistory } from '../store/history.js';
import type { RedisProfileStore } from '../store/index.js';
import { PortraitError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { buildApi } from './app.js';
import { kafkaProbe, redisProbe } from '../metrics/probes.js';
import { ProfilesFollower } from '../../consumers/profiles.js';
import { CheckedSimilar } from '../similar/checked.js';
import type { SnapshotEntry } from '../similar/source.js';
import { NamespaceSpans, StatsReader } from './stats.js';

export interface ApiServer {
  app: FastifyInstance;
  /** the bound address, e.g. http://127.0.0.1:8080 */
  url: string;
  follower: ProfilesFollower | undefined;
  close(): Promise<void>;
}

/** How long the active namespace is cached (`portrait namespace activate` reaches readers within it). */
const NAMESPACE_TTL_MS = 1000;

export async function startApi(cfg: Readonly<Config>, log: Logger, opts: { port?: number; host?: string; listen?: boolean } = {}): Promise<ApiServer> {
  // a read API fails fast when Redis is away: one retry, and no Redis call waits more than 1.5 s;
  // connection errors are logged at most every 30 s (requests get 503 meanwhile)
  const parts = new Parts(cfg, log, { redis: { maxRetriesPerRequest: 1, commandTimeout: 1500 }, kafkaClientIdSuffix: '-api', redisErrorLogIntervalMs: 30_000 });
  const { redis } = parts;
  const namespaces = parts.namespaces();
  let active = { ns: cfg.redis.namespace, at: 0 };
  const activeNs = async (): Promise<string> => {
    if (Date.now() - active.at > NAMESPACE_TTL_MS) {
      try {
        active = { ns: await namespaces.active(), at: Date.now() };
      } catch {
        // Redis down: keep the last known namespace for a while; the read that follows reports the outage (503)
        active = { ns: active.ns, at: Date.now() };
      }
    }
    return active.ns;
  };
  const readers = new Map<string, { store: RedisProfileStore; history: RedisHistory }>();
  const readersFor = async () => {
    // while ioredis is reconnecting, answer 503 at once instead of waiting for the timeout
    if (['reconnecting', 'close', 'end'].includes(redis.status)) throw new PortraitError('REDIS_UNAVAILABLE', `Redis is ${redis.status}`);
    const ns = await activeNs();
    let r = readers.get(ns);
    if (!r) {
      r = { store: parts.reader(ns), history: parts.history(ns) };
      readers.set(ns, r);
    }
    return r;
  };
  const anyStore = parts.reader(cfg.redis.namespace);
  const stats = new StatsReader(parts.processorStats());
  const spans = new NamespaceSpans(parts.namespaces());

  const { kafka } = parts;
  const admin: KafkaAdmin = kafka.admin({ retries: 2 });
  let follower: ProfilesFollower | undefined;
  let followerStarting: Promise<void> | undefined;
  let stopped = false;
  if (cfg.api.similarIndex) {
    // snapshot: the active namespace's similar-users snapshot, then the topic from 15 s before
    const snapshot = cfg.api.similarSource === 'snapshot' ? { load: async (onRow: (row: SnapshotEntry) => void) => parts.similarSnapshot(await activeNs()).load(onRow) } : undefined;
    follower = new ProfilesFollower(kafka, { topic: cfg.kafka.topics.profiles, groupPrefix: `${cfg.kafka.clientId}-api-similar`, log, ...(snapshot ? { snapshot } : {}) });
    const f = follower;
    // Kafka may come up after the API: keep trying in the background, the other routes serve meanwhile
    followerStarting = (async () => {
      for (let attempt = 1; !stopped; attempt++) {
        try {
          await f.start();
          return;
        } catch (err) {
          log.warn({ err: (err as Error).message, attempt }, 'similar-users index: cannot follow the profiles topic yet; retrying');
          await sleep(Math.min(10_000, 1000 * attempt), undefined, { ref: false });
        }
      }
    })();
  }
  // connected by the readiness probe on first use (and again after a broker outage)

  const registry = createRegistry({ labels: { role: 'api' } });
  const app = await buildApi({
    config: { token: cfg.api.token, historyLength: cfg.api.historyLength },
    profiles: { getProfile: async (u) => (await readersFor()).store.getProfile(u) },
    history: { read: async (u, n) => (await readersFor()).history.read(u, n) },
    // every answer leaves out users whose profile is gone (erased, expired): one EXISTS round trip
    ...(follower ? { similar: new CheckedSimilar(follower, async (ids) => (await readersFor()).store.existing(ids)) } : {}),
    stats: async (ns) => stats.stats(ns ?? (await readersFor()).store.namespace),
    namespaces: () => spans.view(),
    extraMetrics: async () => stats.metricsText(await activeNs()),
    probes: [redisProbe(() => anyStore.ping()), kafkaProbe(admin)],
    registry,
    logger: log,
  });

  const close = async () => {
    stopped = true;
    await app.close();
    await followerStarting?.catch(() => {});
    await follower?.stop().catch(() => {});
    await admin.disconnect().catch(() => {});
    await parts.close();
  };
  let url = '';
  if (opts.listen ?? true) {
    try {
      url = await app.listen({ port: opts.port ?? cfg.api.port, host: opts.host ?? cfg.api.host });
    } catch (err) {
      await close();
      throw err;
    }
    log.info({ url, similarIndex: cfg.api.similarIndex, auth: cfg.api.token !== '' }, 'API listening');
  }
  return { app, url, follower, close };
}
