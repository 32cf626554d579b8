import { createHash } from 'node:crypto';
import type { RedisClient } from '../store/redis-client.js';
import { Keys } from '../store/keys.js';
import { dequantize, quantize } from '../util/int8.js';
import type { Embedder } from './types.js';

export interface RedisEmbeddingCacheOptions {
  keyPrefix: string;
  ttlSeconds: number;
  /**
   * Look vectors up before running the model (rebuilds). A live processor only writes: its texts
   * are mostly new, so a lookup would cost a Redis round trip per batch and find little (repeats
   * within a process are served by the in-process LRU).
   */
  read: boolean;
}

/**
 * A shared embedding cache in Redis, keyed by (model id, sha256 of the preprocessed text), stored
 * as int8 (516 bytes per vector) with a TTL. Every vector this embedder returns has been through
 * the int8 round trip, whether it came from the cache or from the model, so a live run and a
 * later rebuild (which reads the cache) see identical vectors and build identical profiles; and a
 * rebuild after a classifier or aggregation change does not run the model again.
 *
 * Redis errors on the cache path degrade to the model (counted), never fail the batch: the cache
 * is an optimisation, the profile store is the source of truth. Writes are not awaited.
 */
export class RedisCachedEmbedder implements Embedder {
  readonly stats = { hits: 0, misses: 0, errors: 0 };
  private readonly modelTag: string;
  private readonly keys: Keys;

  constructor(
    readonly inner: Embedder,
    private readonly redis: RedisClient,
    private readonly opts: RedisEmbeddingCacheOptions,
  ) {
    this.modelTag = createHash('sha256').update(inner.id).digest('hex').slice(0, 12);
    this.keys = new Keys(opts.keyPrefix, '');
  }

  get id(): string {
    return this.inner.id;
  }

  get dim(): number {
    return this.inner.dim;
  }

  ready(): Promise<void> {
    return this.inner.ready();
  }

  private key(text: string): string {
    return this.keys.embedding(this.modelTag, createHash('sha256').update(text).digest('base64url'));
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    await this.inner.ready();
    const dim = this.inner.dim;
    const keys = texts.map((t) => this.key(t));
    let cached: (Buffer | null)[] = keys.map(() => null);
    if (this.opts.read) {
      try {
        cached = await Promise.all(keys.map((k) => this.redis.getBuffer(k)));
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
        const write = this.opts.ttlSeconds > 0 ? this.redis.set(keys[i]!, q, 'EX', this.opts.ttlSeconds) : this.redis.set(keys[i]!, q);
        write.catch(() => this.stats.errors++);
      });
    }
    return out;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
