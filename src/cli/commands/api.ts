import type { Command } from 'commander';
import { startApi } from '../../api/server.js';
import { loadConfig } from '../../config/index.js';
import { createLogger } from '../../util/logger.js';
import { intOption } from '../options.js';
import { exitOnSignal } from '../output.js';

export function registerApi(program: Command): void {
  program
    .command('api')
    .description('serve the HTTP API and the dashboard: profiles, similar users, history, live stats, /metrics, /healthz, /readyz, /openapi.json')
    .option('--port <n>', 'port to listen on (default: api.port; 0 = any free port)', intOption('--port', 0, 65535))
    .option('--host <host>', 'address to bind (default: api.host)')
    .option('--no-similar', 'do not build the similar-users index (no Kafka consumer; /similar is not served)')
    .action(async (opts: { port?: number; host?: string; similar: boolean }) => {
      const cfg = loadConfig(opts.similar ? {} : { overrides: { api: { similarIndex: false } } });
      const log = createLogger(cfg.log.level);
      const server = await startApi(cfg, log, { ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.host ? { host: opts.host } : {}) });
      // one line on stdout for scripts and tests: where to reach the API
      process.stdout.write(`${JSON.stringify({ listening: server.url })}\n`);
      exitOnSignal(log, { stopping: 'stopping the API', stopped: 'API stopped cleanly', failed: 'error while stopping the API' }, () => server.close());
    });
}
