import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { preprocess, isRejection } from '../../../src/text/preprocess.js';
import { PII_PLACEHOLDERS } from '../../../src/text/pii.js';
import { anyString, piiTarget, wellFormed } from './generators.js';

const options = fc.record({
  maxChars: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
  maxTokens: fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined }),
});

describe('preprocess properties', () => {
  it('never throws; output is well-formed, lowercase, trimmed and within the caps', () => {
    fc.assert(
      fc.property(fc.oneof(anyString(400), fc.string({ unit: 'grapheme', maxLength: 400 })), options, (raw, opts) => {
        const r = preprocess(raw, opts);
        if (isRejection(r)) {
          expect(r.code).toBe('REJECT_EMPTY_TEXT');
          return;
        }
        expect(wellFormed(r.text)).toBe(true);
        expect(r.text.length).toBeLessThanOrEqual(opts.maxChars ?? 1000);
        expect(r.text).toBe(r.text.toLowerCase());
        expect(r.text).toBe(r.text.trim());
        expect(r.text).toMatch(/\p{L}/u);
        expect(r.tokens.length).toBeLessThanOrEqual(opts.maxTokens ?? 64);
        expect(new Set(r.tokens).size).toBe(r.tokens.length);
        for (const t of r.tokens) {
          expect(t).toMatch(/\p{L}/u);
          expect(wellFormed(t)).toBe(true);
          expect(Object.values(PII_PLACEHOLDERS)).not.toContain(t);
        }
        expect(['zh', 'en', 'mixed', 'other']).toContain(r.lang);
      }),
      { numRuns: 1000 },
    );
  });

  it('never lets a redacted e-mail, phone, ID or card number through to text or tokens', () => {
    const pii = piiTarget;
    const filler = fc.string({ unit: 'grapheme', maxLength: 20 });
    fc.assert(
      fc.property(filler, pii, filler, options, (before, target, after, opts) => {
        const r = preprocess(`${before} ${target.written} ${after}`, opts);
        if (isRejection(r)) return;
        const squeezed = r.text.replace(/[\s\-.()+]/g, '');
        expect(squeezed).not.toContain(target.secret);
        expect(r.text).not.toContain(target.written.toLowerCase());
        expect(r.tokens.join(' ')).not.toContain(target.secret);
        // Unless the length caps cut it off first, the value was found and counted.
        if (!r.truncated) expect(Object.values(r.redactions).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 1000 },
    );
  });
});
