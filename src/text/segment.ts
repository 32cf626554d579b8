/**
 * Language guess and word segmentation.
 *
 * Chinese has no spaces between words, so words come from ICU's dictionary-based word breaker
 * through `Intl.Segmenter` (granularity 'word'); it also splits the Latin parts of mixed text on
 * spaces and punctuation, so one segmenter serves zh, en and mixed comments.
 */

export type Lang = 'zh' | 'en' | 'mixed' | 'other';

// What is not of a class, in runs: deleting it leaves only the class's characters, counted in one
// native pass (matchAll built a match object per character: most of detectLang's time).
const NOT_HAN = /[^\p{Script=Han}]+/gu;
const NOT_LATIN = /[^\p{Script=Latin}]+/gu;
const NOT_LETTER = /[^\p{L}]+/gu;
const LATIN_WORD = /\p{Script=Latin}+/gu;

/** Share of Chinese at or above which a text is 'zh'; at or below 1 - this, 'en'. */
const DOMINANT_SHARE = 0.7;

/** Code points in a string (a surrogate pair counts once). */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) n--;
  }
  return n;
}

/** How many characters of `text` are in the class whose complement is `not`. */
function countOf(text: string, not: RegExp): number {
  return codePoints(text.replace(not, ''));
}

function countMatches(text: string, pattern: RegExp): number {
  let n = 0;
  for (const _ of text.matchAll(pattern)) n++;
  return n;
}

/**
 * Guesses the language from Han characters versus Latin letters.
 *
 * A Han character is about a word's worth of meaning, a Latin letter a fifth of one, so the share
 * compares Han characters with Latin *words* (runs of Latin letters): "我喜欢iPhone" is 3 units of
 * Chinese and 1 of English, i.e. 'zh'. At least 70% Chinese → 'zh', at most 30% → 'en', between →
 * 'mixed'. Text with no Han or Latin letters, or whose letters are mostly other scripts (Cyrillic,
 * kana, Hangul, …), is 'other'.
 */
export function detectLang(text: string): Lang {
  const han = countOf(text, NOT_HAN);
  const latinLetters = countOf(text, NOT_LATIN);
  const letters = countOf(text, NOT_LETTER);
  if (han + latinLetters === 0 || han + latinLetters < letters / 2) return 'other';
  // the share needs the number of Latin words only when there is Chinese too
  const latinWords = han > 0 && latinLetters > 0 ? countMatches(text, LATIN_WORD) : latinLetters > 0 ? 1 : 0;
  const share = han / (han + latinWords);
  if (share >= DOMINANT_SHARE) return 'zh';
  if (share <= 1 - DOMINANT_SHARE) return 'en';
  return 'mixed';
}

const segmenters = new Map<string, Intl.Segmenter>();

function segmenterFor(lang: Lang): Intl.Segmenter {
  // ICU picks the dictionary breaker by script, not by locale; 'zh' is given for Chinese anyway.
  const locale = lang === 'en' ? 'en' : 'zh';
  let s = segmenters.get(locale);
  if (s === undefined) {
    s = new Intl.Segmenter(locale, { granularity: 'word' });
    segmenters.set(locale, s);
  }
  return s;
}

/** The word-like segments of `text` (no spaces, punctuation or emoji), in order, case kept. */
export function segment(text: string, lang: Lang = detectLang(text)): string[] {
  const words: string[] = [];
  for (const part of segmenterFor(lang).segment(text)) {
    if (part.isWordLike === true) words.push(part.segment);
  }
  return words;
}
