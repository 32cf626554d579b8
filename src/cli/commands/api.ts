import type { Command } from 'commander';
import { startApi } from '../../api/server.js';
import { loadConfig } from '../../config/index.js';
import { createLogger } from '../../util/logger.js';
import { exitOnSignal, usage } from '../output.js';

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw usage(`--port must be an integer 0-65535, got ${JSON.stringify(v)}`);
  return n;
}

export function registerApi(program: Command): void {
  program
    .command('api')
    .description('serve the HTTP API and the dashboard: profiles, similar users, history, live stats, /metrics, /healthz, /readyz, /openapi.json')
    .option('--port <n>', 'port to listen on (default: api.port; 0 = any free port)', port)
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
