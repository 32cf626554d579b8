/**
 * PII redaction: replaces e-mail addresses, URLs, phone numbers, Chinese resident IDs and payment
 * card numbers with placeholder tokens, and counts what it replaced. The patterns and their order
 * are in pii-rules.ts.
 *
 * Expects text that went through `normalizeText` (NFKC, no zero-width characters), so full-width
 * digits and invisible separators cannot hide a number. The caller caps the input length first.
 */
import { RULES, type PiiKind, type Rule } from './pii-rules.js';

export type { PiiKind };

/** Placeholders: lowercase (they survive lowercasing) and contain nothing personal. */
export const EMAIL_PLACEHOLDER = '<email>';
export const URL_PLACEHOLDER = '<url>';
export const PHONE_PLACEHOLDER = '<phone>';
export const ID_PLACEHOLDER = '<id>';
export const CARD_PLACEHOLDER = '<card>';

export const PII_PLACEHOLDERS = {
  email: EMAIL_PLACEHOLDER,
  url: URL_PLACEHOLDER,
  phone: PHONE_PLACEHOLDER,
  cn_id: ID_PLACEHOLDER,
  card: CARD_PLACEHOLDER,
} as const satisfies Record<PiiKind, string>;

export interface Redacted {
  text: string;
  /** How many of each kind were replaced; kinds with no hit are absent. */
  counts: Partial<Record<PiiKind, number>>;
}

/**
 * Replaces what one rule confirms. A candidate the rule turns down is not skipped as a whole: the
 * search resumes one character later, so "0 1000000000009" (rejected as a 14-digit whole) still
 * finds the card number that starts after the "0 ".
 */
function applyRule(text: string, rule: Rule, counts: Partial<Record<PiiKind, number>>): string {
  const re = rule.pattern;
  re.lastIndex = 0;
  let out = '';
  let copied = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const pii = rule.confirm === undefined ? m[0] : rule.confirm(m[0]);
    if (pii === null || pii.length === 0) {
      re.lastIndex = m.index + 1;
      continue;
    }
    out += text.slice(copied, m.index) + PII_PLACEHOLDERS[rule.kind];
    copied = m.index + pii.length;
    re.lastIndex = copied;
    counts[rule.kind] = (counts[rule.kind] ?? 0) + 1;
  }
  return out + text.slice(copied);
}

/** Replaces every PII occurrence in (normalised) text with its placeholder. */
export function redactPii(text: string): Redacted {
  const counts: Partial<Record<PiiKind, number>> = {};
  let out = text;
  for (const rule of RULES) out = applyRule(out, rule, counts);
  return { text: out, counts };
}
