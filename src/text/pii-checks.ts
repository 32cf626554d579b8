/**
 * Checksums and plausibility checks that turn "a long run of digits" into "a card number" or
 * "a Chinese resident ID", so ordinary numbers (order ids, timestamps, prices) stay untouched.
 * Pure functions over ASCII digit strings (callers strip separators first).
 */

/** Luhn (mod 10) check used by payment card numbers. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

// First two digits of a resident ID: the province-level division (GB/T 2260), plus 71 (Taiwan),
// 81/82 (Hong Kong/Macao) and 83 (Taiwan residents' permits), 91 (foreigners' permanent residence).
const PROVINCES = new Set([11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91]);

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const ID_CHECK_CHARS = '10X98765432';

/**
 * A calendar date that can be a birth date. The range is fixed (1900-2099) rather than "not after
 * today" so that the check stays a pure function of its input.
 */
export function plausibleBirthDate(year: number, month: number, day: number): boolean {
  if (!Number.isInteger(year) || year < 1900 || year > 2099) return false;
  if (!Number.isInteger(month) || month < 1 || month > 12) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  return Number.isInteger(day) && day >= 1 && day <= days;
}

/** The ISO 7064 MOD 11-2 check character ('0'-'9' or 'X') for the first 17 digits of an ID. */
export function cnIdCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * (ID_WEIGHTS[i] ?? 0);
  return ID_CHECK_CHARS.charAt(sum % 11);
}

/** An 18-character resident ID: province, birth date (YYYYMMDD) and MOD 11-2 check character. */
export function cnId18Valid(id: string): boolean {
  if (!/^\d{17}[\dXx]$/.test(id)) return false;
  if (!PROVINCES.has(Number(id.slice(0, 2)))) return false;
  if (!plausibleBirthDate(Number(id.slice(6, 10)), Number(id.slice(10, 12)), Number(id.slice(12, 14)))) return false;
  return cnIdCheckChar(id.slice(0, 17)) === id.charAt(17).toUpperCase();
}

/** A 15-digit first-generation resident ID: province and birth date 19YYMMDD; it has no checksum. */
export function cnId15Valid(id: string): boolean {
  if (!/^\d{15}$/.test(id)) return false;
  if (!PROVINCES.has(Number(id.slice(0, 2)))) return false;
  return plausibleBirthDate(1900 + Number(id.slice(6, 8)), Number(id.slice(8, 10)), Number(id.slice(10, 12)));
}
