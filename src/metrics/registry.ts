import { collectDefaultMetrics, Registry } from 'prom-client';

export interface RegistryOptions {
  /** prom-client's standard process metrics (CPU, memory, event-loop lag, GC); default true */
  defaultMetrics?: boolean;
  /** labels added to every metric of this registry (e.g. { role: 'api' }) */
  labels?: Record<string, string>;
}

/** A fresh prom-client registry (never the global one, so tests and several components don't collide). */
export function createRegistry(opts: RegistryOptions = {}): Registry {
  const registry = new Registry();
  if (opts.labels) registry.setDefaultLabels(opts.labels);
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}
