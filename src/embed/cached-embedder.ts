import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { EmbedderDecorator } from './decorator.js';
import type { Embedder } from './types.js';

export interface CacheStats {
  hits: number;
  misses: number;
}

/**
 * An LRU cache in front of an embedder, keyed by (model id, sha256 of the text): repeated texts
 * ("+1", "好评", copy-pasted spam) and replays skip inference. Only hashes are kept as keys.
 */
export class CachedEmbedder extends EmbedderDecorator {
  private readonly cache: LRUCache<string, Float32Array>;
  readonly stats: CacheStats = { hits: 0, misses: 0 };

  constructor(inner: Embedder, maxEntries: number) {
    super(inner);
    this.cache = new LRUCache({ max: Math.max(1, maxEntries) });
  }

  private key(text: string): string {
    return `${this.inner.id}\u0000${createHash('sha256').update(text).digest('base64url')}`;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const keys = texts.map((t) => this.key(t));
    const out = new Array<Float32Array | undefined>(texts.length);
    const missIdx = new Map<string, number[]>();
    keys.forEach((k, i) => {
      const hit = this.cache.get(k);
      if (hit) {
        out[i] = hit;
        this.stats.hits++;
      } else {
        const list = missIdx.get(k);
        if (list) list.push(i);
        else missIdx.set(k, [i]);
      }
    });
    if (missIdx.size > 0) {
      const unique = [...missIdx.values()].map((idx) => texts[idx[0]!]!);
      this.stats.misses += unique.length;
      const vecs = await this.inner.embed(unique);
      [...missIdx.entries()].forEach(([k, idx], j) => {
        const v = vecs[j]!;
        this.cache.set(k, v);
        for (const i of idx) out[i] = v;
      });
    }
    return out as Float32Array[];
  }
}
