import { PortraitError, isPortraitError } from '../util/errors.js';

/** Exit codes shared by every command. */
export const Exit = {
  OK: 0,
  FAILURE: 1, // the work failed (a service down, a test of the data failed)
  USAGE: 2, // the command line or configuration is wrong
  NOT_FOUND: 3,
} as const;

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** An error's message followed by its causes' ("a: b: c"), without repeats, on one line. */
function messageChain(err: Error): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause ?? (e as { originalError?: unknown }).originalError, depth++) {
    const m = e.message.replace(/\s+/g, ' ').trim();
    if (m !== '' && !parts.some((p) => p.includes(m))) parts.push(m);
  }
  return parts.join(': ') || err.name;
}

/**
 * The Kafka or Redis client's own errors (a broker or server unreachable, authentication refused)
 * are not bugs: a clear line naming the service, not a stack trace. Their messages never hold a
 * password (kafkajs: "SASL PLAIN authentication failed: …"; ioredis: "WRONGPASS …").
 */
function serviceError(err: unknown): PortraitError | undefined {
  if (!(err instanceof Error)) return undefined;
  if (err.name.startsWith('KafkaJS')) return new PortraitError('KAFKA_UNAVAILABLE', `Kafka: ${messageChain(err)}`);
  if (['ReplyError', 'MaxRetriesPerRequestError', 'ClusterAllFailedError'].includes(err.name) || /^(WRONGPASS|NOAUTH)/.test(err.message)) {
    return new PortraitError('REDIS_UNAVAILABLE', `Redis: ${messageChain(err)}`);
  }
  return undefined;
}

/** One clear line on stderr and the right exit code; a stack trace only for unexpected errors. */
export function failAndExit(err: unknown): never {
  err = serviceError(err) ?? err;
  if (isPortraitError(err)) {
    process.stderr.write(`portrait: ${err.message} [${err.code}]\n`);
    const code = err.code === 'CONFIG_INVALID' || err.code === 'CONFIG_UNREADABLE' || err.code === 'USAGE' ? Exit.USAGE : err.code === 'NOT_FOUND' ? Exit.NOT_FOUND : Exit.FAILURE;
    process.exit(code);
  }
  process.stderr.write(`portrait: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(Exit.FAILURE);
}

export function usage(message: string): PortraitError {
  return new PortraitError('USAGE', message);
}
