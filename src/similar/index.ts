/**
 * Nearest users by centroid cosine, in memory: every user's unit centroid quantised to int8
 * (512 bytes per user at dim 512: 100k users ≈ 51 MB), and an exact brute-force top-k over int8
 * dot products per query (docs/api.md has the method, the error and the measured cost).
 *
 * Quantisation is per vector: q = round(v · 127 / max|v|), and the row keeps 1 / ‖q‖, so the score
 *   cos(a, b) ≈ (q_a · q_b) / (‖q_a‖ ‖q_b‖)
 * is the exact cosine of the quantised vectors (scale-free), within ~0.01 of the float cosine.
 *
 * Rows live densely in a WebAssembly memory and are scanned by a SIMD kernel (src/util/int8.ts, with the quantisation),
 * ~3 ms per query at 100k users; a removal moves the last row into the hole. Pure: no I/O.
 */
import { createMemory, instantiateScan, quantizeInto, scanJs, type ScanFn, type WasmMemory } from '../util/int8.js';

export interface SimilarHit {
  userId: string;
  /** cosine similarity of the two users' centroids, -1..1 (from int8: ±0.01) */
  score: number;
}

export interface SimilarIndexOptions {
  dim: number;
  /** start capacity in users (grows by doubling) */
  initialCapacity?: number;
  /** force the JavaScript kernel (tests compare both) */
  noWasm?: boolean;
}

const PAGE = 65536;
const align = (n: number, a: number) => Math.ceil(n / a) * a;

export class SimilarIndex {
  readonly dim: number;
  /** row length: dim rounded up to a multiple of 8 (zero padded) for the SIMD kernel */
  private readonly stride: number;
  private readonly memory: WasmMemory;
  private readonly scan: ScanFn | undefined;
  private readonly qBytes: number;
  private capacity: number;
  private count = 0;
  private ids: string[] = [];
  private readonly slotOf = new Map<string, number>();
  private invNorm: Float64Array;
  private versions: Float64Array;
  private q!: Int16Array;
  private rows!: Int8Array;
  private out!: Int32Array;

  constructor(opts: SimilarIndexOptions) {
    if (!Number.isInteger(opts.dim) || opts.dim < 1) throw new RangeError(`dim must be a positive integer, got ${opts.dim}`);
    this.dim = opts.dim;
    this.stride = align(opts.dim, 8);
    this.qBytes = align(this.stride * 2, 64);
    this.capacity = Math.max(16, opts.initialCapacity ?? 1024);
    this.memory = createMemory(Math.ceil(this.bytesFor(this.capacity) / PAGE));
    this.scan = opts.noWasm ? undefined : instantiateScan(this.memory);
    this.invNorm = new Float64Array(this.capacity);
    this.versions = new Float64Array(this.capacity);
    this.views();
  }

  /** Users indexed. */
  get size(): number {
    return this.count;
  }

  /** Bytes of the WebAssembly memory holding the rows. */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  get kernel(): 'wasm-simd' | 'js' {
    return this.scan ? 'wasm-simd' : 'js';
  }

  has(userId: string): boolean {
    return this.slotOf.has(userId);
  }

  /** The version last stored for the user (undefined when not indexed). */
  version(userId: string): number | undefined {
    const s = this.slotOf.get(userId);
    return s === undefined ? undefined : this.versions[s];
  }

  // layout: [query int16 | rows int8 (capacity × stride) | scores int32 (capacity)]
  private bytesFor(capacity: number): number {
    return this.qBytes + capacity * this.stride + capacity * 4;
  }

  private views(): void {
    const buf = this.memory.buffer;
    this.q = new Int16Array(buf, 0, this.stride);
    this.rows = new Int8Array(buf, this.qBytes, this.capacity * this.stride);
    this.out = new Int32Array(buf, this.qBytes + this.capacity * this.stride, this.capacity);
  }

  private grow(): void {
    const next = this.capacity * 2;
    const need = Math.ceil(this.bytesFor(next) / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (need > 0) this.memory.grow(need);
    this.capacity = next;
    const inv = new Float64Array(next);
    inv.set(this.invNorm);
    this.invNorm = inv;
    const ver = new Float64Array(next);
    ver.set(this.versions);
    this.versions = ver;
    this.views();
  }

  /**
   * Insert or replace a user's centroid. An all-zero (or non-finite) vector removes the user: no
   * direction, no neighbours. Throws on a vector of another dimension.
   */
  upsert(userId: string, centroid: ArrayLike<number>, version = 0): boolean {
    if (centroid.length !== this.dim) throw new RangeError(`centroid has ${centroid.length} dimensions, the index ${this.dim}`);
    let slot = this.slotOf.get(userId);
    if (slot === undefined) {
      if (this.count === this.capacity) this.grow();
      slot = this.count;
    }
    const row = this.rows.subarray(slot * this.stride, (slot + 1) * this.stride);
    row.fill(0);
    const inv = quantizeInto(centroid, row);
    if (inv === 0) {
      if (slot < this.count) this.remove(userId);
      return false;
    }
    if (slot === this.count) {
      this.count++;
      this.slotOf.set(userId, slot);
      this.ids[slot] = userId;
    }
    this.invNorm[slot] = inv;
    this.versions[slot] = version;
    return true;
  }

  /**
   * Insert or replace a user's centroid given already quantised (a similar-users snapshot entry,
   * src/store/similar-snapshot.ts: int8 of `quantize`, whose scale cosines do not need). The row is
   * copied. An all-zero row removes the user. Throws on a row of another dimension.
   */
  upsertQuantized(userId: string, q: Int8Array, version = 0): boolean {
    if (q.length !== this.dim) throw new RangeError(`row has ${q.length} dimensions, the index ${this.dim}`);
    let norm2 = 0;
    for (let i = 0; i < q.length; i++) norm2 += q[i]! * q[i]!;
    if (norm2 === 0) {
      this.remove(userId);
      return false;
    }
    let slot = this.slotOf.get(userId);
    if (slot === undefined) {
      if (this.count === this.capacity) this.grow();
      slot = this.count++;
      this.slotOf.set(userId, slot);
      this.ids[slot] = userId;
    }
    const row = this.rows.subarray(slot * this.stride, (slot + 1) * this.stride);
    row.fill(0);
    row.set(q);
    this.invNorm[slot] = 1 / Math.sqrt(norm2);
    this.versions[slot] = version;
    return true;
  }

  /** Remove a user (a tombstone); false when the user was not indexed. */
  remove(userId: string): boolean {
    const slot = this.slotOf.get(userId);
    if (slot === undefined) return false;
    const last = this.count - 1;
    if (slot !== last) {
      this.rows.copyWithin(slot * this.stride, last * this.stride, (last + 1) * this.stride);
      const moved = this.ids[last]!;
      this.ids[slot] = moved;
      this.slotOf.set(moved, slot);
      this.invNorm[slot] = this.invNorm[last]!;
      this.versions[slot] = this.versions[last]!;
    }
    this.ids.length = last;
    this.slotOf.delete(userId);
    this.count = last;
    return true;
  }

  /** The k users nearest to a user, best first, the user excluded; undefined when the user is not indexed. */
  similarTo(userId: string, k: number): SimilarHit[] | undefined {
    const slot = this.slotOf.get(userId);
    if (slot === undefined) return undefined;
    const row = this.rows.subarray(slot * this.stride, (slot + 1) * this.stride);
    for (let i = 0; i < this.stride; i++) this.q[i] = row[i]!;
    return this.topK(this.invNorm[slot]!, k, slot);
  }

  /** The k users nearest to a vector (of length dim), best first. */
  nearest(vector: ArrayLike<number>, k: number): SimilarHit[] {
    if (vector.length !== this.dim) throw new RangeError(`vector has ${vector.length} dimensions, the index ${this.dim}`);
    this.q.fill(0);
    const inv = quantizeInto(vector, this.q);
    return inv === 0 ? [] : this.topK(inv, k, -1);
  }

  private topK(qInv: number, k: number, exclude: number): SimilarHit[] {
    const n = this.count;
    if (n === 0 || k < 1) return [];
    if (this.scan) this.scan(0, this.qBytes, n, this.stride, this.qBytes + this.capacity * this.stride);
    else scanJs(this.q, this.rows, n, this.stride, this.out);
    const out = this.out;
    const inv = this.invNorm;
    const ids = this.ids;
    // min-heap of the best k (score desc, then userId asc); most rows fail the `sc < floor` test
    const hs: number[] = [];
    const hi: number[] = [];
    const worse = (a: number, b: number) => hs[a]! < hs[b]! || (hs[a] === hs[b] && ids[hi[a]!]! > ids[hi[b]!]!);
    const swap = (a: number, b: number) => {
      [hs[a], hs[b]] = [hs[b]!, hs[a]!];
      [hi[a], hi[b]] = [hi[b]!, hi[a]!];
    };
    let floor = -Infinity;
    for (let s = 0; s < n; s++) {
      if (s === exclude) continue;
      const sc = out[s]! * inv[s]!;
      if (hs.length === k) {
        if (sc < floor || (sc === floor && ids[s]! > ids[hi[0]!]!)) continue;
        hs[0] = sc;
        hi[0] = s;
        for (let i = 0; ; ) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < k && worse(l, m)) m = l;
          if (r < k && worse(r, m)) m = r;
          if (m === i) break;
          swap(i, m);
          i = m;
        }
      } else {
        hs.push(sc);
        hi.push(s);
        for (let i = hs.length - 1; i > 0; ) {
          const p = (i - 1) >> 1;
          if (!worse(i, p)) break;
          swap(i, p);
          i = p;
        }
      }
      if (hs.length === k) floor = hs[0]!;
    }
    return hs
      .map((sc, j) => ({ sc, slot: hi[j]! }))
      .sort((a, b) => b.sc - a.sc || (ids[a.slot]! < ids[b.slot]! ? -1 : 1))
      .map(({ sc, slot }) => ({ userId: ids[slot]!, score: Math.max(-1, Math.min(1, sc * qInv)) }));
  }
}
