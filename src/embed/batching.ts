/**
 * Pure: split texts, sorted by token count, into inference batches. Each batch is padded to its
 * longest text, so a batch costs about (texts × longest) token positions plus a fixed overhead per
 * model call; the split minimising that total (dynamic programming over the sorted lengths, at most
 * `maxBatch` texts per batch) pads little without falling back to one text per call.
 */

/**
 * Fixed cost of one model call, in padded-token equivalents. Measured with the int8 bge-small
 * model, 2 threads (CPU time per 1000 mixed zh/en texts): 4 → 1.90-1.94 s, 12 → 1.88 s,
 * 24 → 1.96-2.04 s, 48 → 1.98-2.09 s, 96 → 2.50 s; fixed batches of 8 / 16 sorted by tokens:
 * 2.40 / 2.89 s. Padding is what costs; a call is cheap.
 */
export const CALL_OVERHEAD_TOKENS = 12;

/**
 * `lengths` must be sorted ascending. Returns the batches as [start, end) index pairs into it.
 */
export function planBatches(lengths: readonly number[], maxBatch: number, overhead = CALL_OVERHEAD_TOKENS): [number, number][] {
  const n = lengths.length;
  if (n === 0) return [];
  const max = Math.max(1, Math.floor(maxBatch));
  // best[i]: least cost of the first i texts; cut[i]: where the last batch of that split starts
  const best = new Float64Array(n + 1).fill(Infinity);
  const cut = new Int32Array(n + 1);
  best[0] = 0;
  for (let i = 1; i <= n; i++) {
    const longest = lengths[i - 1]!;
    for (let k = 1; k <= max && k <= i; k++) {
      const c = best[i - k]! + k * longest + overhead;
      if (c < best[i]!) {
        best[i] = c;
        cut[i] = i - k;
      }
    }
  }
  const out: [number, number][] = [];
  for (let i = n; i > 0; i = cut[i]!) out.push([cut[i]!, i]);
  return out.reverse();
}
