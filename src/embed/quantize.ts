/**
 * Pure: symmetric per-vector int8 quantisation for the shared embedding cache.
 * Layout: 4 bytes float32 LE scale, then D int8 values; x ≈ q * scale. 516 bytes for D = 512.
 */
export function quantize(v: ArrayLike<number>): Buffer {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]!));
  const scale = max > 0 ? max / 127 : 1;
  const buf = Buffer.alloc(4 + v.length);
  buf.writeFloatLE(scale, 0);
  for (let i = 0; i < v.length; i++) buf.writeInt8(Math.max(-127, Math.min(127, Math.round(v[i]! / scale))), 4 + i);
  return buf;
}

export function dequantize(buf: Uint8Array, dim: number): Float32Array | undefined {
  if (buf.length !== 4 + dim) return undefined;
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const scale = b.readFloatLE(0);
  if (!Number.isFinite(scale) || scale <= 0) return undefined;
  const out = new Float32Array(dim);
  for (let i = 0; i < dim; i++) out[i] = b.readInt8(4 + i) * scale;
  return out;
}
