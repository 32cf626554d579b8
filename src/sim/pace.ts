/** Pacing for `portrait produce --rate` (pure): how big each send is and how long to wait before it. */

/** Most messages per producer.send(). */
export const MAX_BATCH = 200;

/** Messages per send: MAX_BATCH when unlimited (rate 0), else about five sends per second. */
export function batchSizeFor(rate: number, max = MAX_BATCH): number {
  if (rate <= 0) return max;
  return Math.min(max, Math.max(1, Math.ceil(rate / 5)));
}

/** Milliseconds to wait until `sent` messages (the batch about to go included) are due: n messages take at least n / rate seconds. */
export function waitBeforeNext(sent: number, rate: number, elapsedMs: number): number {
  if (rate <= 0) return 0;
  return Math.max(0, Math.ceil((sent / rate) * 1000 - elapsedMs));
}
