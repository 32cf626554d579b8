import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { normalizeText, removeLoneSurrogates } from '../../../src/text/normalize.js';
import { anyString, wellFormed } from './generators.js';

describe('normalizeText', () => {
  it('maps full-width letters, digits and punctuation to their ASCII forms (NFKC)', () => {
    expect(normalizeText('ＡＢＣ１２３！＋８６－１３８')).toBe('ABC123!+86-138');
  });

  it('maps compatibility characters: ideographic space, circled digits, ligatures', () => {
    expect(normalizeText('你好\u3000世界 ① ﬁne')).toBe('你好 世界 1 fine');
  });

  it.each([
    ['zero-width space', '\u200B'],
    ['zero-width non-joiner', '\u200C'],
    ['zero-width joiner', '\u200D'],
    ['word joiner', '\u2060'],
    ['byte-order mark', '\uFEFF'],
    ['soft hyphen', '\u00AD'],
    ['right-to-left override', '\u202E'],
  ])('removes the %s', (_name, ch) => {
    expect(normalizeText(`he${ch}llo${ch}`)).toBe('hello');
  });

  it('removes C0/C1 control characters and DEL', () => {
    expect(normalizeText('a\u0000b\u0007c\u001Bd\u007Fe\u0090f\u009Fg')).toBe('abcdefg');
  });

  it('turns whitespace controls (tab, newlines, NEL) into single spaces', () => {
    expect(normalizeText('a\tb\r\nc\u000Bd\u000Ce\u0085f')).toBe('a b c d e f');
  });

  it('collapses whitespace runs and trims', () => {
    expect(normalizeText(' \n  hello \u00A0\u2003 world\t ')).toBe('hello world');
  });

  it('removes lone high and low surrogates but keeps valid pairs', () => {
    expect(normalizeText('a\uD800b\uDC00c')).toBe('abc');
    expect(normalizeText('\uDE00\uD83D x')).toBe('x'); // reversed halves are two lone surrogates
    expect(normalizeText('ok 😀 \uD83D')).toBe('ok 😀');
    expect(removeLoneSurrogates('😀\uDBFF')).toBe('😀');
  });

  it('composes a letter and an accent separated by an invisible character', () => {
    expect(normalizeText('e\u200B\u0301')).toBe('\u00E9');
  });

  it('returns an empty string for invisible-only input', () => {
    expect(normalizeText('\u200B\uFEFF \u0000\n')).toBe('');
  });

  it('property: output is well-formed, clean, single-spaced, trimmed and a fixed point', () => {
    fc.assert(
      fc.property(anyString(), (s) => {
        const out = normalizeText(s);
        expect(wellFormed(out)).toBe(true);
        expect(out).not.toMatch(/[\p{Cf}\u0000-\u001F\u007F-\u009F]/u);
        expect(out).not.toMatch(/\s\s/);
        expect(out).toBe(out.trim());
        expect(normalizeText(out)).toBe(out);
      }),
      { numRuns: 500 },
    );
  });
});
