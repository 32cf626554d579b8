/**
 * Embedding texts for training and evaluation: deduplicated, in chunks (progress on stderr), and
 * cached on disk so a second run over the same data embeds nothing.
 *
 * Cache file: `<dir>/<slug of embedder id>-<dim>.emb`, append-only records of
 * [32-byte sha256 of the text][dim little-endian float32]. A torn last record (a crash mid-write)
 * is ignored. The key is the text exactly as embedded (already preprocessed), the file name the
 * embedder id, so another model or dimension never reads these vectors.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { poolFlat } from '../embed/pool.js';
import type { Embedder } from '../embed/types.js';
import { createProgress } from '../util/progress.js';

export interface EmbedOptions {
  /** Directory of the disk cache; undefined = no disk cache. */
  cacheDir?: string | undefined;
  /** Texts per request to the embedder (it batches further inside). Default 256. */
  chunk?: number;
  /** Progress label on stderr; undefined = no progress output. */
  progressLabel?: string | undefined;
}

export interface EmbedStats {
  texts: number;
  unique: number;
  cached: number;
  embedded: number;
  seconds: number;
}

const hashText = (t: string) => createHash('sha256').update(t).digest();

export function cacheFile(dir: string, embedderId: string, dim: number): string {
  const slug = embedderId.replace(/[^A-Za-z0-9._-]+/g, '_');
  return join(dir, `${slug}-${dim}.emb`);
}

/** Read a cache file into a map (hex hash → vector). */
export function readCache(file: string, dim: number): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  if (!existsSync(file)) return out;
  const buf = readFileSync(file);
  const rec = 32 + 4 * dim;
  for (let off = 0; off + rec <= buf.length; off += rec) {
    const key = buf.subarray(off, off + 32).toString('hex');
    const v = new Float32Array(dim);
    for (let j = 0; j < dim; j++) v[j] = buf.readFloatLE(off + 32 + 4 * j);
    out.set(key, v);
  }
  return out;
}

function encodeRecords(entries: readonly [Buffer, Float32Array][], dim: number): Buffer {
  const rec = 32 + 4 * dim;
  const buf = Buffer.alloc(rec * entries.length);
  entries.forEach(([h, v], k) => {
    h.copy(buf, k * rec);
    for (let j = 0; j < dim; j++) buf.writeFloatLE(v[j]!, k * rec + 32 + 4 * j);
  });
  return buf;
}

/** Embed `texts` (already preprocessed) with the cache; one vector per text, in order. */
export async function embedTexts(embedder: Embedder, texts: readonly string[], opts: EmbedOptions = {}): Promise<{ vectors: Float32Array[]; stats: EmbedStats }> {
  const started = Date.now();
  await embedder.ready();
  const dim = embedder.dim;
  const file = opts.cacheDir ? cacheFile(opts.cacheDir, embedder.id, dim) : undefined;
  const cache = file ? readCache(file, dim) : new Map<string, Float32Array>();
  const hashes = texts.map(hashText);
  const keys = hashes.map((h) => h.toString('hex'));
  const missing = new Map<string, number>(); // key → first index
  keys.forEach((k, i) => {
    if (!cache.has(k) && !missing.has(k)) missing.set(k, i);
  });
  const unique = new Set(keys).size;
  const todo = [...missing.values()];
  const chunk = Math.max(1, opts.chunk ?? 256);
  const progress = opts.progressLabel && todo.length > 0 ? createProgress({ total: todo.length, label: opts.progressLabel }) : undefined;
  if (file) mkdirSync(opts.cacheDir!, { recursive: true });
  try {
    for (let s = 0; s < todo.length; s += chunk) {
      const idx = todo.slice(s, s + chunk);
      const vecs = await embedder.embed(idx.map((i) => texts[i]!));
      const entries: [Buffer, Float32Array][] = idx.map((i, k) => [hashes[i]!, Float32Array.from(vecs[k]!)]);
      entries.forEach(([h, v]) => cache.set(h.toString('hex'), v));
      if (file) appendFileSync(file, encodeRecords(entries, dim));
      progress?.update(Math.min(todo.length, s + chunk));
    }
  } finally {
    progress?.stop();
  }
  return {
    vectors: keys.map((k) => cache.get(k)!),
    stats: { texts: texts.length, unique, cached: unique - todo.length, embedded: todo.length, seconds: (Date.now() - started) / 1000 },
  };
}

/**
 * One vector per text given as its chunks (preprocess()'s `chunks`): every chunk embedded through
 * embedTexts (so the disk cache keys chunks by their text), then pooled as the pipeline pools them
 * (src/embed/pool.ts). A text of one chunk gets that chunk's vector. `stats` counts chunks.
 */
export async function embedChunkLists(embedder: Embedder, chunkLists: readonly (readonly string[])[], opts: EmbedOptions = {}): Promise<{ vectors: Float32Array[]; stats: EmbedStats }> {
  const { vectors, stats } = await embedTexts(embedder, chunkLists.flat(), opts);
  return { vectors: poolFlat(vectors, chunkLists), stats };
}
