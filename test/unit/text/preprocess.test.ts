import { describe, it, expect } from 'vitest';
import { preprocess, isRejection, DEFAULT_MAX_CHARS, type Preprocessed } from '../../../src/text/preprocess.js';
import { isPortraitError, reject } from '../../../src/util/errors.js';
import { wellFormed } from './generators.js';

function ok(raw: string, opts?: Parameters<typeof preprocess>[1]): Preprocessed {
  const r = preprocess(raw, opts);
  if (isRejection(r)) throw new Error(`unexpected rejection: ${r.code} ${r.detail}`);
  return r;
}

function rejected(raw: string): void {
  const r = preprocess(raw);
  expect(isRejection(r)).toBe(true);
  expect(r).toMatchObject({ code: 'REJECT_EMPTY_TEXT' });
}

describe('preprocess', () => {
  it('handles mixed Chinese and English', () => {
    const r = ok('我今天买了新的iPhone 15 Pro，拍照效果真的 Amazing！');
    expect(r.text).toBe('我今天买了新的iphone 15 pro,拍照效果真的 amazing!');
    expect(r.lang).toBe('zh');
    expect(r.tokens).toEqual(expect.arrayContaining(['iphone', 'pro', '拍照', '效果', 'amazing']));
    for (const dropped of ['15', '的', '了', '真的', '我']) expect(r.tokens).not.toContain(dropped);
    expect(r.redactions).toEqual({});
    expect(r.truncated).toBe(false);
  });

  it('keeps emoji in the embedded text but not in the terms', () => {
    const r = ok('这家火锅太好吃了😋😋 强烈推荐👍');
    expect(r.text).toContain('😋😋');
    expect(r.tokens).toContain('火锅');
    expect(r.tokens.some((t) => /\p{Extended_Pictographic}/u.test(t))).toBe(false);
  });

  it('normalises full-width characters and catches a full-width phone number', () => {
    const r = ok('ＡＢＣ１２３ 电话：１３８　００１３　８０００');
    expect(r.text).toBe('abc123 电话:<phone>');
    expect(r.redactions).toEqual({ phone: 1 });
    expect(r.tokens).toEqual(['abc123', '电话']);
  });

  it('removes zero-width characters, even inside a phone number', () => {
    const r = ok('手机1\u200B3800\u200D138000 联\uFEFF系我');
    expect(r.text).toBe('手机<phone> 联系我');
  });

  it('removes control characters and collapses whitespace', () => {
    expect(ok('  hello\u0000\u0007 \n\t wonderful\r\n world  ').text).toBe('hello wonderful world');
  });

  it('drops lone surrogates and returns well-formed text', () => {
    const r = ok('ab\uD800cd \uDFFF火锅');
    expect(r.text).toBe('abcd 火锅');
    expect(wellFormed(r.text)).toBe(true);
  });

  it('keeps stopwords in the embedded text but not in the terms', () => {
    const r = ok('This is not a good movie');
    expect(r.text).toBe('this is not a good movie');
    expect(r.tokens).toEqual(['movie']);
  });

  it('redacts every PII kind and keeps it out of the terms', () => {
    const r = ok('Email JOHN.DOE@example.com or call +86 138-0013-8000, see https://shop.example.com/u/123, ' + 'id 11010519491231002X, card 4111 1111 1111 1111, cooking tips');
    expect(r.redactions).toEqual({ email: 1, phone: 1, url: 1, cn_id: 1, card: 1 });
    expect(r.text).toBe('email <email> or call <phone>, see <url>, id <id>, card <card>, cooking tips');
    // "email" and "card" are words the user wrote; the placeholders themselves yield no terms.
    expect(r.tokens).toEqual(['email', 'card', 'cooking', 'tips']);
  });

  it('leaves ordinary numbers alone', () => {
    const r = ok('2024年买的5g手机 399元, version 1.2.3');
    expect(r.text).toBe('2024年买的5g手机 399元, version 1.2.3');
    expect(r.redactions).toEqual({});
  });

  it.each([
    ['empty', ''],
    ['whitespace only', ' \n\t\u3000'],
    ['invisible only', '\u200B\uFEFF\u0000'],
    ['punctuation only', '！！！……???'],
    ['emoji only', '😂😂👍'],
    ['numbers only', '2024 399 3.14'],
    ['PII only', 'john@example.com 13800138000'],
    ['lone surrogates only', '\uDFFF\uD800 \uDC00'],
  ])('rejects %s text as REJECT_EMPTY_TEXT', (_name, raw) => {
    rejected(raw);
  });

  it('accepts text made only of stopwords (there is a sentence to embed, just no terms)', () => {
    const r = ok('and the of');
    expect(r.text).toBe('and the of');
    expect(r.tokens).toEqual([]);
  });

  it('caps the embedded text at maxChars and says so', () => {
    const r = ok('word '.repeat(300), { maxChars: 100 });
    expect(r.text.length).toBeLessThanOrEqual(100);
    expect(r.truncated).toBe(true);
    expect(ok('short text').truncated).toBe(false);
  });

  it('never cuts inside a surrogate pair or an emoji sequence', () => {
    // 👍🏽 is thumbs-up + skin tone: two surrogate pairs, one grapheme, 4 code units.
    const r = ok(`好${'👍🏽'.repeat(100)}`, { maxChars: 30 });
    expect(r.text).toBe(`好${'👍🏽'.repeat(7)}`);
    expect(wellFormed(r.text)).toBe(true);
  });

  it('does not leave half a placeholder at the cut', () => {
    const r = ok(`${'x'.repeat(96)} a@b.com`, { maxChars: 100 });
    expect(r.text).toBe('x'.repeat(96));
  });

  it('keeps a PII fragment cut off by the input window out of the output', () => {
    // Invisible padding shrinks to nothing, so the window's edge lands inside the final text.
    const raw = `${'\u200B'.repeat(3980)}你好 john.doe@example.com`;
    const r = ok(raw, { maxChars: 1000 });
    expect(r.text).toBe('你好');
    expect(r.truncated).toBe(true);
  });

  it('caps text that NFKC expands (one "㍿" becomes "株式会社")', () => {
    const r = ok('㍿'.repeat(5000), { maxChars: 100 });
    expect(r.text).toBe('株式会社'.repeat(25));
    expect(r.truncated).toBe(true);
  });

  it('limits the number of terms to maxTokens', () => {
    const words = Array.from({ length: 100 }, (_, i) => `topic${String.fromCharCode(97 + (i % 26))}${i}`).join(' ');
    expect(ok(words).tokens).toHaveLength(64);
    expect(ok(words, { maxTokens: 5 }).tokens).toHaveLength(5);
  });

  it('stays cheap on a 100k-character input and caps it', () => {
    const raw = '今天天气很好 the weather is nice 13800138000 a@b.com '.repeat(2500).slice(0, 100_000);
    const r = ok(raw);
    expect(r.text.length).toBeLessThanOrEqual(DEFAULT_MAX_CHARS);
    expect(r.truncated).toBe(true);
    expect(r.text).not.toMatch(/\d{11}|@/);
  });

  it('survives inputs built to make regexes backtrack', () => {
    for (const raw of [`${'a'.repeat(50_000)}@`, `${'1 '.repeat(50_000)}x`, `+${'1-'.repeat(50_000)}`, `https://${'a.'.repeat(50_000)}`, `${'a@'.repeat(50_000)}`, `x${'\u0301'.repeat(50_000)}`]) {
      const r = preprocess(raw);
      if (!isRejection(r)) expect(r.text.length).toBeLessThanOrEqual(DEFAULT_MAX_CHARS);
    }
  });

  it('is deterministic', () => {
    const raw = '混合 Mixed 文本 text 13800138000';
    expect(preprocess(raw)).toEqual(preprocess(raw));
  });

  it('rejects invalid options with a CONFIG_INVALID error', () => {
    for (const opts of [{ maxChars: 0 }, { maxChars: 1.5 }, { maxTokens: -1 }, { maxChars: Number.NaN }]) {
      let caught: unknown;
      try {
        preprocess('hello', opts);
      } catch (err) {
        caught = err;
      }
      expect(isPortraitError(caught, 'CONFIG_INVALID')).toBe(true);
    }
  });
});

describe('isRejection', () => {
  it('tells rejections from results and from other values', () => {
    expect(isRejection(reject('REJECT_EMPTY_TEXT', 'x'))).toBe(true);
    expect(isRejection(preprocess('hello world'))).toBe(false);
    for (const v of [null, undefined, 'REJECT_EMPTY_TEXT', 42, {}, { code: 'REJECT_SCHEMA' }, { code: 'USAGE', detail: 'x' }]) {
      expect(isRejection(v)).toBe(false);
    }
  });
});
