/**
 * User ids in URLs: the same rules as the event contract (docs/events.md): 1-256 UTF-16 code units,
 * no control characters, no unpaired surrogates, not "." or ".."; anything else goes, including { } : * % / and
 * spaces, percent-encoded in the path. The router has already decoded the segment; this only checks.
 */
import { DOT_SEGMENT_ERROR, DOT_SEGMENT_IDS, LIMITS } from '../events/schema.js';
import { ApiError } from './errors.js';

const PRINTABLE = /^[^\p{Cc}\p{Cs}]*$/u;

export function checkUserId(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0) throw new ApiError('BAD_REQUEST', 'userId must not be empty');
  if (raw.length > LIMITS.userId) throw new ApiError('BAD_REQUEST', `userId must be at most ${LIMITS.userId} characters`);
  if (!PRINTABLE.test(raw)) throw new ApiError('BAD_REQUEST', 'userId must not contain control characters or unpaired surrogates');
  if (DOT_SEGMENT_IDS.includes(raw)) throw new ApiError('BAD_REQUEST', `userId ${DOT_SEGMENT_ERROR}`);
  return raw;
}
