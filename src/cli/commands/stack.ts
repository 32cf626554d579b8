import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { stackDown, stackUp } from '../../stack/index.js';
import { printJson } from '../output.js';

export function registerStack(program: Command): void {
  const stack = program.command('stack').description('run a local Kafka broker (from Maven jars) and Redis without Docker');
  stack
    .command('up')
    .description('start Kafka on 127.0.0.1 and make sure Redis answers; reuses what already runs')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const cfg = loadConfig();
      const info = await stackUp(cfg, (m) => process.stderr.write(`stack: ${m}\n`));
      if (opts.json) printJson(info);
      else {
        process.stdout.write(`kafka  ${info.kafka.bootstrap}  ${info.kafka.state}${info.kafka.pid ? ` (pid ${info.kafka.pid})` : ''}\n`);
        process.stdout.write(`redis  ${info.redis.url}  ${info.redis.state}${info.redis.pid ? ` (pid ${info.redis.pid})` : ''}\n`);
      }
    });
  stack
    .command('down')
    .description('stop what `stack up` started (SIGTERM, then wait); leaves anything else running')
    .action(async () => {
      for (const line of await stackDown(loadConfig())) process.stdout.write(`${line}\n`);
    });
}
