import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { argmax, cosine, mean, normalize, softmax } from '../../../src/classify/index.js';

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
    expect(Array.from(mean([[1, 2], [3, 4]]))).toEqual([2, 3]);
    expect(() => mean([])).toThrow(RangeError);
    expect(() => cosine([1], [1, 2])).toThrow(RangeError);
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([-Infinity, -Infinity])).toBe(0);
    expect(argmax([])).toBe(-1);
  });
});
