import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { argmax, cosine, dot, dotAt, mean, normalize, softmax } from '../../../src/classify/index.js';

const sum = (a: number[]) => a.reduce((s, x) => s + x, 0);

describe('softmax', () => {
  it('is numerically stable for huge, tiny and shifted logits', () => {
    expect(softmax([1000, 1001, 1002])).toEqual(softmax([0, 1, 2]));
    const p = softmax([1e308, -1e308, 0]);
    expect(p[0]).toBe(1);
    expect(p.every(Number.isFinite)).toBe(true);
    expect(softmax([-1e6, -1e6 - 1])[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
    // a tiny temperature sharpens to one-hot without overflow
    const q = softmax([0.5, 0.49], 1e-6);
    expect(q).toEqual([1, 0]);
  });

  it('divides by the temperature', () => {
    const [a, b] = softmax([0.6, 0.5], 0.05);
    expect(a! / b!).toBeCloseTo(Math.exp(0.1 / 0.05), 10);
    expect(softmax([1, 2, 3], 1e9).every((x) => Math.abs(x - 1 / 3) < 1e-9)).toBe(true);
  });

  it('handles infinities and empty input, rejects NaN and bad temperatures', () => {
    expect(softmax([Infinity, 0, Infinity])).toEqual([0.5, 0, 0.5]);
    expect(softmax([-Infinity, -Infinity])).toEqual([0.5, 0.5]);
    expect(softmax([])).toEqual([]);
    expect(() => softmax([Number.NaN])).toThrow(RangeError);
    expect(() => softmax([1], 0)).toThrow(RangeError);
    expect(() => softmax([1], -1)).toThrow(RangeError);
  });

  it('sums to 1 and preserves order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e300, max: 1e300, noNaN: true }), { minLength: 1, maxLength: 20 }), fc.double({ min: 1e-4, max: 100, noNaN: true }), (logits, t) => {
        const p = softmax(logits, t);
        expect(sum(p)).toBeCloseTo(1, 9);
        expect(p.every((x) => x >= 0 && x <= 1)).toBe(true);
        expect(p[argmax(logits)]).toBe(Math.max(...p));
      }),
    );
  });
});

describe('vector helpers', () => {
  it('cosine, normalize, mean, argmax', () => {
    expect(cosine([1, 0], [0, 1])).toBe(0);
    expect(cosine([1, 1], [2, 2])).toBeCloseTo(1, 12);
    expect(cosine([0, 0], [1, 0])).toBe(0);
    expect(Array.from(normalize([3, 4]))).toEqual([0.6, 0.8]);
    expect(Array.from(normalize([0, 0]))).toEqual([0, 0]);
    expect(
      Array.from(
        mean([
          [1, 2],
          [3, 4],
        ]),
      ),
    ).toEqual([2, 3]);
    expect(() => mean([])).toThrow(RangeError);
    expect(() => cosine([1], [1, 2])).toThrow(RangeError);
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([-Infinity, -Infinity])).toBe(0);
    expect(argmax([])).toBe(-1);
  });
});

describe('dotAt (the unrolled row dot product of the classifiers)', () => {
  it('equals the plain dot product of the two slices, for every length and offset (the unrolled tail included)', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 0, maxLength: 40 }), fc.nat({ max: 5 }), fc.nat({ max: 5 }), (values, ao, bo) => {
        const d = values.length;
        const a = new Float64Array(ao + d);
        const b = new Float32Array(bo + d);
        values.forEach((v, j) => {
          a[ao + j] = v;
          b[bo + j] = v / 2 + 1;
        });
        const expected = dot(a.subarray(ao), b.subarray(bo));
        // the same products summed in another order: equal up to rounding of their magnitude
        let scale = 1;
        for (let j = 0; j < d; j++) scale += Math.abs(a[ao + j]! * b[bo + j]!);
        expect(Math.abs(dotAt(a, ao, b, bo, d) - expected)).toBeLessThanOrEqual(1e-12 * scale);
      }),
    );
  });

  it('reads only the d entries from each offset', () => {
    const a = Float64Array.from([9, 9, 1, 2, 3, 4, 5, 9]);
    const b = Float64Array.from([1, 1, 1, 1, 1, 7]);
    expect(dotAt(a, 2, b, 0, 5)).toBe(15);
    expect(dotAt(a, 0, b, 0, 0)).toBe(0);
  });
});
