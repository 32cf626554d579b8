/**
 * One catalogue of error codes for the whole of Portrait (docs/errors.md lists them all).
 *
 * Every error Portrait raises on purpose is a PortraitError: it names a code from this catalogue,
 * keeps the underlying `cause`, and carries what the catalogue says of the code: whether retrying
 * the same operation can help (the consumer runner retries or stops by it), the HTTP status the API
 * answers with, the exit code of a CLI command that ends on it, and the dependency it concerns (for
 * the error metrics). Rejection codes (REJECT_*) are the reason codes written to the dead-letter
 * topic. `classifyError` turns anything thrown, library errors included, into a PortraitError.
 */

/** Exit codes of every command: 0 success, 1 the work failed, 2 usage or configuration, 3 not found. */
export const Exit = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  NOT_FOUND: 3,
} as const;
export type ExitCode = (typeof Exit)[keyof typeof Exit];

export type Component = 'kafka' | 'redis' | 'embed' | 'store';

interface Entry {
  retriable: boolean;
  message: string;
  /** the API's status for it */
  http: number;
  /** a CLI command's exit code when it ends on it */
  exit: ExitCode;
  /** the dependency it concerns (portrait_errors_total{component}) */
  component?: Component;
}

const e = (retriable: boolean, message: string, http: number, exit: ExitCode, component?: Component): Entry => ({ retriable, message, http, exit, ...(component ? { component } : {}) });

export const ErrorCodes = {
  // configuration and start-up
  CONFIG_INVALID: e(false, 'invalid configuration', 500, Exit.USAGE),
  CONFIG_UNREADABLE: e(false, 'configuration file cannot be read or parsed', 500, Exit.USAGE),
  MODEL_MISSING: e(false, 'embedding model files are missing', 503, Exit.FAILURE, 'embed'),
  MODEL_FETCH_FAILED: e(true, 'embedding model could not be fetched', 503, Exit.FAILURE, 'embed'),
  MODEL_CHECKSUM: e(false, 'embedding model checksum mismatch', 503, Exit.FAILURE, 'embed'),
  CLASSIFIER_INVALID: e(false, 'classifier artifact is invalid', 500, Exit.FAILURE),
  CLASSIFIER_MISMATCH: e(false, 'classifier artifact does not match the embedder', 500, Exit.FAILURE),
  // local stack
  STACK_START_FAILED: e(false, 'local stack failed to start', 500, Exit.FAILURE),
  STACK_DEPENDENCY: e(false, 'a tool the local stack needs is missing', 500, Exit.FAILURE),
  // services at run time
  KAFKA_UNAVAILABLE: e(true, 'Kafka is unavailable', 503, Exit.FAILURE, 'kafka'),
  KAFKA_PRODUCE_INCOMPLETE: e(true, 'a send resolved without every partition acknowledging it', 503, Exit.FAILURE, 'kafka'),
  REDIS_UNAVAILABLE: e(true, 'Redis is unavailable', 503, Exit.FAILURE, 'redis'),
  REDIS_UNREPLICATED: e(true, 'Redis writes did not reach their replicas in time', 503, Exit.FAILURE, 'redis'),
  PROFILE_INVALID: e(false, 'built an invalid profile event (a bug)', 500, Exit.FAILURE),
  STATE_CORRUPT: e(false, 'stored profile state cannot be decoded', 500, Exit.FAILURE, 'store'),
  STORE_CONFLICT: e(true, 'concurrent profile update detected', 503, Exit.FAILURE, 'store'),
  EMBED_FAILED: e(true, 'embedding failed', 503, Exit.FAILURE, 'embed'),
  // record rejections: these go to the dead-letter topic and the stream moves on
  REJECT_INVALID_UTF8: e(false, 'record value is not valid UTF-8', 400, Exit.FAILURE),
  REJECT_INVALID_JSON: e(false, 'record value is not valid JSON', 400, Exit.FAILURE),
  REJECT_SCHEMA: e(false, 'record does not match the event schema', 400, Exit.FAILURE),
  REJECT_KEY_MISMATCH: e(false, 'record key does not match the event userId', 400, Exit.FAILURE),
  REJECT_TOO_LARGE: e(false, 'record is larger than allowed', 400, Exit.FAILURE),
  REJECT_EMPTY_TEXT: e(false, 'text is empty after preprocessing', 400, Exit.FAILURE),
  REJECT_BAD_TIMESTAMP: e(false, 'event timestamp is invalid or out of range', 400, Exit.FAILURE),
  REJECT_UNSUPPORTED_TYPE: e(false, 'event type is not supported', 400, Exit.FAILURE),
  // CLI
  USAGE: e(false, 'invalid command usage', 400, Exit.USAGE),
  NOT_FOUND: e(false, 'not found', 404, Exit.NOT_FOUND),
  // HTTP API (the `error.code` of a response body)
  BAD_REQUEST: e(false, 'bad request', 400, Exit.USAGE),
  UNAUTHORIZED: e(false, 'unauthorized', 401, Exit.USAGE),
  METHOD_NOT_ALLOWED: e(false, 'method not allowed', 405, Exit.USAGE),
  PAYLOAD_TOO_LARGE: e(false, 'payload too large', 413, Exit.USAGE),
  UNSUPPORTED_MEDIA_TYPE: e(false, 'unsupported media type', 415, Exit.USAGE),
  UNAVAILABLE: e(true, 'a dependency is unavailable', 503, Exit.FAILURE),
  INTERNAL: e(false, 'internal error', 500, Exit.FAILURE),
} as const satisfies Record<string, Entry>;

export type ErrorCode = keyof typeof ErrorCodes;
export type RejectCode = Extract<ErrorCode, `REJECT_${string}`>;

export class PortraitError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown; details?: Record<string, unknown>; retriable?: boolean }) {
    super(message ?? ErrorCodes[code].message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PortraitError';
    this.code = code;
    this.retriable = options?.retriable ?? ErrorCodes[code].retriable;
    this.details = options?.details;
  }

  /** The API's status for this error. */
  get httpStatus(): number {
    return ErrorCodes[this.code].http;
  }

  /** A CLI command's exit code when it ends on this error. */
  get exitCode(): ExitCode {
    return ErrorCodes[this.code].exit;
  }

  /** The dependency it concerns, if any. */
  get component(): Component | undefined {
    const entry: Entry = ErrorCodes[this.code];
    return entry.component;
  }
}

export function isPortraitError(err: unknown, code?: ErrorCode): err is PortraitError {
  return err instanceof PortraitError && (code === undefined || err.code === code);
}

/** An error's message followed by its causes' ("a: b: c"), without repeats, on one line. */
export function messageChain(err: unknown): string {
  const parts: string[] = [];
  for (let x: unknown = err, depth = 0; x instanceof Error && depth < 5; x = (x as { cause?: unknown }).cause ?? (x as { originalError?: unknown }).originalError, depth++) {
    const m = x.message.replace(/\s+/g, ' ').trim();
    if (m !== '' && !parts.some((p) => p.includes(m))) parts.push(m);
  }
  return parts.join(': ') || (err instanceof Error ? err.name : String(err));
}

/** Network failures of a socket (Node's system error codes): the other side may come back. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** ioredis's error classes that mean the connection is failing, not the command. */
const REDIS_CONNECTION_ERRORS = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError', 'AbortError']);
/** ioredis rejects commands on a closed connection with a plain Error of this message. */
const REDIS_CLOSED = 'Connection is closed.';
/** ... and a command without a reply within redis.commandTimeoutMs with this one (its `commandTimeout`). */
const REDIS_TIMED_OUT = 'Command timed out';

/**
 * Any thrown value as a PortraitError of the catalogue, decided by what the value is (its class
 * name, its `retriable` flag, its system error code), never by parsing its message:
 * - a PortraitError stays as it is;
 * - kafkajs errors (`KafkaJS*`) are KAFKA_UNAVAILABLE, retriable as kafkajs says (an authentication
 *   failure or an authorisation error is not);
 * - ioredis's connection errors (and a command timed out) are REDIS_UNAVAILABLE, retriable; a server's reply error (WRONGPASS,
 *   NOAUTH, a script error) is REDIS_UNAVAILABLE too, not retriable (retrying the same command
 *   gets the same answer; the store wraps what it sends, so its own failures are retried);
 * - a socket's system error is UNAVAILABLE (retriable);
 * - anything else is INTERNAL (not retriable): a bug, or a case to add here.
 * The original is kept as the `cause`.
 */
export function classifyError(err: unknown): PortraitError {
  if (err instanceof PortraitError) return err;
  const name = err instanceof Error ? err.name : '';
  const message = messageChain(err);
  if (name.startsWith('KafkaJS')) {
    const retriable = (err as { retriable?: unknown }).retriable !== false;
    return new PortraitError('KAFKA_UNAVAILABLE', `Kafka: ${message}`, { cause: err, retriable });
  }
  if (REDIS_CONNECTION_ERRORS.has(name) || (err instanceof Error && (err.message === REDIS_CLOSED || err.message === REDIS_TIMED_OUT))) return new PortraitError('REDIS_UNAVAILABLE', `Redis: ${message}`, { cause: err });
  if (name === 'ReplyError') return new PortraitError('REDIS_UNAVAILABLE', `Redis: ${message}`, { cause: err, retriable: false });
  const sys = (err as { code?: unknown })?.code;
  if (typeof sys === 'string' && NETWORK_CODES.has(sys)) return new PortraitError('UNAVAILABLE', message, { cause: err });
  return new PortraitError('INTERNAL', message, { cause: err });
}

/** A typed rejection of one record: the reason code and a readable detail, never an exception. */
export interface Rejection {
  readonly code: RejectCode;
  readonly detail: string;
}

export function reject(code: RejectCode, detail: string): Rejection {
  return { code, detail };
}
