/**
 * Sentence-aware chunks of a long text, each short enough for the model's window.
 *
 * A text is first cut into sentences: after a run of sentence-ending marks (。 ! ? ; and their
 * full-width forms, the ellipsis …), with any closing quotes or brackets that follow, and at every
 * line break. A full stop "." ends a sentence only when whitespace, the end of the text, or
 * something other than an ASCII letter or digit follows, so "3.14", "v1.2" and "e.g.x" stay whole.
 * Consecutive sentences are then packed, in order, into chunks of at most `maxChars` code units;
 * a sentence longer than that is cut on its own: at the last space in the second half of the
 * window if there is one (a word is not split), else on a grapheme boundary (cutAtGrapheme),
 * never inside a PII placeholder. At most `maxChunks` chunks are made; the rest of the text is
 * not looked at.
 *
 * Why not Intl.Segmenter('sentence')? It is available (Node's full ICU), but the text stage
 * chunks lowercased text, and ICU's rule SB8 does not break after "." when the next word starts in
 * lowercase ("good phone. the battery" is one sentence to it); nor does it break at ";" / "；".
 * The rules here are the few that matter for packing, on any case, in Chinese and English.
 *
 * Pure; lengths are UTF-16 code units (JavaScript's `length`), the unit of `text.maxChars`.
 */
import { PII_PLACEHOLDERS } from './pii.js';
import { cutAtGrapheme } from './truncate.js';

export interface Chunked {
  /** the chunks, in order: trimmed, line breaks as spaces, each 1..maxChars code units */
  chunks: string[];
  /** where the chunked part of the input ends (an offset into it): the rest did not fit in maxChunks */
  end: number;
}

/** Marks that end a sentence wherever they stand (full-width forms included, for text not NFKC'd). */
const TERMINALS = new Set(['。', '!', '?', ';', '！', '？', '；', '…', '｡']);
/** Closing quotes and brackets that belong to the sentence they follow. */
const CLOSERS = new Set(['"', "'", '”', '’', ')', ']', '}', '）', '」', '』', '】', '》', '〉', '〕']);
const LINE_BREAK = '\n';
const ASCII_ALNUM = /[A-Za-z0-9]/;
const SPACE = /\s/;
const PLACEHOLDERS: readonly string[] = Object.values(PII_PLACEHOLDERS);

const isMark = (c: string) => TERMINALS.has(c) || c === '.';

/**
 * The end offsets of the sentences of `text`, in order, the last one `text.length`: sentence i is
 * text.slice(end[i-1] ?? 0, end[i]), its trailing whitespace included. Lazy: a caller that has
 * enough stops the scan.
 */
export function* sentenceEnds(text: string): Generator<number> {
  const n = text.length;
  let i = 0;
  let last = 0;
  while (i < n) {
    const c = text.charAt(i);
    let end = -1;
    if (c === LINE_BREAK) end = i + 1;
    else if (isMark(c)) {
      let j = i + 1;
      let onlyDots = c === '.';
      while (j < n && isMark(text.charAt(j))) {
        if (text.charAt(j) !== '.') onlyDots = false;
        j++;
      }
      while (j < n && CLOSERS.has(text.charAt(j))) j++;
      // a "." inside a number, a version or an abbreviation glued to the next word is no end
      if (!onlyDots || j === n || !ASCII_ALNUM.test(text.charAt(j))) end = j;
      else i = j;
    } else i++;
    if (end >= 0) {
      while (end < n && SPACE.test(text.charAt(end))) end++;
      yield end;
      last = end;
      i = end;
    }
  }
  if (last < n) yield n;
}

/** A chunk's text: line breaks as spaces, trimmed. */
const clean = (s: string) => s.replaceAll(LINE_BREAK, ' ').trim();

/**
 * Where to cut `text` at most `maxChars` code units after `from`: a grapheme boundary, moved back
 * to the last space in the second half of the window if there is one, and back before a PII
 * placeholder the cut would split.
 */
export function hardCut(text: string, from: number, maxChars: number): number {
  let end = from + cutAtGrapheme(text.slice(from, from + maxChars + 2), maxChars).length;
  if (end >= text.length) return text.length;
  const space = text.lastIndexOf(' ', end);
  if (space > from + maxChars / 2) end = space;
  const open = text.lastIndexOf('<', end - 1);
  if (open > from && PLACEHOLDERS.some((p) => open + p.length > end && text.startsWith(p, open))) end = open;
  return end;
}

/**
 * `text` (normalised, single spaces, possibly line breaks) in sentence-packed chunks of at most
 * `maxChars`, at most `maxChunks` of them. A text of at most `maxChars` is one chunk, itself
 * (line breaks as spaces).
 */
export function chunkText(text: string, maxChars: number, maxChunks: number): Chunked {
  if (text.length <= maxChars) {
    const only = clean(text);
    return { chunks: only ? [only] : [], end: text.length };
  }
  const chunks: string[] = [];
  let end = 0;
  const push = (from: number, to: number): boolean => {
    const c = clean(text.slice(from, to));
    if (c.length > 0) {
      chunks.push(c);
      end = to;
    }
    return chunks.length >= maxChunks;
  };
  // the chunk being packed is text[start, stop)
  let start = 0;
  let stop = 0;
  for (const next of sentenceEnds(text)) {
    if (clean(text.slice(start, next)).length <= maxChars) {
      stop = next;
      continue;
    }
    if (stop > start && push(start, stop)) return { chunks, end };
    start = stop;
    // the sentence alone is still too long: cut it until the rest fits
    while (clean(text.slice(start, next)).length > maxChars) {
      let from = start;
      while (from < next && SPACE.test(text.charAt(from))) from++;
      const cut = hardCut(text, from, maxChars);
      // maxChars 1 and a character of two code units: it fits in no chunk, and chunking stops
      if (cut <= from) return { chunks, end };
      if (push(from, cut)) return { chunks, end };
      start = cut;
    }
    stop = next;
  }
  if (stop > start) push(start, stop);
  return { chunks, end };
}
