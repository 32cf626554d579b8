/**
 * int8 vectors, in one place (pure: no I/O). Two quantisations and one dot-product kernel:
 *
 * - `quantize` / `dequantize`: the shared embedding cache's record (src/embed/redis-cache.ts).
 *   Layout: 4 bytes float32 LE scale, then D int8 values; x ≈ q * scale, scale = max|x| / 127.
 *   516 bytes for D = 512.
 * - `quantizeInto`: a row of the similar-users index (src/similar/index.ts): q = round(v · 127 /
 *   max|v|) written into an int8 or int16 array, returning 1 / ‖q‖ (cosines of quantised vectors
 *   need no scale).
 * - `scan` (WebAssembly SIMD) and `scanJs`: int8 dot products of one query against many rows.
 *
 * The two quantisations are kept apart on purpose: one stores a scale, the other none, and
 * dividing by max/127 vs. multiplying by 127/max can differ in the last bit and so round a
 * component at .5 the other way. Each keeps the bytes it has always produced, so cached vectors
 * and index scores do not move.
 *
 * Here rather than in src/embed (the model runtime) or src/similar so that both import it without
 * importing each other.
 */

/** max |v[i]|: NaN when a component is NaN, Infinity when one is infinite (and none is NaN). */
function maxAbs(v: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]!));
  return max;
}

// ---------------------------------------------------------------------------------------------
// the embedding cache's record

/** Quantise a vector into a cache record: float32 LE scale, then one int8 per component. */
export function quantize(v: ArrayLike<number>): Buffer {
  const max = maxAbs(v);
  const scale = max > 0 ? max / 127 : 1;
  const buf = Buffer.alloc(4 + v.length);
  buf.writeFloatLE(scale, 0);
  // typed-array views: Buffer#writeInt8/readInt8 check bounds on every element (a warm rebuild
  // dequantizes every vector it reads, on the main thread)
  const q = new Int8Array(buf.buffer, buf.byteOffset + 4, v.length);
  for (let i = 0; i < v.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(v[i]! / scale)));
  return buf;
}

/** The vector of a cache record; undefined when the record is not 4 + dim bytes or its scale is not a positive number. */
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

// ---------------------------------------------------------------------------------------------
// a row of the similar-users index

/** Quantise a vector into `out` (length ≥ v.length); returns 1/‖q‖, or 0 for an all-zero or non-finite vector (`out` then untouched). */
export function quantizeInto(v: ArrayLike<number>, out: Int8Array | Int16Array): number {
  const max = maxAbs(v);
  if (!Number.isFinite(max) || max === 0) return 0;
  const s = 127 / max;
  let norm2 = 0;
  for (let i = 0; i < v.length; i++) {
    const q = Math.round(v[i]! * s);
    out[i] = q;
    norm2 += q * q;
  }
  return 1 / Math.sqrt(norm2);
}

// ---------------------------------------------------------------------------------------------
// the dot-product kernel
//
// The WebAssembly module is a dozen instructions, so it is assembled here byte by byte (no
// toolchain, no binary file): `scan(q, rows, n, dim, out)` writes `out[r] = Σ_j q[j] · rows[r·dim + j]`
// for r < n, where `q` holds the query as int16 (pre-widened once per query), `rows` holds n·dim
// int8 values, `out` n int32 values, all addresses into the imported memory and `dim` a multiple
// of 8. `i32x4.dot_i16x8_s` does 8 multiply-adds per instruction; `scanJs` is the plain fallback.

/** The few WebAssembly JS-API members used here (the project's TS libs declare none). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (d: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (mod: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** A WebAssembly memory of `pages` × 64 KiB (grows later with `grow`). */
export function createMemory(pages: number): WasmMemory {
  return new WA.Memory({ initial: pages });
}

const SIMD = 0xfd;
const op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  brIf: 0x0d,
  get: 0x20,
  set: 0x21,
  tee: 0x22,
  i32Store: 0x36,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32Add: 0x6a,
  i32Shl: 0x74,
  void: 0x40,
} as const;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const str = (s: string) => [...uleb(s.length), ...Buffer.from(s, 'utf8')];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const simd = (code: number, ...imm: number[]) => [SIMD, ...uleb(code), ...imm];

// params: 0 q, 1 rows, 2 n, 3 dim, 4 out; locals: 5 r, 6 j, 7 row, 8 acc (v128)
const [Q, ROWS, N, DIM, OUT, R, J, ROW, ACC] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
// biome-ignore format: WebAssembly bytecode, one instruction with its immediates per group
const body = [
  ...[2, ...uleb(3), 0x7f, ...uleb(1), 0x7b], // locals: 3 × i32, 1 × v128
  op.get, ROWS, op.set, ROW,
  op.block, op.void,
  op.get, N, op.i32Eqz, op.brIf, 0,
  op.loop, op.void, // rows
  ...simd(0x0c, ...new Array<number>(16).fill(0)), op.set, ACC, // acc = 0
  op.i32Const, 0, op.set, J,
  op.loop, op.void, // columns, 8 at a time
  op.get, ACC,
  op.get, Q, op.get, J, op.i32Const, 1, op.i32Shl, op.i32Add, ...simd(0x00, 0, 0), // v128.load q + 2j (8 × i16)
  op.get, ROW, op.get, J, op.i32Add, ...simd(0x01, 0, 0), // v128.load8x8_s row + j (8 × i8 → i16)
  ...simd(0xba), // i32x4.dot_i16x8_s
  ...simd(0xae), // i32x4.add
  op.set, ACC,
  op.get, J, op.i32Const, 8, op.i32Add, op.tee, J, op.get, DIM, op.i32LtU, op.brIf, 0,
  op.end,
  op.get, OUT, op.get, R, op.i32Const, 2, op.i32Shl, op.i32Add, // &out[r]
  op.get, ACC, ...simd(0x1b, 0),
  op.get, ACC, ...simd(0x1b, 1), op.i32Add,
  op.get, ACC, ...simd(0x1b, 2), op.i32Add,
  op.get, ACC, ...simd(0x1b, 3), op.i32Add,
  op.i32Store, 2, 0,
  op.get, ROW, op.get, DIM, op.i32Add, op.set, ROW,
  op.get, R, op.i32Const, 1, op.i32Add, op.tee, R, op.get, N, op.i32LtU, op.brIf, 0,
  op.end,
  op.end,
  op.end,
];

// biome-ignore format: the module's bytes, one section per line
const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, [1, 0x60, 5, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0]), // type: (i32 × 5) → ()
  ...section(2, [1, ...str('env'), ...str('mem'), 0x02, 0x00, 0x00]), // import memory env.mem, min 0
  ...section(3, [1, 0]), // one function of type 0
  ...section(7, [1, ...str('scan'), 0x00, 0]), // export "scan"
  ...section(10, [1, ...uleb(body.length), ...body]),
]);

export type ScanFn = (q: number, rows: number, n: number, dim: number, out: number) => void;

/** True when this runtime runs WebAssembly SIMD (Node ≥ 16.4 does). */
export const wasmSimdAvailable: boolean = (() => {
  try {
    return WA.validate(MODULE);
  } catch {
    return false;
  }
})();

/** Instantiate the kernel over `memory`; undefined when WebAssembly SIMD is unavailable. */
export function instantiateScan(memory: WasmMemory): ScanFn | undefined {
  if (!wasmSimdAvailable) return undefined;
  const mod = new WA.Module(MODULE);
  const inst = new WA.Instance(mod, { env: { mem: memory } });
  return inst.exports.scan as ScanFn;
}

/** The same computation in plain JavaScript (fallback and test reference). */
export function scanJs(q: Int16Array, rows: Int8Array, n: number, dim: number, out: Int32Array): void {
  for (let r = 0, off = 0; r < n; r++, off += dim) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < dim; j += 4) {
      s0 += q[j]! * rows[off + j]!;
      s1 += q[j + 1]! * rows[off + j + 1]!;
      s2 += q[j + 2]! * rows[off + j + 2]!;
      s3 += q[j + 3]! * rows[off + j + 3]!;
    }
    out[r] = s0 + s1 + s2 + s3;
  }
}
