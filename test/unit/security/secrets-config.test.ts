/**
 * Credentials are configurable (Kafka SASL, Redis password and TLS) and never echoed: a config
 * error names the key, not the value. The live checks (SASL/PLAIN against a broker, a Redis with
 * requirepass) are in test/integration/reliability/{sasl,redis-auth}.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import type { RedisOptions } from 'ioredis';
import { createRedis } from '../../../src/store/redis-client.js';
import { errSerializer } from '../../../src/util/logger.js';

const SECRET = 'S3cr3t-Pa55-word';

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig({ env });
  } catch (err) {
    return String((err as Error).message);
  }
  throw new Error('expected a config error');
}

describe('credentials in the configuration', () => {
  it('Kafka SASL (plain, scram-sha-256, scram-sha-512) and TLS come from the environment', () => {
    for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512']) {
      const cfg = loadConfig({ env: { PORTRAIT_KAFKA_SASL: JSON.stringify({ mechanism, username: 'portrait', password: SECRET }), PORTRAIT_KAFKA_SSL: 'true' } });
      expect(cfg.kafka.sasl).toEqual({ mechanism, username: 'portrait', password: SECRET });
      expect(cfg.kafka.ssl).toBe(true);
    }
    expect(loadConfig({ env: {} }).kafka.sasl).toBeNull();
  });

  it('a bad SASL setting is an error that names the key and never shows the password', () => {
    for (const sasl of [
      { mechanism: 'gssapi', username: 'u', password: SECRET },
      { mechanism: 'plain', username: '', password: SECRET },
      { mechanism: 'plain', username: 'u', password: SECRET, extra: 1 },
    ]) {
      const msg = errorOf({ PORTRAIT_KAFKA_SASL: JSON.stringify(sasl) });
      expect(msg).toContain('kafka.sasl');
      expect(msg).not.toContain(SECRET);
    }
    const notJson = errorOf({ PORTRAIT_KAFKA_SASL: `{"password":"${SECRET}"` });
    expect(notJson).toContain('PORTRAIT_KAFKA_SASL');
    expect(notJson).not.toContain(SECRET);
  });

  it('a bad Redis URL is an error that never shows the password in it', () => {
    const msg = errorOf({ PORTRAIT_REDIS_URL: `http://portrait:${SECRET}@redis.internal:6379` });
    expect(msg).toContain('redis.url');
    expect(msg).not.toContain(SECRET);
  });

  it('a Redis password and TLS (rediss://) reach the client, single server and Cluster', () => {
    const single = createRedis(loadConfig({ env: { PORTRAIT_REDIS_URL: `rediss://portrait:${encodeURIComponent(SECRET)}@redis.internal:6380/2` } }), { lazyConnect: true });
    try {
      expect(single.options as RedisOptions).toMatchObject({ host: 'redis.internal', port: 6380, username: 'portrait', password: SECRET, db: 2 });
      expect((single.options as RedisOptions).tls).toBeTruthy();
    } finally {
      single.disconnect();
    }
    const plain = createRedis(loadConfig({ env: { PORTRAIT_REDIS_URL: `redis://:${SECRET}@127.0.0.1:6379` } }), { lazyConnect: true });
    try {
      expect((plain.options as RedisOptions).password).toBe(SECRET);
      expect((plain.options as RedisOptions).tls).toBeFalsy();
    } finally {
      plain.disconnect();
    }
    const special = 'p@ss:w/rd%#?'; // percent-encoded in the URL
    const enc = createRedis(loadConfig({ env: { PORTRAIT_REDIS_URL: `redis://u:${encodeURIComponent(special)}@127.0.0.1:6379` } }), { lazyConnect: true });
    try {
      expect((enc.options as RedisOptions).password).toBe(special);
    } finally {
      enc.disconnect();
    }
    const cluster = createRedis(loadConfig({ env: { PORTRAIT_REDIS_URL: `rediss://portrait:${SECRET}@ignored:1`, PORTRAIT_REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7000' } }), { lazyConnect: true });
    try {
      expect('nodes' in cluster).toBe(true);
      const ro = (cluster as unknown as { options: { redisOptions: Record<string, unknown> } }).options.redisOptions;
      expect(ro).toMatchObject({ username: 'portrait', password: SECRET });
      expect(ro.tls).toBeTruthy();
    } finally {
      cluster.disconnect();
    }
  });

  it('a logged Redis error never carries the command arguments (HELLO/AUTH hold the password)', () => {
    const err = Object.assign(new Error('WRONGPASS invalid username-password pair or user is disabled.'), { name: 'ReplyError', command: { name: 'hello', args: ['3', 'AUTH', 'default', SECRET] } });
    const logged = JSON.stringify(errSerializer(err));
    expect(logged).toContain('WRONGPASS');
    expect(logged).toContain('"command":{"name":"hello"}');
    expect(logged).not.toContain(SECRET);
    expect(errSerializer('plain string')).toBe('plain string');
  });
});
