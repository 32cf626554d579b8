import { describe, it, expect } from 'vitest';
import { STOPWORDS, filterTokens, isContentToken, isStopword, MAX_TOKEN_LENGTH } from '../../../src/text/stopwords.js';

describe('STOPWORDS', () => {
  it.each(['的', '了', '我们', 'the', 'and', "don't", '哈哈', '啊', 'lol', 'ok'])('holds %j', (w) => {
    expect(STOPWORDS.has(w)).toBe(true);
  });

  it.each(['ai', 'web', 'computer', '火锅', '手机', 'iphone', 'camera'])('does not hold the topic word %j', (w) => {
    expect(STOPWORDS.has(w)).toBe(false);
  });

  it('matches case-insensitively and with typographic apostrophes', () => {
    expect(isStopword('The')).toBe(true);
    expect(isStopword('Don’t')).toBe(true);
    expect(isStopword('Camera')).toBe(false);
  });
});

describe('isContentToken', () => {
  it.each([
    ['，', 'punctuation'],
    ['...', 'punctuation'],
    ['2024', 'digits'],
    ['3.14', 'decimal number'],
    ['x', 'single Latin letter'],
    ['<phone>', 'placeholder'],
    ['哈哈哈哈', 'laughter'],
    ['hahaha', 'laughter'],
    ['hhhh', 'laughter'],
    ['lolol', 'laughter'],
    ['emmm', 'hesitation'],
    ['the', 'stopword'],
    ['a'.repeat(MAX_TOKEN_LENGTH + 1), 'too long'],
    ['', 'empty'],
  ])('drops %j (%s)', (token) => {
    expect(isContentToken(token)).toBe(false);
  });

  it('drops a lone Han character, a segmentation fragment rather than a topic word', () => {
    expect(isContentToken('员')).toBe(false);
    expect(isContentToken('性')).toBe(false);
  });

  it.each(['5g', 'iphone', '火锅', '猫咪', 'ai', 'c++', 'привет', 'phone', 'email'])('keeps %j', (token) => {
    expect(isContentToken(token)).toBe(true);
  });
});

describe('filterTokens', () => {
  it('drops possessive pronouns and time words in both languages: top terms say what a user writes about', () => {
    expect(filterTokens(['我的', '电话', '欢迎', '足球', '今天', '天气', '最近', '比赛', '大家的'])).toEqual(['电话', '欢迎', '足球', '天气', '比赛']);
    expect(filterTokens(['my', 'match', 'yesterday', 'tonight', 'goal', 'today', 'we', 'our'])).toEqual(['match', 'goal']);
  });

  it('lowercases, drops non-content words and keeps each term once in first-seen order', () => {
    expect(filterTokens(['I', 'love', 'Hot', 'pot', 'hot', 'POT', '2024', '的', '火锅', 'lol', '火锅'])).toEqual(['love', 'hot', 'pot', '火锅']);
  });

  it('drops an English possessive and normalises apostrophes', () => {
    expect(filterTokens(['Restaurant’s', 'restaurant', "it's"])).toEqual(['restaurant']);
  });

  it('stops at max terms', () => {
    expect(filterTokens(['alpha', 'beta', 'gamma', 'delta'], 2)).toEqual(['alpha', 'beta']);
    expect(filterTokens(['alpha'], 0)).toEqual([]);
  });
});
