/**
 * The PII patterns, in the order they run, and the checks that confirm a pattern match.
 *
 * Order matters: URLs before e-mails (a URL may carry an address in its query), e-mails before the
 * numbers (an address may hold digits), 18-character IDs (checksummed) before cards (Luhn) before
 * 15-digit IDs (no checksum, the weakest signal) before phones, so an ID or a card number is never
 * half-taken by the looser phone patterns.
 *
 * Every pattern is linear or bounded (no nested unbounded quantifiers). Expects NFKC text.
 */
import { cnId15Valid, cnId18Valid, luhnValid } from './pii-checks.js';

/** What a rule redacts. */
export type PiiKind = 'email' | 'url' | 'phone' | 'cn_id' | 'card';

export interface Rule {
  kind: PiiKind;
  /** A global regex finding candidates. */
  pattern: RegExp;
  /**
   * Confirms a candidate: returns the part of it that is PII (the whole match, or a prefix of it
   * when the pattern took in a neighbouring number or trailing punctuation), or null when it is
   * not PII. Default: the whole match.
   */
  confirm?: (match: string) => string | null;
}

// A number must not continue a word, another number, a "+" prefix or a decimal fraction ("3.14…").
// A comma is no barrier: NFKC turns the Chinese "，" into ",", and "13800138000，13900139000" is a list.
const NUM_START = String.raw`(?<![0-9A-Za-z+])(?<!\d\.)`;
const NUM_END = String.raw`(?![0-9A-Za-z])`;
// One optional separator inside a number: space, ASCII hyphen, Unicode dashes and minus sign.
const SEP = String.raw`[ \-\u2010-\u2015\u2212]`;
// Characters a URL goes on with: not whitespace, quotes, angle brackets, Han or CJK punctuation.
const URL_CHAR = String.raw`[^\s<>"'\u0060\p{Script=Han}\u3000-\u303F\uFF00-\uFFEF]`;

const digitCount = (s: string): number => s.replace(/\D/g, '').length;

/**
 * The prefixes of a match that end after a run of digits (and a closing parenthesis right after
 * it), longest first: "4111 1111 1111 1111 12" → itself, "4111 1111 1111 1111", "4111 1111 1111", …
 */
function groupPrefixes(match: string): string[] {
  const ends: number[] = [];
  for (const m of match.matchAll(/\d+\)?/g)) ends.push(m.index + m[0].length);
  return ends.reverse().map((end) => match.slice(0, end));
}

/** Card digit grouping: one run, 4-4-4-…(last 1-4), or the 4-6-5 / 4-6-4 Amex/Diners layouts. */
function cardGroupingOk(candidate: string): boolean {
  const groups = candidate.split(/\D+/).map((g) => g.length);
  if (groups.length === 1) return true;
  const layout = groups.join('-');
  if (layout === '4-6-5' || layout === '4-6-4') return true;
  const last = groups[groups.length - 1] ?? 0;
  return groups.slice(0, -1).every((n) => n === 4) && last >= 1 && last <= 4;
}

function confirmCard(match: string): string | null {
  for (const candidate of groupPrefixes(match)) {
    const digits = candidate.replace(/\D/g, '');
    if (digits.length < 13) break;
    if (cardGroupingOk(candidate) && luhnValid(digits)) return candidate;
  }
  return null;
}

function confirmIntlPhone(match: string): string | null {
  for (const candidate of groupPrefixes(match)) {
    const n = digitCount(candidate);
    if (n < 8) break;
    if (n <= 15) return candidate;
  }
  return null;
}

// Characters a URL match does not end with: sentence punctuation following the link.
const URL_TRAILING = new Set(['.', ',', ';', ':', '!', '?', ')', ']', '}', '*', '-']);
const URL_PREFIX = /^(?:(?:https?|ftp):\/\/|www\.)/i;

function confirmUrl(match: string): string | null {
  let end = match.length;
  while (end > 0 && URL_TRAILING.has(match.charAt(end - 1))) end--;
  const url = match.slice(0, end);
  // "https://." or "www.," alone is punctuation, not a link.
  return /[\p{L}\p{N}]/u.test(url.replace(URL_PREFIX, '')) ? url : null;
}

const onlyIf = (check: (s: string) => boolean) => (match: string) => (check(match) ? match : null);

export const RULES: readonly Rule[] = [
  {
    kind: 'url',
    pattern: new RegExp(String.raw`(?:https?|ftp):\/\/${URL_CHAR}+|(?<![\w.@\/\-])www\.${URL_CHAR}+`, 'giu'),
    confirm: confirmUrl,
  },
  {
    kind: 'email',
    pattern: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/g,
  },
  {
    // 18 characters, also written 6-8-4: 110105 19491231 002X.
    kind: 'cn_id',
    pattern: new RegExp(String.raw`${NUM_START}\d{6} ?\d{8} ?\d{3}[\dXx]${NUM_END}`, 'g'),
    confirm: onlyIf((m) => cnId18Valid(m.replace(/ /g, ''))),
  },
  {
    // 13-19 digits with optional single separators, grouped like a card, Luhn-valid.
    kind: 'card',
    pattern: new RegExp(String.raw`${NUM_START}\d(?:${SEP}?\d){12,18}${NUM_END}`, 'g'),
    confirm: confirmCard,
  },
  {
    kind: 'cn_id',
    pattern: new RegExp(String.raw`${NUM_START}\d{15}${NUM_END}`, 'g'),
    confirm: onlyIf(cnId15Valid),
  },
  {
    // Chinese mobile: 1[3-9]x xxxx xxxx, optional +86 / 0086 / 86 / (+86) prefix.
    kind: 'phone',
    pattern: new RegExp(String.raw`${NUM_START}(?:(?:\+|00)?86${SEP}?|\(\+?86\)${SEP}?)?1[3-9]\d(?:${SEP}?\d{4}){2}${NUM_END}`, 'g'),
  },
  {
    // International, written with a leading "+": country code, then 2-5 groups; 8-15 digits in all.
    kind: 'phone',
    pattern: new RegExp(String.raw`(?<![0-9A-Za-z+])\+[1-9]\d{0,2}(?:[ .\-]?\(?\d{1,4}\)?){2,5}${NUM_END}`, 'g'),
    confirm: confirmIntlPhone,
  },
  {
    // North American without country code; separators required: (415) 555-0100, 415-555-0100, 415.555.0100.
    kind: 'phone',
    pattern: new RegExp(String.raw`${NUM_START}(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .\-])[2-9]\d{2}[ .\-]\d{4}${NUM_END}`, 'g'),
  },
  {
    // Chinese landline with area code and a separator: 010-12345678, (0755)12345678, 0755 1234567.
    kind: 'phone',
    pattern: new RegExp(String.raw`${NUM_START}(?:\(0\d{2,3}\) ?|0\d{2,3}${SEP})\d{7,8}${NUM_END}`, 'g'),
  },
];
