/**
 * One vector per comment from the vectors of its chunks (src/text/chunk.ts).
 *
 * Pooling is the mean of the chunk vectors weighted by chunk length, re-normalised to unit length:
 * - weighted by length, because a chunk stands for that much of the comment: a 500-character chunk
 *   and a 40-character tail ("thanks, that's all!") should not count the same, which a plain mean
 *   would do (on the long-review evaluation the plain mean scored 0-2 points higher with the
 *   zero-shot taxonomy, where the short last chunk is always on topic, and the same with the
 *   linear head: docs/text.md, "Long comments");
 * - re-normalised, because everything downstream reads unit vectors: the zero-shot classifier's
 *   cosine with a temperature, the linear head trained on unit vectors, the profile centroid. The
 *   mean of unit vectors is shorter the more its chunks disagree; left as it is, a long comment
 *   would get flatter probabilities and a smaller part of its user's centroid.
 * A comment of one chunk gets its chunk's vector itself, untouched (the same object): exactly the
 * vector it had before chunking existed.
 */
import type { Embedder } from './types.js';

/** The length-weighted, re-normalised mean of `vectors` (weights ≥ 0, not all 0); one vector is returned as it is. */
export function poolChunks(vectors: readonly Float32Array[], weights: readonly number[]): Float32Array {
  if (vectors.length === 0) throw new RangeError('poolChunks: no vectors');
  if (weights.length !== vectors.length) throw new RangeError(`poolChunks: ${vectors.length} vectors but ${weights.length} weights`);
  if (vectors.length === 1) return vectors[0]!;
  const dim = vectors[0]!.length;
  const sum = new Float64Array(dim);
  vectors.forEach((v, i) => {
    if (v.length !== dim) throw new RangeError(`poolChunks: vector ${i} has ${v.length} dimensions, not ${dim}`);
    const w = weights[i]!;
    if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`poolChunks: weight ${i} is ${w}`);
    for (let j = 0; j < dim; j++) sum[j]! += w * v[j]!;
  });
  let sq = 0;
  for (let j = 0; j < dim; j++) sq += sum[j]! * sum[j]!;
  // as the model's own normalisation does (worker.ts), a zero sum stays zero
  const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
  const out = new Float32Array(dim);
  for (let j = 0; j < dim; j++) out[j] = sum[j]! * inv;
  return out;
}

/** Weights of a comment's chunks: their lengths in UTF-16 code units (the unit of text.maxChars). */
export const chunkWeights = (chunks: readonly string[]): number[] => chunks.map((c) => c.length);

/**
 * Pool `flat` (the vectors of every chunk of every comment, in order) back into one vector per
 * comment of `chunkLists`.
 */
export function poolFlat(flat: readonly Float32Array[], chunkLists: readonly (readonly string[])[], weigh = chunkWeights): Float32Array[] {
  const total = chunkLists.reduce((n, c) => n + c.length, 0);
  if (flat.length !== total) throw new RangeError(`poolFlat: ${flat.length} vectors for ${total} chunks`);
  let next = 0;
  return chunkLists.map((chunks) => {
    const own = flat.slice(next, next + chunks.length);
    next += chunks.length;
    return poolChunks(own, weigh(chunks));
  });
}

/**
 * One vector per comment, each given as its chunks: every chunk of every comment goes to the
 * embedder in one call (so one batch of comments is still one model call, and the caches key each
 * chunk by its text), then each comment's chunk vectors are pooled.
 */
export async function embedChunked(embedder: Embedder, chunkLists: readonly (readonly string[])[]): Promise<Float32Array[]> {
  if (chunkLists.length === 0) return [];
  const flat = await embedder.embed(chunkLists.flat());
  return poolFlat(flat, chunkLists);
}
