/**
 * The text stage: one raw comment in, the text to embed (in one or more chunks) and the terms to
 * count out, or a typed rejection when nothing meaningful is left.
 *
 * Steps, in order:
 *   1. window: a huge input is first cut to a prefix of WINDOW_FACTOR × maxChars × maxChunks code
 *      units (and again after NFKC), so a 1 MB comment costs no more than a small one and no
 *      pattern ever scans a long string;
 *   2. normalise (NFKC, no control/zero-width characters, no lone surrogates, single spaces);
 *   3. redact PII (placeholders such as <email>, <phone>) over the whole window;
 *   4. lowercase;
 *   5. cap and chunk: a text of at most maxChars is one chunk, itself (as before chunking existed);
 *      with maxChunks 1, a longer one is cut at maxChars on a grapheme boundary (the same); else
 *      it is cut into sentence-packed chunks of at most maxChars, at most maxChunks of them
 *      (chunk.ts). `text` is all that the chunks cover, `chunks` what the embedder sees;
 *   6. reject when no letter is left outside the placeholders;
 *   7. detect the language, segment into words, drop stopwords/punctuation/numbers/placeholders:
 *      these are `tokens`, the terms that feed a user's top terms, from the whole of `text`.
 *
 * `text` keeps its stopwords on purpose: the transformer was trained on natural sentences and
 * reads meaning from function words ("not good" is not "good"), so removing them would make the
 * embedding worse. Stopword removal only serves `tokens`, where counting "的" or "the" is useless.
 */
import { PortraitError, reject, type Rejection } from '../util/errors.js';
import { chunkText } from './chunk.js';
import { hasLineBreak, normalizeText } from './normalize.js';
import { PII_PLACEHOLDERS, redactPii, type PiiKind } from './pii.js';
import { detectLang, segment, type Lang } from './segment.js';
import { filterTokens } from './stopwords.js';
import { cutAtCodePoint, cutAtGrapheme } from './truncate.js';

export interface PreprocessOptions {
  /** Cap, in UTF-16 code units, on one chunk given to the embedder (one model window). Default 1000. */
  maxChars?: number;
  /**
   * How many chunks of at most maxChars a long text is embedded in (their vectors are pooled,
   * src/embed/pool.ts). Default 1: a text is cut at maxChars, as before chunking existed; the
   * processor's default is text.maxChunks of config/default.yaml.
   */
  maxChunks?: number;
  /** How many distinct terms to keep, in order of first appearance. Default 64. */
  maxTokens?: number;
}

export interface Preprocessed {
  /**
   * Normalised, PII-redacted, lowercased, whitespace-collapsed: all that is embedded (the chunks
   * and the spaces between them; at most maxChars with one chunk). The terms come from it.
   */
  text: string;
  /**
   * What the embedder sees, in order: `[text]` when the text fits in one chunk, else
   * sentence-packed pieces of `text` of at most maxChars each. Never empty.
   */
  chunks: string[];
  /** Distinct segmented words, lowercased, without punctuation, stopwords, numbers or placeholders. */
  tokens: string[];
  lang: Lang;
  redactions: Partial<Record<PiiKind, number>>;
  /** Whether any of the input was cut off (by the window, by maxChars or by maxChunks). */
  truncated: boolean;
}

export const DEFAULT_MAX_CHARS = 1000;
export const DEFAULT_MAX_TOKENS = 64;
export const DEFAULT_MAX_CHUNKS = 1;
/** The raw input is windowed to this many times maxChars × maxChunks before any pattern runs. */
export const WINDOW_FACTOR = 4;

const PLACEHOLDER_LIST: readonly string[] = Object.values(PII_PLACEHOLDERS);
const PLACEHOLDER_RE = new RegExp(PLACEHOLDER_LIST.join('|'), 'g');
const LETTER = /\p{L}/u;
// Characters that can make up (part of) an e-mail, URL or phone number; see dropPartialTail.
const PII_TAIL_CHARS = /[\x21-\x7e]/;
const PHONE_TAIL_CHARS = /[\d\s()+\-.]/;

/** Type guard telling a rejection apart from a successful result. */
export function isRejection(x: unknown): x is Rejection {
  if (typeof x !== 'object' || x === null) return false;
  const { code, detail } = x as { code?: unknown; detail?: unknown };
  return typeof code === 'string' && code.startsWith('REJECT_') && typeof detail === 'string';
}

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new PortraitError('CONFIG_INVALID', `preprocess: ${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/**
 * When the window cut the input, the last characters may be the start of an e-mail address, URL
 * or phone number that the patterns can no longer recognise ("john.doe@exam"). Dropping the
 * trailing run of ASCII symbols/letters/digits, then of phone characters, keeps such a fragment
 * out of the output. Loops, not regexes, so the cost stays linear.
 */
function dropPartialTail(text: string): string {
  let end = text.length;
  while (end > 0 && PII_TAIL_CHARS.test(text.charAt(end - 1))) end--;
  while (end > 0 && PHONE_TAIL_CHARS.test(text.charAt(end - 1))) end--;
  return text.slice(0, end);
}

/** Drops a placeholder cut in half by the length cap ("… <ema"). */
function dropPartialPlaceholder(text: string): string {
  const open = text.lastIndexOf('<');
  if (open < 0 || text.length - open >= 8) return text;
  const rest = text.slice(open);
  const partial = !rest.includes('>') && PLACEHOLDER_LIST.some((p) => p.startsWith(rest));
  return partial ? text.slice(0, open) : text;
}

/** A window cut inside the input: at most `size` code units, no partial PII at the end. */
function fitWindow(normalized: string, size: number): string {
  return dropPartialTail(cutAtCodePoint(normalized, size)).trimEnd();
}

/**
 * `lowered` with its line breaks back (as "\n"), for the chunker to break at; else `lowered`.
 * Redaction and the window run on the single-space text, which is what gets embedded; the
 * line-break copy goes through the same steps and is used only when it comes out as that same text
 * with some spaces turned into "\n" (a PII match across a line break would differ: then the chunks
 * break at sentence ends only). So chunks never hold anything redaction did not see.
 */
function withLineBreaks(windowed: string, windowCut: boolean, windowSize: number, lowered: string): string {
  if (!hasLineBreak(windowed)) return lowered;
  let lines = normalizeText(windowed, { keepLineBreaks: true });
  if (windowCut) lines = fitWindow(lines, windowSize);
  lines = redactPii(lines).text.toLowerCase();
  return lines.length === lowered.length && lines.replaceAll('\n', ' ') === lowered ? lines : lowered;
}

export function preprocess(raw: string, opts: PreprocessOptions = {}): Preprocessed | Rejection {
  const maxChars = checkCount('maxChars', opts.maxChars ?? DEFAULT_MAX_CHARS, 1);
  const maxTokens = checkCount('maxTokens', opts.maxTokens ?? DEFAULT_MAX_TOKENS, 0);
  const maxChunks = checkCount('maxChunks', opts.maxChunks ?? DEFAULT_MAX_CHUNKS, 1);

  // The window applies to the raw input, and again after NFKC, which can expand a character
  // up to 18-fold ("ﷺ"), so the patterns never see more than `windowSize` code units. It covers
  // every chunk: redaction runs over all that can be embedded.
  const windowSize = WINDOW_FACTOR * maxChars * maxChunks;
  const windowed = cutAtCodePoint(raw, windowSize);
  let normalized = normalizeText(windowed);
  const windowCut = windowed.length < raw.length || normalized.length > windowSize;
  if (windowCut) normalized = fitWindow(normalized, windowSize);
  if (normalized.length === 0) return reject('REJECT_EMPTY_TEXT', 'text is empty after normalisation');

  const { text: redacted, counts } = redactPii(normalized);
  const lowered = redacted.toLowerCase();
  let text: string;
  let chunks: string[];
  if (lowered.length <= maxChars || maxChunks === 1) {
    // one chunk: exactly the text embedded before chunking existed, so its vector is too
    const capped = cutAtGrapheme(lowered, maxChars);
    text = capped.length < lowered.length ? dropPartialPlaceholder(capped).trimEnd() : capped;
    chunks = [text];
  } else {
    const chunked = chunkText(withLineBreaks(windowed, windowCut, windowSize, lowered), maxChars, maxChunks);
    text = lowered.slice(0, chunked.end).trimEnd();
    chunks = chunked.chunks;
  }

  // Content = the embedded text without placeholders: they are not words the user wrote.
  const content = text.replace(PLACEHOLDER_RE, ' ');
  if (!LETTER.test(content)) {
    return reject('REJECT_EMPTY_TEXT', 'no letters left after normalisation and PII redaction');
  }

  const lang = detectLang(content);
  const tokens = filterTokens(segment(content, lang), maxTokens);
  return { text, chunks, tokens, lang, redactions: counts, truncated: windowCut || text.length < lowered.length };
}
