import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { detectLang, segment, type Lang } from '../../../src/text/segment.js';

/** detectLang as first written (one regex match object per character): the faster one must agree. */
function detectLangReference(text: string): Lang {
  const count = (re: RegExp) => [...text.matchAll(re)].length;
  const han = count(/\p{Script=Han}/gu);
  const latinLetters = count(/\p{Script=Latin}/gu);
  const letters = count(/\p{L}/gu);
  if (han + latinLetters === 0 || han + latinLetters < letters / 2) return 'other';
  const share = han / (han + count(/\p{Script=Latin}+/gu));
  if (share >= 0.7) return 'zh';
  if (share <= 0.3) return 'en';
  return 'mixed';
}

describe('detectLang', () => {
  it.each([
    ['我喜欢吃火锅', 'zh'],
    ['我喜欢iPhone', 'zh'],
    ['I love hot pot', 'en'],
    ['This restaurant is great, 火锅 is good', 'en'],
    ['I love 火锅 and 烧烤', 'mixed'],
    ['Python 写代码', 'zh'],
    ['Python 代码', 'mixed'],
    ['Привет, мир', 'other'],
    ['こんにちは、ありがとう', 'other'],
    ['12345 😂!!', 'other'],
    ['', 'other'],
  ] as const)('%j is %s', (text, lang) => {
    expect(detectLang(text)).toBe(lang);
  });

  it('agrees with the reference on any mix of Han, Latin, other scripts, digits, emoji and astral Han', () => {
    const pieces = ['我', '喜欢', '𠮷', 'a', 'iPhone', 'é', ' ', '，', '1', '😂', 'Пр', 'こ', '한', '\u0301', 'ß'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        expect(detectLang(text)).toBe(detectLangReference(text));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('segment', () => {
  it('splits Chinese into dictionary words', () => {
    const words = segment('我喜欢吃火锅', 'zh');
    expect(words).toContain('喜欢');
    expect(words).toContain('火锅');
    expect(words.join('')).toBe('我喜欢吃火锅');
  });

  it('handles mixed Chinese and English', () => {
    const words = segment('新买的iPhone拍照很好看, camera is great', 'mixed');
    expect(words).toEqual(expect.arrayContaining(['iPhone', '拍照', 'camera', 'great']));
  });

  it('returns only word-like segments: no spaces, punctuation or emoji', () => {
    expect(segment('hello, world! 😂 ……', 'en')).toEqual(['hello', 'world']);
  });

  it('keeps case (lowercasing is the caller’s job) and guesses the language when not told', () => {
    expect(segment('Hello 世界')).toEqual(['Hello', '世界']);
  });

  it('returns nothing for empty text', () => {
    expect(segment('', 'other')).toEqual([]);
  });
});
