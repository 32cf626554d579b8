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
  // typed-array views: Buffer#writeInt8/readInt8 check bounds on every element (a warm rebuild
  // dequantizes every vector it reads, on the main thread)
  const q = new Int8Array(buf.buffer, buf.byteOffset + 4, v.length);
  for (let i = 0; i < v.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(v[i]! / scale)));
  return buf;
}

export function dequantize(buf: Uint8Array, dim: number): Float32Array | undefined {
  if (buf.length !== 4 + dim) return undefined;
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const scale = b.readFloatLE(0);
  if (!Number.isFinite(scale) || scale <= 0) return undefined;
  const q = new Int8Array(buf.buffer, buf.byteOffset + 4, dim);
  const out = new Float32Array(dim);
  for (let i = 0; i < dim; i++) out[i] = q[i]! * scale;
  return out;
}
