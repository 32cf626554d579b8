/**
 * Every processor publishes its live stats every ~2 s, so the API (any instance) can show them
 * without reaching the processors (docs/api.md, "Stats publishing"): a ProcSnapshot
 * (src/metrics/snapshot.ts) and the processor's prom-client registry as JSON (for the API's
 * /metrics, which re-exposes every live processor's series with an `instance` label), kept with a
 * TTL of ~15 s. Where and how they are stored (a Redis hash per processor) is src/store/processor-stats.ts's.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import type { ProcessorStatsFields, ProcessorStatsStore } from '../store/types.js';
import type { ProcSnapshot } from './snapshot.js';

/** hostname-pid-random: unique per process, readable on the dashboard. */
export function newInstanceId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
}

export interface StatsPublisherOptions {
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
  /** the namespace of the last snapshot written */
  private lastNamespace: string | undefined;

  constructor(
    private readonly store: Pick<ProcessorStatsStore, 'put' | 'remove'>,
    private readonly snapshot: () => ProcSnapshot,
    private readonly opts: StatsPublisherOptions,
  ) {}

  /** The namespace this processor publishes to now. */
  get namespace(): string {
    return typeof this.opts.namespace === 'function' ? this.opts.namespace() : this.opts.namespace;
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
        const fields: ProcessorStatsFields = { stats: JSON.stringify(snap), at: String(snap.at) };
        if (this.opts.registry) fields.metrics = JSON.stringify(await this.opts.registry.getMetricsAsJSON());
        const ttlMs = (this.opts.ttlSeconds ?? 15) * 1000;
        const ns = this.namespace;
        // a namespace switch: leave the old namespace's dashboard at once
        if (this.lastNamespace !== undefined && this.lastNamespace !== ns) await this.store.remove(this.lastNamespace, this.opts.instanceId);
        this.lastNamespace = ns;
        await this.store.put(ns, this.opts.instanceId, fields, ttlMs);
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
    if (this.lastNamespace !== undefined) await this.store.remove(this.lastNamespace, this.opts.instanceId).catch((err: unknown) => this.opts.onError?.(err));
  }
}
