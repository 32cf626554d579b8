/**
 * Everything a processor needs for observability, in one call (src/cli/commands/run.ts):
 *
 *   const telemetry = createTelemetry(cfg, log, { groupId });
 *   const p = await startProcessor(cfg, log, { hooks: telemetry.hooks });
 *   await telemetry.attach(processorTarget(p));
 *   ...on SIGTERM: await telemetry.stop(); await p.stop();
 *
 * It owns a prom-client registry with Portrait's metrics, the runner hooks that feed them, the
 * consumer-lag poller (its own Kafka admin), the stats publisher (Redis, for the dashboard) and,
 * when metrics.port > 0, an HTTP endpoint with /metrics, /healthz and /readyz (Kafka, Redis, model).
 */
import { buildApi } from '../api/app.js';
import { kafkaProbe, modelProbe, redisProbe } from '../metrics/probes.js';
import type { Config } from '../config/index.js';
import type { KafkaAdmin } from '../kafka/types.js';
import type { Parts } from './parts.js';
import type { Logger } from '../util/logger.js';
import { LagPoller } from '../metrics/lag.js';
import { PortraitMetrics, type BatchInfo, type BatchLike } from '../metrics/portrait-metrics.js';
import { newInstanceId, StatsPublisher } from '../metrics/publisher.js';
import { createRegistry } from '../metrics/registry.js';

export interface TelemetryTarget {
  embedder: { id: string; dim: number; stats?: { hits: number; misses: number } };
  classifier: () => { kind: string; version: string };
  /** the processor's parts: its Redis client publishes the stats; the lag poller gets a Kafka client of its own */
  parts: Parts;
  /** the namespace the processor writes now */
  namespace: () => string;
  ping: () => Promise<unknown>;
}

/** What a started processor (consumers/comments.ts startProcessor) exposes to the telemetry. */
export interface StartedProcessor {
  embedder: TelemetryTarget['embedder'];
  classifier: TelemetryTarget['classifier'];
  parts: Parts;
  store: { readonly namespace: string; ping(): Promise<unknown> };
}

/** A started processor as a telemetry target: the namespace it writes now, its store's ping. */
export function processorTarget(p: StartedProcessor): TelemetryTarget {
  return { embedder: p.embedder, classifier: p.classifier, parts: p.parts, namespace: () => p.store.namespace, ping: () => p.store.ping() };
}

export interface Telemetry {
  readonly metrics: PortraitMetrics;
  readonly instanceId: string;
  /** pass to startProcessor({ hooks }) */
  readonly hooks: { onBatch: (out: BatchLike, info: BatchInfo) => void; onRetry: (err: unknown, attempt: number) => void };
  /** start the lag poller, the stats publisher and the HTTP endpoint once the processor runs */
  attach(target: TelemetryTarget): Promise<{ port: number | undefined }>;
  stop(): Promise<void>;
}

export function createTelemetry(cfg: Readonly<Config>, log: Logger, opts: { groupId?: string; instanceId?: string } = {}): Telemetry {
  const registry = createRegistry();
  const groupId = opts.groupId ?? cfg.kafka.groupId;
  const instanceId = opts.instanceId ?? newInstanceId();
  const metrics = new PortraitMetrics(registry, { commentsTopic: cfg.kafka.topics.comments });
  const startedAt = Date.now();
  const stops: (() => Promise<void>)[] = [];
  let attached: TelemetryTarget | undefined;

  const refreshModels = () => {
    if (!attached) return;
    const c = attached.classifier();
    metrics.setModels({ embedder: attached.embedder.id, classifierKind: c.kind, classifierVersion: c.version });
  };

  return {
    metrics,
    instanceId,
    hooks: {
      onBatch: (out, info) => metrics.observeBatch(out, info),
      onRetry: (err) => metrics.observeRetry(err),
    },
    async attach(target) {
      attached = target;
      refreshModels();
      metrics.trackEmbedCache(() => target.embedder.stats);

      const admin: KafkaAdmin = target.parts.kafkaAs('-telemetry').admin({ retries: 2 });
      await admin.connect();
      stops.push(() => admin.disconnect());
      const lag = new LagPoller(admin, {
        groupId,
        topics: [cfg.kafka.topics.comments],
        intervalMs: cfg.metrics.lagIntervalMs,
        onLag: (rows) => metrics.setLag(groupId, rows),
        onError: (err) => metrics.observeError(err, 'kafka'),
      });
      lag.start();
      stops.unshift(() => lag.stop());

      const publisher = new StatsPublisher(
        target.parts.processorStats(),
        () => {
          refreshModels(); // a classifier hot swap shows up within one interval
          return metrics.snapshot({ instanceId, namespace: target.namespace(), groupId, startedAt });
        },
        {
          namespace: target.namespace,
          instanceId,
          intervalMs: cfg.metrics.publishIntervalMs,
          ttlSeconds: cfg.metrics.statsTtlSeconds,
          registry,
          onError: (err) => metrics.observeError(err, 'redis'),
        },
      );
      publisher.start();
      stops.unshift(() => publisher.stop());

      let port: number | undefined;
      if (cfg.metrics.port > 0) {
        const app = await buildApi({
          config: { token: '' },
          registry,
          dashboard: false,
          probes: [redisProbe(target.ping), kafkaProbe(admin), modelProbe(() => target.embedder.dim > 0)],
        });
        try {
          await app.listen({ port: cfg.metrics.port, host: cfg.metrics.host });
          port = (app.server.address() as { port: number }).port;
          log.info({ port, host: cfg.metrics.host }, 'processor metrics endpoint listening (/metrics, /healthz, /readyz)');
          stops.unshift(() => app.close());
        } catch (err) {
          // a second processor on the same machine: no endpoint for this one, the processing goes on
          log.warn({ err: (err as Error).message, port: cfg.metrics.port }, 'processor metrics endpoint not started (set metrics.port to another port, or 0)');
          await app.close();
        }
      }
      return { port };
    },
    async stop() {
      for (const s of stops.splice(0)) await s().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'telemetry stop'));
    },
  };
}
