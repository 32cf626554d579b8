/**
 * Unicode clean-up of one comment, the first step of the text stage. In order:
 *
 * - lone UTF-16 surrogates (invalid text from a broken producer) are removed;
 * - format characters (Unicode category Cf: zero-width space/joiners U+200B-U+200D, word joiner
 *   U+2060, BOM U+FEFF, soft hyphen, bidi controls) are removed: they are invisible and only serve
 *   to split words or hide PII from the redaction patterns;
 * - C0/C1 control characters are removed, except the whitespace ones (tab, line feed, vertical tab,
 *   form feed, carriage return, next line), which count as whitespace;
 * - NFKC: compatibility forms become their plain form (full-width ＡＢＣ１２３ → ABC123,
 *   ideographic space → space, ① → 1, ﬁ → fi), so later steps see one spelling of a character;
 * - every run of whitespace becomes one space, and the ends are trimmed. With `keepLineBreaks`, a
 *   run holding a line break becomes one "\n" instead (the chunker breaks there): the result is
 *   then the plain result with some of its spaces turned into "\n", character for character.
 *
 * The result is always well-formed UTF-16, and normalising it again changes nothing.
 */

// A high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
// No `u` flag on purpose: the pattern works on UTF-16 code units.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const FORMAT_CHARS = /\p{Cf}/gu;
// C0 and C1 controls and DEL, minus \t \n \v \f \r (U+0009-U+000D) and NEL (U+0085).
const CONTROL_CHARS = /[\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F]/g;
// JavaScript's \s already covers the Unicode spaces; NEL (U+0085) is added by hand.
const WHITESPACE_RUN = /[\s\u0085]+/g;
const LINE_BREAK = /[\n\v\f\r\u0085\u2028\u2029]/;

/** Removes unpaired UTF-16 surrogates, leaving valid pairs untouched. */
export function removeLoneSurrogates(text: string): string {
  return text.replace(LONE_SURROGATE, '');
}

/** Whether `text` holds a character that normalizeText({ keepLineBreaks }) would keep as a line break. */
export function hasLineBreak(text: string): boolean {
  return LINE_BREAK.test(text);
}

/** NFKC, no invisible or control characters, single spaces (or line breaks), trimmed. */
export function normalizeText(text: string, opts: { keepLineBreaks?: boolean } = {}): string {
  // Invisible characters go before NFKC: removed after it, they could leave a letter and a
  // combining mark newly adjacent and uncomposed, and normalising twice would change the text.
  const clean = removeLoneSurrogates(text).replace(FORMAT_CHARS, '').replace(CONTROL_CHARS, '').normalize('NFKC');
  const spaced = opts.keepLineBreaks ? clean.replace(WHITESPACE_RUN, (run) => (LINE_BREAK.test(run) ? '\n' : ' ')) : clean.replace(WHITESPACE_RUN, ' ');
  return spaced.trim();
}
