/**
 * The live stats snapshot a processor publishes to Redis every ~2 s (src/metrics/publisher.ts) and
 * the API reads for GET /v1/stats (src/api/stats.ts). Small (< 2 KB): rates, lag, latency
 * percentiles over the last minute, model versions, cache counters.
 */
import type { Stage } from './stages.js';
import type { Percentiles } from './window.js';

export interface PartitionLag {
  topic: string;
  partition: number;
  /** end offset (high watermark) */
  end: number;
  /** committed offset of the group, -1 when none */
  committed: number;
  lag: number;
}

export interface ModelVersions {
  embedder: string;
  classifierKind: string;
  classifierVersion: string;
}

export interface ProcSnapshot {
  v: 1;
  instanceId: string;
  namespace: string;
  groupId: string;
  startedAt: number;
  /** epoch ms when taken */
  at: number;
  totals: { eventsIn: number; applied: number; duplicates: number; profilesOut: number; deadLetters: number; batches: number; retries: number; errors: number };
  /** per second, over the last 10 s */
  rates: { eventsIn: number; profilesOut: number; deadLetters: number };
  /** last lag poll, or null before the first one */
  lag: { at: number; total: number; partitions: PartitionLag[] } | null;
  /** milliseconds, over the last 60 s */
  latency: { eventToProfile: Percentiles; ingestToProfile: Percentiles; batch: Percentiles; stages: Partial<Record<Stage, Percentiles>> };
  models: ModelVersions | null;
  cache: { hits: number; misses: number; hitRate: number | null } | null;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parse a published snapshot; null when it is not one (a newer format, a corrupt value). */
export function parseSnapshot(raw: string | null | undefined): ProcSnapshot | null {
  if (!raw) return null;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isObj(v) || v.v !== 1 || typeof v.instanceId !== 'string' || typeof v.at !== 'number') return null;
  if (!isObj(v.totals) || !isObj(v.rates) || !isObj(v.latency)) return null;
  return v as unknown as ProcSnapshot;
}
