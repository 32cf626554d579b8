import { describe, it, expect } from 'vitest';
import { detectLang, segment } from '../../../src/text/segment.js';

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
