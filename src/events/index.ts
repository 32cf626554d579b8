export {
  SCHEMA_VERSION,
  LIMITS,
  INPUT_EVENT_TYPES,
  EventId,
  UserId,
  CommentId,
  Timestamp,
  Metadata,
  CommentEvent,
  ForgetEvent,
  InputEvent,
  Interest,
  Centroid,
  Int8Centroid,
  BASE64,
  base64Bytes,
  ProfileEvent,
  ProfileEventV1,
  ProfileEventV2,
  PROFILE_SCHEMA_VERSION,
  PROFILE_SCHEMA_VERSIONS,
  type CommentEventInput,
  type ForgetEventInput,
  type ProfileInterest,
} from './schema.js';
export {
  decodeRecord,
  formatIssues,
  clip,
  DEFAULT_DECODE_LIMITS,
  MAX_DETAIL_CHARS,
  type DecodeOptions,
  type DecodeResult,
  type RawRecord,
} from './decode.js';
export { deadLetter, DLQ_HEADERS, DLQ_MAX_HEADER_BYTES, DLQ_MAX_KEY_BYTES, DLQ_MAX_VALUE_BYTES, type DeadLetterInput, type DeadLetterRecord, type RecordSource } from './dlq.js';
export { roundCentroid, int8Centroid, readCentroid, centroidOf, encodeProfileEvent, decodeProfileEvent, CENTROID_DECIMALS, type EncodeProfileResult } from './profile-event.js';
export { renderSchemas, writeSchemas, SCHEMA_FILES, type SchemaFileName } from './json-schema.js';
