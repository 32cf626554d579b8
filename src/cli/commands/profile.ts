import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { createRedis, RedisProfileStore } from '../../store/index.js';
import { Exit, printJson } from '../output.js';

export function registerProfile(program: Command): void {
  program
    .command('profile <userId>')
    .description("print a user's stored profile as JSON (exit code 3 when the user has none)")
    .option('--namespace <ns>', 'profile namespace (default: redis.namespace)')
    .action(async (userId: string, opts: { namespace?: string }) => {
      const cfg = loadConfig();
      const redis = createRedis(cfg, { maxRetriesPerRequest: 1 });
      const store = new RedisProfileStore(redis, { keyPrefix: cfg.redis.keyPrefix, namespace: opts.namespace ?? cfg.redis.namespace, userTtlSeconds: 0 });
      try {
        const p = await store.getProfile(userId);
        if (p === null) {
          process.stderr.write(`portrait: no profile for user ${JSON.stringify(userId)} in namespace ${store.namespace}\n`);
          process.exitCode = Exit.NOT_FOUND;
          return;
        }
        printJson(p);
      } finally {
        await store.close();
      }
    });
}
