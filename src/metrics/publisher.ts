/**
 * Every processor publishes its live stats to Redis every ~2 s, so the API (any instance) can show
 * them without reaching the processors (docs/api.md, "Stats publishing"):
 *
 *   <prefix>:<ns>:proc:{<instanceId>}   hash, TTL ~15 s (gone soon after the processor is)
 *     stats     ProcSnapshot JSON (src/metrics/snapshot.ts), < 2 KB
 *     metrics   the processor's prom-client registry as JSON (Registry.getMetricsAsJSON), for the
 *               API's /metrics, which re-exposes every live processor's series with an `instance` label
 *     at        epoch ms of the snapshot
 *
 * The instance id is escaped like a user id (src/store/keys.ts), so the key has one hash tag.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import { Keys, type RedisClient } from '../store/index.js';
import type { ProcSnapshot } from './snapshot.js';

/** The key of a processor's snapshot (the key builder's: src/store/keys.ts). */
export function procKey(prefix: string, namespace: string, instanceId: string): string {
  return new Keys(prefix, namespace).proc(instanceId);
}

/** SCAN pattern of every live processor of a namespace. */
export function procPattern(prefix: string, namespace: string): string {
  return new Keys(prefix, namespace).procPattern();
}

/** hostname-pid-random: unique per process, readable on the dashboard. */
export function newInstanceId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
}

export interface StatsPublisherOptions {
  keyPrefix: string;
  /** the namespace the processor writes (a function for a processor that follows the active one) */
  namespace: string | (() => string);
  instanceId: string;
  intervalMs?: number;
  ttlSeconds?: number;
  /** also publish the registry's series (for the API's /metrics) */
  registry?: Registry;
  onError?: (err: unknown) => void;
}

export class StatsPublisher {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private lastKey: string | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly snapshot: () => ProcSnapshot,
    private readonly opts: StatsPublisherOptions,
  ) {}

  /** The key this processor publishes to now. */
  get key(): string {
    const ns = typeof this.opts.namespace === 'function' ? this.opts.namespace() : this.opts.namespace;
    return procKey(this.opts.keyPrefix, ns, this.opts.instanceId);
  }

  /** Publish now, then every intervalMs (the timer does not keep the process alive). */
  start(): void {
    if (this.timer) return;
    void this.publish();
    this.timer = setInterval(() => void this.publish(), this.opts.intervalMs ?? 2000);
    this.timer.unref();
  }

  /** One publish; errors go to onError (Redis down must not stop the processor). */
  publish(): Promise<void> {
    this.inFlight ??= (async () => {
      try {
        const snap = this.snapshot();
        const fields: Record<string, string> = { stats: JSON.stringify(snap), at: String(snap.at) };
        if (this.opts.registry) fields.metrics = JSON.stringify(await this.opts.registry.getMetricsAsJSON());
        const ttlMs = (this.opts.ttlSeconds ?? 15) * 1000;
        const key = this.key;
        // a namespace switch: leave the old namespace's dashboard at once
        if (this.lastKey !== undefined && this.lastKey !== key) await this.redis.del(this.lastKey);
        this.lastKey = key;
        await this.redis.multi().hset(key, fields).pexpire(key, ttlMs).exec();
      } catch (err) {
        this.opts.onError?.(err);
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }

  /** Stop publishing and remove the key: a cleanly stopped processor leaves the dashboard at once. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
    if (this.lastKey !== undefined) await this.redis.del(this.lastKey).catch((err: unknown) => this.opts.onError?.(err));
  }
}
