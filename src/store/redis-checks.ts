/**
 * What would let Redis drop Portrait's state behind its back, read from the server's own settings
 * at start-up. An evicted user hash is a silent partial loss (the state of some users restarts from
 * nothing), so any maxmemory-policy but noeviction is an error worth saying loudly; a server that
 * keeps nothing on disk loses every state on a restart, which Portrait notices and rebuilds from
 * the comments topic (src/pipeline/continuity.ts), but only from what the topic still retains.
 */
import { primaries } from './scan.js';
import type { RedisClient } from './redis-client.js';

export interface RedisFinding {
  level: 'error' | 'warn';
  setting: string;
  value: string;
  message: string;
}

/** Pure: judge the settings of one server (CONFIG GET results). */
export function judgeRedisSettings(settings: Record<string, string>): RedisFinding[] {
  const out: RedisFinding[] = [];
  const policy = settings['maxmemory-policy'];
  if (policy !== undefined && policy !== 'noeviction') {
    out.push({
      level: 'error',
      setting: 'maxmemory-policy',
      value: policy,
      message: `Redis maxmemory-policy is ${policy}: under memory pressure Redis deletes keys, and a deleted user state silently restarts that user's profile. Set maxmemory-policy noeviction (then writes fail loudly and are retried instead)`,
    });
  }
  const save = settings.save;
  const aof = settings.appendonly;
  if (save !== undefined && aof !== undefined && save.trim() === '' && aof === 'no') {
    out.push({
      level: 'warn',
      setting: 'save/appendonly',
      value: `save "${save}", appendonly ${aof}`,
      message:
        'Redis keeps nothing on disk (no RDB snapshots, no AOF): a restart loses every profile state. Portrait notices and rebuilds from the comments topic, but only from what the topic still retains. Enable appendonly yes (or RDB snapshots) in production',
    });
  }
  return out;
}

/** CONFIG GET on every primary; a server that refuses CONFIG (managed Redis) is skipped. */
export async function checkRedisSettings(redis: RedisClient): Promise<RedisFinding[]> {
  const findings: RedisFinding[] = [];
  for (const node of primaries(redis)) {
    let pairs: string[];
    try {
      pairs = (await node.call('CONFIG', 'GET', '*')) as string[];
    } catch {
      continue;
    }
    const settings: Record<string, string> = {};
    for (let i = 0; i + 1 < pairs.length; i += 2) settings[pairs[i]!] = pairs[i + 1]!;
    for (const f of judgeRedisSettings(settings)) if (!findings.some((x) => x.setting === f.setting && x.value === f.value)) findings.push(f);
  }
  return findings;
}
