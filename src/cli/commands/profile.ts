import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { profileView } from '../../events/profile-event.js';
import { withParts } from '../../app/parts.js';
import { createLogger } from '../../util/logger.js';
import { Exit, printJson } from '../output.js';

export function registerProfile(program: Command): void {
  program
    .command('profile <userId>')
    .description("print a user's stored profile as JSON, as the API gives it (exit code 3 when the user has none)")
    .option('--namespace <ns>', 'profile namespace (default: the active one)')
    .option('--json', 'print JSON (the only output of this command; accepted like on every command that prints data)')
    .action(async (userId: string, opts: { namespace?: string; json?: boolean }) => {
      const cfg = loadConfig();
      await withParts(cfg, createLogger(cfg.log.level), { redis: { maxRetriesPerRequest: 1 } }, async (parts) => {
        const store = parts.reader(opts.namespace ?? (await parts.namespaces().active()));
        const p = await store.getProfile(userId);
        if (p === null) {
          process.stderr.write(`portrait: no profile for user ${JSON.stringify(userId)} in namespace ${store.namespace}\n`);
          process.exitCode = Exit.NOT_FOUND;
          return;
        }
        printJson(profileView(p));
      });
    });
}
