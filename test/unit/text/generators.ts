/**
 * fast-check arbitraries for PII values, and checksum helpers written independently of
 * src/text/pii-checks.ts so the tests do not trust the code under test to build their inputs.
 */
import fc from 'fast-check';

/** The digit that completes `body` to a Luhn-valid number (textbook formulation). */
export function luhnCheckDigit(body: string): string {
  const digits = [...body].map(Number).reverse();
  const sum = digits.reduce((acc, d, i) => {
    if (i % 2 === 0) {
      const twice = d * 2;
      return acc + Math.floor(twice / 10) + (twice % 10);
    }
    return acc + d;
  }, 0);
  return String((10 - (sum % 10)) % 10);
}

/** GB 11643-1999 check character for the first 17 digits of a resident ID. */
export function idCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const weight = 2 ** (17 - i) % 11; // W_i = 2^(i-1) mod 11, counted from the right, position 18 = 1
    sum += Number(first17[i]) * weight;
  }
  return ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][sum % 11] ?? '?';
}

const digitString = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((a) => a.join(''));

export const FULL_WIDTH = (s: string): string => s.replace(/[0-9+-]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

/** A Chinese mobile number and one of its usual spellings. */
export const cnMobile = fc
  .record({
    second: fc.integer({ min: 3, max: 9 }),
    rest: digitString(9),
    format: fc.constantFrom('plain', 'spaces', 'dashes', '+86 ', '+86-', '86', '0086 ', '(+86)', 'fullwidth'),
  })
  .map(({ second, rest, format }) => {
    const national = `1${second}${rest}`;
    const a = national.slice(0, 3);
    const b = national.slice(3, 7);
    const c = national.slice(7);
    const written = {
      plain: national,
      spaces: `${a} ${b} ${c}`,
      dashes: `${a}-${b}-${c}`,
      '+86 ': `+86 ${a} ${b} ${c}`,
      '+86-': `+86-${a}-${b}-${c}`,
      '86': `86${national}`,
      '0086 ': `0086 ${national}`,
      '(+86)': `(+86)${national}`,
      fullwidth: FULL_WIDTH(`+86-${a}-${b}-${c}`),
    }[format];
    return { national, written };
  });

/** A North American number: +1 415-555-0100 / (415) 555-0100 / 415-555-0100. */
export const usPhone = fc
  .record({
    area: fc.integer({ min: 200, max: 999 }),
    exchange: fc.integer({ min: 200, max: 999 }),
    line: fc.integer({ min: 0, max: 9999 }),
    format: fc.constantFrom('+1', 'parens', 'dashes', 'dots'),
  })
  .map(({ area, exchange, line, format }) => {
    const l = String(line).padStart(4, '0');
    const national = `${area}${exchange}${l}`;
    const written = {
      '+1': `+1 ${area}-${exchange}-${l}`,
      parens: `(${area}) ${exchange}-${l}`,
      dashes: `${area}-${exchange}-${l}`,
      dots: `${area}.${exchange}.${l}`,
    }[format];
    return { national, written };
  });

/** A Luhn-valid card number, 13-19 digits, written plain or in groups of four. */
export const cardNumber = fc.record({ length: fc.integer({ min: 13, max: 19 }), first: fc.integer({ min: 1, max: 9 }), grouped: fc.boolean() }).chain(({ length, first, grouped }) =>
  digitString(length - 2).map((mid) => {
    const body = `${first}${mid}`;
    const digits = body + luhnCheckDigit(body);
    const written = grouped ? (digits.match(/.{1,4}/g) ?? []).join(' ') : digits;
    return { digits, written };
  }),
);

/** A valid 18-character resident ID (real province, plausible birth date, right check char). */
export const cnId = fc
  .record({
    province: fc.constantFrom('11', '31', '44', '51', '65'),
    area: digitString(4),
    birth: fc.date({ min: new Date('1920-01-01T00:00:00Z'), max: new Date('2020-12-31T00:00:00Z'), noInvalidDate: true }),
    seq: digitString(3),
    lowerX: fc.boolean(),
  })
  .map(({ province, area, birth, seq, lowerX }) => {
    const ymd = birth.toISOString().slice(0, 10).replace(/-/g, '');
    const first17 = `${province}${area}${ymd}${seq}`;
    const check = idCheckChar(first17);
    return first17 + (lowerX ? check.toLowerCase() : check);
  });

/** A common-shape e-mail address (mixed case allowed). */
export const email = fc
  .record({
    local: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,15}$/),
    domain: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9-]{0,10}$/),
    tld: fc.stringMatching(/^[A-Za-z]{2,6}$/),
  })
  .map(({ local, domain, tld }) => `${local}@${domain}.${tld}`);

/** Any UTF-16 code unit, lone surrogates included. */
/** One piece of PII as written in a comment, and the part of it that must never reach a chunk or token (lowercased, digits only). */
export const piiTarget = fc.oneof(
  email.map((v) => ({ written: v, secret: v.toLowerCase() })),
  cnMobile.map((v) => ({ written: v.written, secret: v.national })),
  usPhone.map((v) => ({ written: v.written, secret: v.national })),
  cnId.map((v) => ({ written: v, secret: v.toLowerCase() })),
  cardNumber.map((v) => ({ written: v.written, secret: v.digits })),
);

export const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

/** Arbitrary strings: full Unicode code points mixed with raw code units (lone surrogates). */
export const anyString = (maxLength = 200) => fc.string({ unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), codeUnit), maxLength });

const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** True when the string has no unpaired surrogate. */
export const wellFormed = (s: string): boolean => !LONE.test(s);
