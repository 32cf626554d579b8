/**
 * Length caps that never cut a character in half.
 *
 * Lengths are in UTF-16 code units (JavaScript's `length`), the unit the caps are configured in.
 */

const graphemes = new Intl.Segmenter('und', { granularity: 'grapheme' });

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** At most `max` code units of `text`, never ending between the two halves of a surrogate pair. */
export function cutAtCodePoint(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  if (end > 0 && isHighSurrogate(text.charCodeAt(end - 1))) end--;
  return text.slice(0, end);
}

/**
 * At most `max` code units of `text`, cut on a grapheme-cluster boundary (an emoji sequence or a
 * letter with its accents stays whole). When even the first cluster is longer than `max` (e.g. one
 * letter under thousands of combining marks), it falls back to a code-point boundary.
 */
export function cutAtGrapheme(text: string, max: number): string {
  if (text.length <= max) return text;
  // Clusters ending at or before `max` are fully decided by the first max + 1 code units.
  const head = cutAtCodePoint(text, max + 2);
  let end = 0;
  for (const { index, segment } of graphemes.segment(head)) {
    const next = index + segment.length;
    if (next > max) break;
    end = next;
  }
  return end > 0 ? text.slice(0, end) : cutAtCodePoint(text, max);
}
