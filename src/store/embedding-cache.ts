/**
 * The shared embedding cache in Redis (docs/redis-keys.md):
 *
 *   <prefix>:emb:<model>:<sha256>   string  float32 scale + int8 vector (src/embed/quantize.ts), TTL
 *
 * <model> is the first 12 hex digits of the sha256 of the embedder's id, <sha256> the base64url
 * sha256 of the preprocessed text (unsalted: docs/security.md). Bytes in, bytes out: the embedder
 * decorator that quantizes, and decides when to read, is src/embed/shared-cache.ts.
 */
import type { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { Keys } from './keys.js';
import type { RedisClient } from './redis-client.js';
import type { EmbeddingCacheStore } from './types.js';
import type { WriteBehind } from './write-behind.js';

export interface RedisEmbeddingCacheOptions {
  keyPrefix: string;
  /** TTL of an entry; 0 = none */
  ttlSeconds: number;
  /** hold writes until the next profile write (one round trip for both: write-behind.ts); absent = sent at once */
  writeBehind?: WriteBehind | undefined;
}

export class RedisEmbeddingCache implements EmbeddingCacheStore {
  private readonly keys: Keys;
  /** model id → its tag in the keys (the last one asked for: one embedder per cache in practice) */
  private tag: { modelId: string; tag: string } | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly opts: RedisEmbeddingCacheOptions,
  ) {
    this.keys = new Keys(opts.keyPrefix, '');
  }

  private modelTag(modelId: string): string {
    if (this.tag?.modelId !== modelId) this.tag = { modelId, tag: createHash('sha256').update(modelId).digest('hex').slice(0, 12) };
    return this.tag.tag;
  }

  /** The key of a text's entry under a model id. */
  key(modelId: string, text: string): string {
    return this.keys.embedding(this.modelTag(modelId), createHash('sha256').update(text).digest('base64url'));
  }

  get(modelId: string, texts: readonly string[]): Promise<(Buffer | null)[]> {
    return Promise.all(texts.map((t) => this.redis.getBuffer(this.key(modelId, t))));
  }

  set(modelId: string, text: string, vector: Buffer): Promise<unknown> {
    const key = this.key(modelId, text);
    const write = () => (this.opts.ttlSeconds > 0 ? this.redis.set(key, vector, 'EX', this.opts.ttlSeconds) : this.redis.set(key, vector));
    return this.opts.writeBehind ? this.opts.writeBehind.add(write) : write();
  }
}
