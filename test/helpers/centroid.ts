/**
 * Comparing the centroids of published profile events, whichever version carries them: decimals
 * (schemaVersion 1, 6 places) or int8 with a scale (2, profile.eventCentroid: compact, the default).
 */
import { expect } from 'vitest';
import { base64Bytes, int8Centroid } from '../../src/events/index.js';

type Int8 = { encoding: 'int8'; scale: number; data: string };

const isInt8 = (c: unknown): c is Int8 => typeof c === 'object' && c !== null && (c as Int8).encoding === 'int8';

function bytesOf(c: Int8): Int8Array {
  const b = base64Bytes(c.data);
  expect(b, 'centroid data is base64').toBeDefined();
  return new Int8Array(b!.buffer, b!.byteOffset, b!.length);
}

/**
 * Two published centroids are equal up to float rounding. Decimals: within `decimalTolerance`
 * per component. int8: scales within 1e-5 relative, and each component's byte equal or one apart
 * (two sums equal up to float32 rounding round to different bytes when a component sits on a
 * rounding boundary; one step is max|v| / 127).
 */
export function expectSameCentroid(actual: unknown, expected: unknown, label: string, decimalTolerance = 1e-5): void {
  if (Array.isArray(actual) || Array.isArray(expected)) {
    expect(Array.isArray(actual) && Array.isArray(expected), `${label}: both centroids decimal`).toBe(true);
    const a = actual as number[];
    const e = expected as number[];
    expect(a.length, `${label} centroid length`).toBe(e.length);
    a.forEach((x, d) => expect(Math.abs(x - e[d]!), `${label} centroid[${d}]`).toBeLessThan(decimalTolerance));
    return;
  }
  expect(isInt8(actual) && isInt8(expected), `${label}: both centroids int8`).toBe(true);
  const a = actual as Int8;
  const e = expected as Int8;
  expect(Math.abs(a.scale - e.scale) / e.scale, `${label} centroid scale`).toBeLessThan(1e-5);
  const qa = bytesOf(a);
  const qe = bytesOf(e);
  expect(qa.length, `${label} centroid length`).toBe(qe.length);
  qa.forEach((q, d) => expect(Math.abs(q - qe[d]!), `${label} centroid byte ${d}`).toBeLessThanOrEqual(1));
}

/** A published centroid is the encoding of a reference vector (computed apart, in doubles), up to float rounding. */
export function expectCentroidOf(actual: unknown, reference: ArrayLike<number>, label: string, decimalTolerance = 1e-4): void {
  if (Array.isArray(actual)) expectSameCentroid(actual, Array.from(reference), label, decimalTolerance);
  else expectSameCentroid(actual, int8Centroid(reference), label);
}
