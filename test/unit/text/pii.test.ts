import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { redactPii, PII_PLACEHOLDERS, EMAIL_PLACEHOLDER, URL_PLACEHOLDER, PHONE_PLACEHOLDER, ID_PLACEHOLDER, CARD_PLACEHOLDER } from '../../../src/text/pii.js';
import { normalizeText } from '../../../src/text/normalize.js';
import { anyString, cardNumber, cnId, cnMobile, email, usPhone } from './generators.js';

const unchanged = (text: string) => {
  const r = redactPii(text);
  expect(r.text).toBe(text);
  expect(r.counts).toEqual({});
};

describe('placeholders', () => {
  it('are lowercase, distinct and hold no digits or "@"', () => {
    const all = Object.values(PII_PLACEHOLDERS);
    expect(all).toEqual([EMAIL_PLACEHOLDER, URL_PLACEHOLDER, PHONE_PLACEHOLDER, ID_PLACEHOLDER, CARD_PLACEHOLDER]);
    expect(new Set(all).size).toBe(all.length);
    for (const p of all) {
      expect(p.toLowerCase()).toBe(p);
      expect(p).toMatch(/^<[a-z]+>$/);
    }
  });

  it('are not redacted again (redaction is idempotent)', () => {
    const once = redactPii('mail a@b.com, call 13800138000, see https://x.com, id 11010519491231002X, card 4111111111111111');
    const twice = redactPii(once.text);
    expect(twice.text).toBe(once.text);
    expect(twice.counts).toEqual({});
  });
});

describe('e-mail', () => {
  it.each([
    ['write to john.doe+tag@example.co.uk please', 'write to <email> please'],
    ['邮箱:zhang_san99@qq.com谢谢', '邮箱:<email>谢谢'],
    ['JOHN@EXAMPLE.COM.', '<email>.'],
    ['mailto:a-b@sub.domain.org', 'mailto:<email>'],
  ])('redacts %j', (input, expected) => {
    const r = redactPii(input);
    expect(r.text).toBe(expected);
    expect(r.counts).toEqual({ email: 1 });
  });

  it.each(['@username said hi', 'foo@bar has no domain suffix', 'me @ home', 'a@b.c', 'price 5@10元'])('leaves %j alone', unchanged);
});

describe('url', () => {
  it.each([
    ['see https://example.com/path?q=1&r=2#x ok', 'see <url> ok'],
    ['HTTP://EXAMPLE.COM/A', '<url>'],
    ['go to www.example.com/page.', 'go to <url>.'],
    ['链接https://a.com/x很好', '链接<url>很好'],
    ['(see https://a.com/x),', '(see <url>),'],
    ['看 https://a.com/x。', '看 <url>。'],
    ['https://user@host.com/?mail=a@b.com', '<url>'],
  ])('redacts %j', (input, expected) => {
    const r = redactPii(input);
    expect(r.text).toBe(expected);
    expect(r.counts).toEqual({ url: 1 });
  });

  it.each(['example.com is a bare domain', 'I use node.js and vue.js', 'https:// nothing', 'www. nothing', 'v1.2.3'])('leaves %j alone', unchanged);
});

describe('phone', () => {
  it.each([
    '13800138000',
    '138 0013 8000',
    '138-0013-8000',
    '+86 138 0013 8000',
    '+86-138-0013-8000',
    '+8613800138000',
    '8613800138000',
    '0086 13800138000',
    '(+86)13800138000',
    '+1 415-555-0100',
    '+1 (415) 555-0100',
    '(415) 555-0100',
    '415-555-0100',
    '415.555.0100',
    '+44 20 7946 0958',
    '+49 30 1234567',
    '010-12345678',
    '(0755)12345678',
  ])('redacts %j', (phone) => {
    const r = redactPii(`call ${phone} now`);
    expect(r.text).toBe('call <phone> now');
    expect(r.counts).toEqual({ phone: 1 });
  });

  it('redacts a phone glued to Chinese text', () => {
    expect(redactPii('电话13800138000谢谢').text).toBe('电话<phone>谢谢');
  });

  it('redacts full-width digits once normalised', () => {
    expect(redactPii(normalizeText('电话：１３８　００１３　８０００')).text).toBe('电话:<phone>');
  });

  it.each([
    '2024年买的',
    '399元',
    '5g手机',
    'v1.2.3 and 10.15.7',
    '2024-01-01',
    '1,000,000 views',
    'pi is 3.14159265358979',
    '12800138000 (12x is not a mobile prefix)',
    '1380013800 has ten digits',
    '138001380001 has twelve digits',
    '4155550100 without separators',
    '+12 345 is too short',
    'score 100-200-3000',
  ])('leaves %j alone', unchanged);
});

describe('Chinese resident ID', () => {
  it.each([
    ['11010519491231002X', 'upper-case X check'],
    ['11010519491231002x', 'lower-case x check'],
    ['110105194912310038', 'digit check'],
    ['110105 19491231 002X', 'written in 6-8-4 groups'],
    ['110105491231002', '15-digit first generation'],
  ])('redacts %j (%s)', (id) => {
    const r = redactPii(`身份证号${id}。`);
    expect(r.text).toBe('身份证号<id>。');
    expect(r.counts).toEqual({ cn_id: 1 });
  });

  it.each([
    ['110105194912310021', 'wrong check digit'],
    ['110105194913310021', 'month 13, right check digit'],
    ['110105190002290025', '29 February 1900, right check digit'],
    ['99010519491231004X', 'no province 99, right check digit'],
    ['110105491331002', '15 digits with month 13'],
  ])('leaves %j alone (%s)', (id) => unchanged(`id ${id}`));

  it('takes an 18-digit ID that also passes Luhn as an ID, not as a card', () => {
    // 440105200001011103 is a valid ID and, by chance, Luhn-valid too.
    expect(redactPii('4111111111111111 and 440105200001011103').counts).toEqual({ card: 1, cn_id: 1 });
  });
});

describe('payment card', () => {
  it.each(['4111111111111111', '4111 1111 1111 1111', '4111-1111-1111-1111', '5500 0000 0000 0004', '3782 822463 10005', '378282246310005', '6011111111111117', '4222222222222', '6212 3456 7890 1234 569'])('redacts %j', (card) => {
    const r = redactPii(`card: ${card}!`);
    expect(r.text).toBe('card: <card>!');
    expect(r.counts).toEqual({ card: 1 });
  });

  it.each([
    ['4111111111111112', 'Luhn fails'],
    ['4111 1111 1111 1112', 'Luhn fails, grouped'],
    ['41 1111 1111 1111 11', 'Luhn passes, odd grouping'],
    ['41111111111111111111', '20 digits'],
    ['order 20240101123456', 'order number, Luhn fails'],
  ])('leaves %j alone (%s)', (text) => unchanged(text));
});

describe('neighbouring numbers', () => {
  it.each([
    ['0 1000000000009', '0 <card>', { card: 1 }],
    ['4111 1111 1111 1111 12', '<card> 12', { card: 1 }],
    ['5 4111 1111 1111 1111', '5 <card>', { card: 1 }],
    ['+44 20 7946 0958 66 77', '<phone> 77', { phone: 1 }],
    ['买了2个 13800138000', '买了2个 <phone>', { phone: 1 }],
    ['13800138000,13900139000', '<phone>,<phone>', { phone: 2 }], // "，" after NFKC
  ])('finds the PII in %j', (input, expected, counts) => {
    const r = redactPii(input);
    expect(r.text).toBe(expected);
    expect(r.counts).toEqual(counts);
  });
});

describe('counts', () => {
  it('counts each kind and omits kinds never seen', () => {
    const r = redactPii('a@b.com c@d.org 13800138000 https://x.io');
    expect(r.counts).toEqual({ email: 2, phone: 1, url: 1 });
    expect(r.text).toBe('<email> <email> <phone> <url>');
  });
});

describe('properties', () => {
  // `secret` is what must not survive: the address, or the number's digits without separators.
  const pii = fc.oneof(
    email.map((v) => ({ written: v, secret: v })),
    cnMobile.map((v) => ({ written: v.written, secret: v.national })),
    usPhone.map((v) => ({ written: v.written, secret: v.national })),
    cardNumber.map((v) => ({ written: v.written, secret: v.digits })),
    cnId.map((v) => ({ written: v, secret: v })),
  );

  it('generated PII is always redacted, wherever it sits among other words', () => {
    // Parts are joined with " | " so that two numbers never touch and read as one longer number.
    fc.assert(
      fc.property(fc.array(fc.oneof(pii, fc.string({ maxLength: 12 })), { maxLength: 6 }), pii, fc.nat(), (parts, target, at) => {
        const words = parts.map((p) => (typeof p === 'string' ? p : p.written));
        words.splice(at % (words.length + 1), 0, target.written);
        const r = redactPii(normalizeText(words.join(' | ')));
        expect(r.text).not.toContain(normalizeText(target.written));
        expect(r.text.replace(/[\s\-.()+]/g, '')).not.toContain(target.secret);
        expect(Object.values(r.counts).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws and is idempotent on arbitrary text', () => {
    fc.assert(
      fc.property(anyString(), (s) => {
        const once = redactPii(normalizeText(s));
        expect(redactPii(once.text).text).toBe(once.text);
      }),
      { numRuns: 500 },
    );
  });
});
