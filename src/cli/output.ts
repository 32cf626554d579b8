import { classifyError, Exit, PortraitError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';

/** Exit codes shared by every command (the catalogue's: src/util/errors.ts). */
export { Exit };

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * One clear line on stderr and the exit code the catalogue gives the error's code; a stack trace
 * only for unexpected errors. The Kafka or Redis client's own errors (a broker or server
 * unreachable, authentication refused) are not bugs: classifyError names the service, and their
 * messages never hold a password (kafkajs: "SASL PLAIN authentication failed: …"; ioredis: "WRONGPASS …").
 */
export function failAndExit(err: unknown): never {
  const e = classifyError(err);
  if (e.code === 'INTERNAL' && e !== err) {
    process.stderr.write(`portrait: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(Exit.FAILURE);
  }
  process.stderr.write(`portrait: ${e.message} [${e.code}]\n`);
  process.exit(e.exitCode);
}

/**
 * On SIGTERM or SIGINT, once: log `stopping`, run `stop`, then exit 0 (`stopped` logged) or 1 if
 * stopping failed. Returns whether a stop has begun (a long-running command checks it before
 * treating its own end as a failure).
 */
export function exitOnSignal(log: Logger, what: { stopping: string; stopped: string; failed: string }, stop: () => Promise<void>): () => boolean {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, what.stopping);
    stop().then(
      () => {
        log.info(what.stopped);
        log.flush();
        process.exit(Exit.OK);
      },
      (err: unknown) => {
        log.error({ err }, what.failed);
        process.exit(Exit.FAILURE);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  return () => stopping;
}

export function usage(message: string): PortraitError {
  return new PortraitError('USAGE', message);
}
