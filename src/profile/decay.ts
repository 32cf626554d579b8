/**
 * The factor that carries a quantity expressed at time `from` to a later time `to`:
 * 2^(-(to - from) / halfLifeMs). Never NaN or Infinity for finite, positive halfLifeMs:
 * - to <= from (including equal infinities) gives exactly 1: nothing is ever amplified;
 * - a huge gap underflows to 0 (and from = -Infinity, the empty state's refTime, gives 0).
 */
export function decayFactor(from: number, to: number, halfLifeMs: number): number {
  if (!(to > from)) return 1;
  return 2 ** (-(to - from) / halfLifeMs);
}
