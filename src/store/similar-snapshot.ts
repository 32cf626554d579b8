/**
 * The similar-users snapshot: every user's unit centroid, int8-quantised with its scale (the
 * embedding cache's record, src/util/int8.ts `quantize`: 4 + dim bytes) and the profile version it
 * belongs to, in `redis.similarShards` hashes per namespace (keys.ts `similarShard`: one hash tag
 * per shard, so Redis Cluster spreads them). Written by the processors (RedisProfileStore.apply,
 * after a successful compare-and-set, riding in the next round trip through the write-behind),
 * read by the API at start-up (docs/api.md "similar"), entries removed by the store's forget.
 *
 * An entry is `<version>:<record>`, about 520 bytes at dim 512; the Lua `similar-set` keeps the
 * newest version only.
 */
import type { Cluster, Redis } from 'ioredis';
import { quantize } from '../util/int8.js';
import { Keys, similarShardOf } from './keys.js';
import { luaScript } from './lua.js';
import type { RedisClient } from './redis-client.js';
import type { SimilarEntry } from './types.js';
import type { WriteBehind } from './write-behind.js';

type WithScript = (Redis | Cluster) & {
  similarSet(key: string, userId: string, version: number, record: Buffer): Promise<number>;
};

export interface SimilarSnapshotOptions {
  keyPrefix: string;
  namespace: string;
  /** shards per namespace (redis.similarShards) */
  shards: number;
  /** queue() sends with the next profile write's round trip (absent: queue() sends at once) */
  writeBehind?: WriteBehind | undefined;
}

/** One entry as read back: the row is a view into the reply's buffer. */
export interface SnapshotRow {
  userId: string;
  version: number;
  /** the quantisation scale: component ≈ row[i] · scale */
  scale: number;
  row: Int8Array;
}

const COLON = 0x3a;

/** The stored value of an entry (pure). */
export function encodeSimilarEntry(version: number, centroid: ArrayLike<number>): Buffer {
  if (!Number.isSafeInteger(version) || version < 1) throw new RangeError(`version must be a positive integer, got ${version}`);
  return Buffer.concat([Buffer.from(`${version}:`, 'latin1'), quantize(centroid)]);
}

/** An entry back from its stored value (pure); undefined when it is not a `<version>:<scale><int8 × dim>` of this dimension (dim undefined: any). */
export function decodeSimilarEntry(userId: string, value: Buffer, dim?: number): SnapshotRow | undefined {
  const colon = value.indexOf(COLON);
  if (colon < 1 || colon > 16) return undefined;
  const version = Number(value.toString('latin1', 0, colon));
  const n = value.length - colon - 1 - 4;
  if (!Number.isSafeInteger(version) || version < 1 || n < 1 || (dim !== undefined && n !== dim)) return undefined;
  const scale = value.readFloatLE(colon + 1);
  if (!Number.isFinite(scale) || scale <= 0) return undefined;
  return { userId, version, scale, row: new Int8Array(value.buffer, value.byteOffset + colon + 5, n) };
}

export class RedisSimilarSnapshot {
  readonly keys: Keys;
  private readonly redis: WithScript;

  constructor(
    redis: RedisClient,
    private readonly opts: SimilarSnapshotOptions,
  ) {
    if (!Number.isInteger(opts.shards) || opts.shards < 1) throw new RangeError(`shards must be a positive integer, got ${opts.shards}`);
    this.keys = new Keys(opts.keyPrefix, opts.namespace);
    if (!('similarSet' in redis)) redis.defineCommand('similarSet', luaScript('similar-set-1'));
    this.redis = redis as WithScript;
  }

  get shards(): number {
    return this.opts.shards;
  }

  get namespace(): string {
    return this.opts.namespace;
  }

  /** The shard key holding a user's entry (in namespace `ns`). */
  keyOf(userId: string, ns: string = this.opts.namespace): string {
    return this.keys.similarShard(similarShardOf(userId, this.opts.shards), ns);
  }

  /** Send the entries now (issued in this tick: one pipeline with whatever else is issued in it); 1 per entry written, 0 when a newer one was there. */
  write(entries: readonly SimilarEntry[]): Promise<number[]> {
    return Promise.all(entries.map((e) => this.redis.similarSet(this.keyOf(e.userId), e.userId, e.version, quantize(e.centroid))));
  }

  /**
   * Send the entries with the next round trip somebody waits for (the write-behind), or now when
   * there is none. Nobody waits for these: a failure is counted and the entry is rewritten by the
   * user's next profile write (or a redelivery's refresh).
   */
  queue(entries: readonly SimilarEntry[]): void {
    if (entries.length === 0) return;
    // encode now: the caller's centroid arrays may be reused
    const encoded = entries.map((e) => ({ key: this.keyOf(e.userId), userId: e.userId, version: e.version, value: quantize(e.centroid) }));
    const send = () => Promise.all(encoded.map((e) => this.redis.similarSet(e.key, e.userId, e.version, e.value)));
    const p = this.opts.writeBehind ? this.opts.writeBehind.add(send) : send();
    p.catch(() => {
      this.failedWrites += encoded.length;
    });
  }

  /** entries whose write failed (Redis away): they come back with the users' next writes */
  failedWrites = 0;

  /** Remove a user's entry from the snapshot of each namespace (erasure). */
  async remove(userId: string, namespaces: readonly string[] = [this.opts.namespace]): Promise<number> {
    const n = await Promise.all(namespaces.map((ns) => this.redis.hdel(this.keyOf(userId, ns), userId)));
    return n.reduce((a, b) => a + b, 0);
  }

  /** One shard's entries (the rows are views into the reply). */
  async readShard(shard: number, dim?: number): Promise<{ rows: SnapshotRow[]; bytes: number; bad: number }> {
    const raw = (await this.redis.hgetallBuffer(this.keys.similarShard(shard))) as Record<string, Buffer>;
    const rows: SnapshotRow[] = [];
    let bytes = 0;
    let bad = 0;
    for (const [userId, value] of Object.entries(raw)) {
      bytes += value.length;
      const r = decodeSimilarEntry(userId, value, dim);
      if (r) rows.push(r);
      else bad++;
    }
    return { rows, bytes, bad };
  }

  /**
   * Read every shard, `concurrency` shards in flight (HGETALL each: a shard holds users / shards
   * entries), handing each entry to `onRow` as it arrives.
   */
  async load(onRow: (row: SnapshotRow) => void, opts: { concurrency?: number; dim?: number } = {}): Promise<{ entries: number; bytes: number; bad: number; shards: number }> {
    const total = { entries: 0, bytes: 0, bad: 0, shards: this.opts.shards };
    let next = 0;
    const worker = async () => {
      for (let s = next++; s < this.opts.shards; s = next++) {
        const { rows, bytes, bad } = await this.readShard(s, opts.dim);
        for (const r of rows) onRow(r);
        total.entries += rows.length;
        total.bytes += bytes;
        total.bad += bad;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.shards, opts.concurrency ?? 16) }, worker));
    return total;
  }

  /** Delete every shard of this namespace (tests, the bench). */
  async clear(): Promise<void> {
    for (let s = 0; s < this.opts.shards; s += 512) {
      const keys = Array.from({ length: Math.min(512, this.opts.shards - s) }, (_, i) => this.keys.similarShard(s + i));
      await Promise.all(keys.map((k) => this.redis.unlink(k)));
    }
  }
}
