/**
 * Language guess and word segmentation.
 *
 * Chinese has no spaces between words, so words come from ICU's dictionary-based word breaker
 * through `Intl.Segmenter` (granularity 'word'); it also splits the Latin parts of mixed text on
 * spaces and punctuation, so one segmenter serves zh, en and mixed comments.
 */

export type Lang = 'zh' | 'en' | 'mixed' | 'other';

const HAN = /\p{Script=Han}/gu;
const LATIN_WORD = /\p{Script=Latin}+/gu;
const LETTER = /\p{L}/gu;

/** Share of Chinese at or above which a text is 'zh'; at or below 1 - this, 'en'. */
const DOMINANT_SHARE = 0.7;

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
  const han = countMatches(text, HAN);
  const latinLetters = countMatches(text, /\p{Script=Latin}/gu);
  const letters = countMatches(text, LETTER);
  if (han + latinLetters === 0 || han + latinLetters < letters / 2) return 'other';
  const latinWords = countMatches(text, LATIN_WORD);
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
