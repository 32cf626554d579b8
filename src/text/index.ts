/** The text stage: normalise, redact PII, lowercase, cap and chunk, segment, filter. See docs/text.md. */
export {
  preprocess,
  isRejection,
  DEFAULT_MAX_CHARS,
  DEFAULT_MAX_TOKENS,
  DEFAULT_MAX_CHUNKS,
  WINDOW_FACTOR,
  type Preprocessed,
  type PreprocessOptions,
} from './preprocess.js';
export { normalizeText, removeLoneSurrogates, hasLineBreak } from './normalize.js';
export { chunkText, sentenceEnds, hardCut, type Chunked } from './chunk.js';
export {
  redactPii,
  PII_PLACEHOLDERS,
  EMAIL_PLACEHOLDER,
  URL_PLACEHOLDER,
  PHONE_PLACEHOLDER,
  ID_PLACEHOLDER,
  CARD_PLACEHOLDER,
  type PiiKind,
  type Redacted,
} from './pii.js';
export { luhnValid, cnId18Valid, cnId15Valid } from './pii-checks.js';
export { segment, detectLang, type Lang } from './segment.js';
export { STOPWORDS, isStopword, isContentToken, filterTokens } from './stopwords.js';
export { cutAtCodePoint, cutAtGrapheme } from './truncate.js';
