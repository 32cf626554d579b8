import { createHash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted (code-unit order), no whitespace, numbers in JavaScript's
 * shortest round-trip form, undefined members dropped. Equal values give equal strings.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new RangeError(`canonicalJson: ${value} is not JSON`);
    if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') throw new TypeError(`canonicalJson: ${typeof value} is not JSON`);
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (ArrayBuffer.isView(value)) return canonicalJson(Array.from(value as unknown as ArrayLike<number>));
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const k of keys) {
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/** First `hexChars` hex digits of the sha256 of the canonical JSON of `value`. */
export function contentHash(value: unknown, hexChars = 16): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, hexChars);
}
