import type { Command } from 'commander';
import { startProcessor } from '../../../consumers/comments.js';
import { loadConfig, type Config } from '../../config/index.js';
import type { RunnerHooks } from '../../kafka/types.js';
import { createTelemetry, processorTarget } from '../../app/telemetry.js';
import { createLogger } from '../../util/logger.js';
import { exitOnSignal } from '../output.js';

/**
 * What `portrait run` does: start the processor with its telemetry, stop cleanly on SIGTERM/SIGINT
 * (finish the batch in flight, commit, exit 0), exit 1 on an error retrying cannot fix.
 * `fault` is for tests only (test/helpers/fault-run.ts); production never passes one.
 */
export async function runProcessor(cfg: Readonly<Config>, opts: { fault?: RunnerHooks['fault'] } = {}): Promise<void> {
  const log = createLogger(cfg.log.level);
  const telemetry = createTelemetry(cfg, log, { groupId: cfg.kafka.groupId });
  const p = await startProcessor(cfg, log, {
    hooks: {
      onBatch: (out, info) => {
        telemetry.hooks.onBatch(out, info);
        log.debug({ partition: info.partition, offset: info.lastOffset, ms: Math.round(info.ms), ...out.stats }, 'batch done');
      },
      onRetry: telemetry.hooks.onRetry,
      ...(opts.fault ? { fault: opts.fault } : {}),
    },
    continuity: telemetry.metrics.continuity,
  });
  await telemetry.attach(processorTarget(p));
  const stopping = exitOnSignal(log, { stopping: 'stopping: finishing the batch in flight', stopped: 'stopped cleanly', failed: 'error while stopping' }, async () => {
    await telemetry.stop();
    await p.stop();
  });
  const err = await p.runner.done;
  if (err && !stopping()) {
    log.fatal({ err }, 'processor stopped on an error that retrying cannot fix');
    await telemetry.stop().catch(() => {});
    await p.stop().catch(() => {});
    process.exit(1);
  }
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('start the comment processor: consume comments, update profiles in Redis, publish profile events')
    .option('--group <id>', 'consumer group id (default: kafka.groupId)')
    .action(async (opts: { group?: string }) => {
      await runProcessor(loadConfig(opts.group ? { overrides: { kafka: { groupId: opts.group } } } : {}));
    });
}
