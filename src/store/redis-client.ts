import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config/index.js';

export type RedisClient = Redis | Cluster;

/** A single server from redis.url, or a Cluster when redis.clusterNodes is set. */
export function createRedis(cfg: Pick<Config, 'redis'>, extra: RedisOptions = {}): RedisClient {
  const r = cfg.redis;
  const base: RedisOptions = { maxRetriesPerRequest: 3, enableAutoPipelining: true, lazyConnect: false, ...(r.commandTimeoutMs > 0 ? { commandTimeout: r.commandTimeoutMs } : {}), ...extra };
  if (r.clusterNodes.length > 0) {
    const url = new URL(r.url);
    const nodes = r.clusterNodes.map((hp) => {
      const [host, port] = hp.split(':');
      return { host: host ?? '127.0.0.1', port: Number(port) };
    });
    const auth = { ...(url.username ? { username: decodeURIComponent(url.username) } : {}), ...(url.password ? { password: decodeURIComponent(url.password) } : {}) };
    return new Cluster(nodes, {
      redisOptions: { ...base, ...auth, ...(url.protocol === 'rediss:' ? { tls: {} } : {}) },
      scaleReads: 'master',
    });
  }
  return new Redis(r.url, base);
}
