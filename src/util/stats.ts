/** Pure statistics helpers shared by the metrics windows, the bench and the similar-users bench. */

/** The nearest-rank quantile `q` (0-1) of values already sorted ascending; NaN when there are none. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** The nearest-rank quantile `q` (0-1) of `xs` (not modified); NaN when there are none. */
export function quantile(xs: readonly number[], q: number): number {
  return quantileSorted(
    [...xs].sort((a, b) => a - b),
    q,
  );
}
