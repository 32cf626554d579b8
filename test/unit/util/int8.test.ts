import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dequantize, quantize } from '../../../src/util/int8.js';

describe('int8 embedding quantisation', () => {
  it('keeps a unit vector almost exactly (cosine > 0.9995)', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: 8, maxLength: 64 }), (raw) => {
        const n = Math.hypot(...raw);
        fc.pre(n > 1e-3);
        const v = raw.map((x) => x / n);
        const q = quantize(v);
        expect(q.length).toBe(4 + v.length);
        const d = dequantize(q, v.length)!;
        const dot = v.reduce((s, x, i) => s + x * d[i]!, 0);
        const dn = Math.hypot(...d);
        expect(dot / dn).toBeGreaterThan(0.9995);
      }),
    );
  });

  it('is stable: quantising a dequantised vector gives the same bytes', () => {
    const v = [0.5, -0.25, 0.125, 0.8];
    const q = quantize(v);
    expect(quantize(dequantize(q, 4)!).equals(q)).toBe(true);
  });

  it('rejects a buffer of the wrong size or a corrupt scale', () => {
    expect(dequantize(Buffer.alloc(10), 8)).toBeUndefined();
    const bad = Buffer.alloc(12);
    bad.writeFloatLE(Number.NaN, 0);
    expect(dequantize(bad, 8)).toBeUndefined();
  });
});
