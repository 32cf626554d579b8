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

/** One clear line on stderr and the right exit code; a stack trace only for unexpected errors. */
export function failAndExit(err: unknown): never {
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
