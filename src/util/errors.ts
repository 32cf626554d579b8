/**
 * One catalogue of error codes for the whole of Portrait.
 *
 * Every error Portrait raises on purpose is a PortraitError: it names a code from this catalogue,
 * keeps the underlying `cause`, and says whether retrying the same operation can help. The
 * consumer runner uses `retriable` to choose between retrying a batch and stopping; rejection
 * codes (REJECT_*) are the reason codes written to the dead-letter topic.
 */
export const ErrorCodes = {
  // configuration and start-up
  CONFIG_INVALID: { retriable: false, message: 'invalid configuration' },
  CONFIG_UNREADABLE: { retriable: false, message: 'configuration file cannot be read or parsed' },
  MODEL_MISSING: { retriable: false, message: 'embedding model files are missing' },
  MODEL_FETCH_FAILED: { retriable: true, message: 'embedding model could not be fetched' },
  MODEL_CHECKSUM: { retriable: false, message: 'embedding model checksum mismatch' },
  CLASSIFIER_INVALID: { retriable: false, message: 'classifier artifact is invalid' },
  CLASSIFIER_MISMATCH: { retriable: false, message: 'classifier artifact does not match the embedder' },
  // local stack
  STACK_START_FAILED: { retriable: false, message: 'local stack failed to start' },
  STACK_DEPENDENCY: { retriable: false, message: 'a tool the local stack needs is missing' },
  // services at run time
  KAFKA_UNAVAILABLE: { retriable: true, message: 'Kafka is unavailable' },
  REDIS_UNAVAILABLE: { retriable: true, message: 'Redis is unavailable' },
  PROFILE_INVALID: { retriable: false, message: 'built an invalid profile event (a bug)' },
  STATE_CORRUPT: { retriable: false, message: 'stored profile state cannot be decoded' },
  STORE_CONFLICT: { retriable: true, message: 'concurrent profile update detected' },
  EMBED_FAILED: { retriable: true, message: 'embedding failed' },
  // record rejections: these go to the dead-letter topic and the stream moves on
  REJECT_INVALID_UTF8: { retriable: false, message: 'record value is not valid UTF-8' },
  REJECT_INVALID_JSON: { retriable: false, message: 'record value is not valid JSON' },
  REJECT_SCHEMA: { retriable: false, message: 'record does not match the event schema' },
  REJECT_KEY_MISMATCH: { retriable: false, message: 'record key does not match the event userId' },
  REJECT_TOO_LARGE: { retriable: false, message: 'record is larger than allowed' },
  REJECT_EMPTY_TEXT: { retriable: false, message: 'text is empty after preprocessing' },
  REJECT_BAD_TIMESTAMP: { retriable: false, message: 'event timestamp is invalid or out of range' },
  REJECT_UNSUPPORTED_TYPE: { retriable: false, message: 'event type is not supported' },
  // CLI / API
  USAGE: { retriable: false, message: 'invalid command usage' },
  NOT_FOUND: { retriable: false, message: 'not found' },
} as const satisfies Record<string, { retriable: boolean; message: string }>;

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
}

export function isPortraitError(err: unknown, code?: ErrorCode): err is PortraitError {
  return err instanceof PortraitError && (code === undefined || err.code === code);
}

/** A typed rejection of one record: the reason code and a readable detail, never an exception. */
export interface Rejection {
  readonly code: RejectCode;
  readonly detail: string;
}

export function reject(code: RejectCode, detail: string): Rejection {
  return { code, detail };
}
