/**
 * Readiness probes for GET /readyz: each names a dependency and throws when it is not usable.
 * The API checks Kafka and Redis; a processor adds its model.
 */
import type { KafkaAdmin } from '../kafka/types.js';

export interface Probe {
  name: string;
  check(): Promise<void>;
}

export interface ProbeResult {
  name: string;
  ok: boolean;
  error?: string;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const short = (e: unknown) =>
  String((e as Error)?.message ?? e)
    .replace(/[\p{Cc}]+/gu, ' ')
    .slice(0, 200);

/** Run every probe concurrently, each bounded by `timeoutMs`. */
export async function runProbes(probes: readonly Probe[], timeoutMs = 2000): Promise<ProbeResult[]> {
  return Promise.all(
    probes.map(async (p) => {
      try {
        await withTimeout(p.check(), timeoutMs, p.name);
        return { name: p.name, ok: true };
      } catch (err) {
        return { name: p.name, ok: false, error: short(err) };
      }
    }),
  );
}

/** Redis answers PING (RedisProfileStore.ping pings every master of a Cluster). */
export function redisProbe(ping: () => Promise<unknown>): Probe {
  return { name: 'redis', check: async () => void (await ping()) };
}

/**
 * A Kafka broker answers a metadata request (give the probe an admin with few retries). The admin
 * is (re)connected first, so a broker that was down at start-up is picked up once it is back.
 */
export function kafkaProbe(admin: Pick<KafkaAdmin, 'describeCluster' | 'connect'>): Probe {
  return {
    name: 'kafka',
    check: async () => {
      await admin.connect();
      const c = await admin.describeCluster();
      if (c.brokers.length === 0) throw new Error('no broker in the cluster metadata');
    },
  };
}

/** The embedding model (and classifier) are loaded: for a processor's /readyz. */
export function modelProbe(isLoaded: () => boolean): Probe {
  return {
    name: 'model',
    check: async () => {
      if (!isLoaded()) throw new Error('the embedding model is not loaded yet');
    },
  };
}
