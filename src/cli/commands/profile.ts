import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { RedisProfileStore } from '../../store/index.js';
import { createRedis } from '../../store/redis-client.js';
import { Namespaces } from '../../store/namespaces.js';
import { Exit, printJson } from '../output.js';

export function registerProfile(program: Command): void {
  program
    .command('profile <userId>')
    .description("print a user's stored profile as JSON (exit code 3 when the user has none)")
    .option('--namespace <ns>', 'profile namespace (default: the active one)')
    .action(async (userId: string, opts: { namespace?: string }) => {
      const cfg = loadConfig();
      const redis = createRedis(cfg, { maxRetriesPerRequest: 1 });
      const namespace = opts.namespace ?? (await new Namespaces(redis, cfg.redis.keyPrefix, cfg.redis.namespace).active());
      const store = new RedisProfileStore(redis, { keyPrefix: cfg.redis.keyPrefix, namespace, userTtlSeconds: 0 });
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
