import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { cutAtCodePoint, cutAtGrapheme } from '../../../src/text/truncate.js';
import { wellFormed } from './generators.js';

describe('cutAtCodePoint', () => {
  it('never ends between the halves of a surrogate pair', () => {
    expect(cutAtCodePoint('a😀b', 2)).toBe('a');
    expect(cutAtCodePoint('a😀b', 3)).toBe('a😀');
  });

  it('returns short text unchanged', () => {
    expect(cutAtCodePoint('abc', 3)).toBe('abc');
  });
});

describe('cutAtGrapheme', () => {
  it('keeps an emoji ZWJ sequence whole', () => {
    const family = '👨‍👩‍👧'; // 8 code units
    expect(cutAtGrapheme(`ab${family}`, 9)).toBe('ab');
    expect(cutAtGrapheme(`ab${family}c`, 10)).toBe(`ab${family}`);
  });

  it('keeps a letter with its combining accent', () => {
    expect(cutAtGrapheme('ae\u0301', 2)).toBe('a');
  });

  it('keeps flag pairs whole', () => {
    expect(cutAtGrapheme('🇨🇳🇺🇸', 6)).toBe('🇨🇳');
  });

  it('falls back to a code point boundary when one cluster is longer than the cap', () => {
    const zalgo = `a${'\u0301'.repeat(50)}`;
    expect(cutAtGrapheme(zalgo, 10)).toBe(zalgo.slice(0, 10));
  });

  it('property: a well-formed prefix of at most max code units', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.integer({ min: 1, max: 80 }), (s, max) => {
        const out = cutAtGrapheme(s, max);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(s.startsWith(out)).toBe(true);
        expect(wellFormed(out)).toBe(true);
        if (s.length <= max) expect(out).toBe(s);
      }),
    );
  });
});
