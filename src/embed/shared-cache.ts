import type { EmbeddingCacheStore } from '../store/types.js';
import { dequantize, quantize } from '../util/int8.js';
import { EmbedderDecorator } from './decorator.js';
import type { Embedder } from './types.js';

export interface SharedCacheOptions {
  /**
   * Look vectors up before running the model (rebuilds). A live processor only writes: its texts
   * are mostly new, so a lookup would cost a Redis round trip per batch and find little (repeats
   * within a process are served by the in-process LRU).
   */
  read: boolean;
}

/**
 * A shared embedding cache (in Redis: src/store/embedding-cache.ts), keyed by (model id, the
 * preprocessed text), stored as int8 (516 bytes per vector) with a TTL. Every vector this embedder
 * returns has been through the int8 round trip, whether it came from the cache or from the model, so a live run and a
 * later rebuild (which reads the cache) see identical vectors and build identical profiles; and a
 * rebuild after a classifier or aggregation change does not run the model again.
 *
 * Cache errors (Redis) on the cache path degrade to the model (counted), never fail the batch: the cache
 * is an optimisation, the profile store is the source of truth. Writes are not awaited.
 */
export class SharedCachedEmbedder extends EmbedderDecorator {
  readonly stats = { hits: 0, misses: 0, errors: 0 };
  /** the model id the entries are kept under */
  private readonly model: string;

  constructor(
    inner: Embedder,
    private readonly cache: EmbeddingCacheStore,
    private readonly opts: SharedCacheOptions,
  ) {
    super(inner);
    this.model = inner.id;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    await this.inner.ready();
    const dim = this.inner.dim;
    const model = this.model;
    let cached: (Buffer | null)[] = texts.map(() => null);
    if (this.opts.read) {
      try {
        cached = await this.cache.get(model, texts);
      } catch {
        this.stats.errors++;
      }
    }
    const out = new Array<Float32Array>(texts.length);
    const missing: number[] = [];
    cached.forEach((b, i) => {
      const v = b ? dequantize(b, dim) : undefined;
      if (v) {
        out[i] = v;
        this.stats.hits++;
      } else missing.push(i);
    });
    if (missing.length > 0) {
      this.stats.misses += missing.length;
      const vecs = await this.inner.embed(missing.map((i) => texts[i]!));
      missing.forEach((i, j) => {
        const q = quantize(vecs[j]!);
        out[i] = dequantize(q, dim)!;
        // not awaited: the cache is an optimisation, never on the batch's critical path
        this.cache.set(model, texts[i]!, q).catch(() => this.stats.errors++);
      });
    }
    return out;
  }
}
