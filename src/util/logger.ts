import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Errors are logged with pino's serializer minus what can hold a credential: an ioredis error
 * carries the command that failed with its arguments, and for the connection's HELLO/AUTH those
 * are the user name and password. The command is kept by name only.
 */
export function errSerializer(e: unknown): unknown {
  const out = pino.stdSerializers.err(e as Error) as unknown;
  if (typeof out !== 'object' || out === null) return out;
  const o = out as Record<string, unknown>;
  const cmd = o.command as { name?: unknown } | undefined;
  if (cmd !== undefined) o.command = typeof cmd === 'object' && cmd !== null ? { name: cmd.name } : '[redacted]';
  return o;
}

/** JSON logs to stderr (stdout stays free for command output such as --json). */
export function createLogger(level: string, name = 'portrait'): Logger {
  return pino({ name, level, base: { pid: process.pid }, serializers: { err: errSerializer, error: errSerializer } }, pino.destination({ dest: 2, sync: false }));
}

/** A logger that drops everything: for tests and quiet commands. */
export const silentLogger: Logger = pino({ level: 'silent' });
