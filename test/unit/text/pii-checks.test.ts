import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { cnId15Valid, cnId18Valid, cnIdCheckChar, luhnValid, plausibleBirthDate } from '../../../src/text/pii-checks.js';
import { idCheckChar, luhnCheckDigit } from './generators.js';

describe('luhnValid', () => {
  it.each(['4111111111111111', '5500000000000004', '378282246310005', '6011111111111117', '0'])('accepts %s', (n) => {
    expect(luhnValid(n)).toBe(true);
  });

  it.each(['4111111111111112', '1234567812345678', '', '4111 1111', 'abc'])('rejects %j', (n) => {
    expect(luhnValid(n)).toBe(false);
  });

  it('agrees with an independent check-digit computation, and catches any single-digit change', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{12,18}$/), fc.nat(), fc.integer({ min: 1, max: 9 }), (body, pos, delta) => {
        const n = body + luhnCheckDigit(body);
        expect(luhnValid(n)).toBe(true);
        const i = pos % n.length;
        const changed = n.slice(0, i) + String((Number(n[i]) + delta) % 10) + n.slice(i + 1);
        expect(luhnValid(changed)).toBe(false);
      }),
    );
  });
});

describe('resident ID', () => {
  it('computes the GB 11643 check character', () => {
    expect(cnIdCheckChar('11010519491231002')).toBe('X');
    fc.assert(
      fc.property(fc.stringMatching(/^\d{17}$/), (first17) => {
        expect(cnIdCheckChar(first17)).toBe(idCheckChar(first17));
      }),
    );
  });

  it('accepts valid 18-character IDs, either case of X', () => {
    expect(cnId18Valid('11010519491231002X')).toBe(true);
    expect(cnId18Valid('11010519491231002x')).toBe(true);
    expect(cnId18Valid('110105194912310038')).toBe(true);
  });

  it.each([
    ['110105194912310021', 'wrong check digit'],
    ['110105194913310021', 'month 13'],
    ['110105188001010015', 'born before 1900'],
    ['99010519491231004X', 'unknown province'],
    ['11010519491231002', 'too short'],
    ['1101051949123100XX', 'X not last'],
  ])('rejects %s (%s)', (id) => {
    expect(cnId18Valid(id)).toBe(false);
  });

  it('checks 15-digit IDs by province and date', () => {
    expect(cnId15Valid('110105491231002')).toBe(true);
    expect(cnId15Valid('110105491331002')).toBe(false);
    expect(cnId15Valid('110105490230002')).toBe(false);
    expect(cnId15Valid('990105491231002')).toBe(false);
  });

  it('knows calendar dates and leap years', () => {
    expect(plausibleBirthDate(2000, 2, 29)).toBe(true);
    expect(plausibleBirthDate(2024, 2, 29)).toBe(true);
    expect(plausibleBirthDate(2023, 2, 29)).toBe(false);
    expect(plausibleBirthDate(1900, 2, 29)).toBe(false);
    expect(plausibleBirthDate(1990, 4, 31)).toBe(false);
    expect(plausibleBirthDate(1990, 0, 1)).toBe(false);
    expect(plausibleBirthDate(1899, 12, 31)).toBe(false);
    expect(plausibleBirthDate(2100, 1, 1)).toBe(false);
  });
});
