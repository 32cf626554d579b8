import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs to stderr (stdout stays free for command output such as --json). */
export function createLogger(level: string, name = 'portrait'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ dest: 2, sync: false }));
}

/** A logger that drops everything: for tests and quiet commands. */
export const silentLogger: Logger = pino({ level: 'silent' });
