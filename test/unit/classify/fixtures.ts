import type { Embedder } from '../../../src/embed/types.js';

import { mulberry32 } from '../../../src/util/random.js';

/** Deterministic pseudo-random numbers (mulberry32). */
export const rng = mulberry32;

export function unit(v: number[]): Float32Array {
  const n = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / n);
}

/**
 * k classes of n points each in `dim` dimensions, around random centres (from `centreSeed`), with
 * uniform noise (from `noiseSeed`): the same centres with another noise seed give fresh points.
 */
export function clusters(k: number, n: number, dim: number, spread = 0.35, centreSeed = 7, noiseSeed = centreSeed + 1): { X: Float32Array[]; y: string[] } {
  const rc = rng(centreSeed);
  const centres = Array.from({ length: k }, () => Array.from({ length: dim }, () => rc() * 2 - 1));
  const r = rng(noiseSeed);
  const X: Float32Array[] = [];
  const y: string[] = [];
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      X.push(unit(centres[c]!.map((x) => x + (r() * 2 - 1) * spread)));
      y.push(`class_${String.fromCharCode(97 + c)}`);
    }
  }
  return { X, y };
}

/**
 * A tiny fake Embedder for pure tests: known texts map to fixed vectors, any other text to a
 * vector derived from its characters. Records every text it was asked to embed.
 */
export class FakeEmbedder implements Embedder {
  readonly seen: string[] = [];
  constructor(
    readonly dim: number,
    private readonly known: Record<string, number[]> = {},
    readonly id = `fake-${dim}`,
  ) {}
  async ready(): Promise<void> {}
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.seen.push(...texts);
    return texts.map((t) => {
      const v = this.known[t];
      if (v) return unit(v);
      const r = rng([...t].reduce((h, ch) => (h * 31 + ch.codePointAt(0)!) >>> 0, 17));
      return unit(Array.from({ length: this.dim }, () => r() - 0.5));
    });
  }
  async close(): Promise<void> {}
}
