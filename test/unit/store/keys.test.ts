import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeUserId, Keys, unescapeUserId } from '../../../src/store/keys.js';

describe('Redis key builder', () => {
  const keys = new Keys('portrait', 'main');

  it('puts each user in one hash tag, with a readable layout', () => {
    expect(keys.profile('u0001')).toBe('portrait:main:u:{u0001}:p');
    expect(keys.userPattern('u0001')).toBe('portrait:main:u:{u0001}:*');
  });

  it('escapes braces, separators, glob characters and whitespace so ids cannot escape their tag', () => {
    for (const id of ['user{1}', 'a}b{c', 'a:b', 'x*', 'q?[z]', 'with space', 'back\\slash', '%7B', '用户一']) {
      const esc = escapeUserId(id);
      expect(esc).not.toMatch(/[{}:*?[\]\s\\]/);
      expect(unescapeUserId(esc)).toBe(id);
    }
  });

  it('is injective: two different ids never share a key, and the id comes back from the key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), fc.string({ unit: 'grapheme', minLength: 1 }), (a, b) => {
        fc.pre(a !== b);
        expect(keys.profile(a)).not.toBe(keys.profile(b));
        expect(keys.userIdOf(keys.profile(a))).toBe(a);
      }),
    );
  });

  it("never lets one user's pattern match another user's key", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        fc.pre(a !== b);
        const pattern = keys.userPattern(a);
        // glob-match the pattern the way Redis does for * only (no other glob chars can survive escaping)
        const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*')}$`);
        expect(re.test(keys.profile(b))).toBe(false);
        expect(re.test(keys.profile(a))).toBe(true);
      }),
    );
  });
});
