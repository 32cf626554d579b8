import { createHash } from 'node:crypto';

/**
 * The one key builder. Layout (docs/redis-keys.md):
 *
 *   <prefix>:<ns>:u:{<user>}:p      hash   a user's profile state (all of one user's keys share the hash tag {<user>})
 *   <prefix>:<ns>:u:{<user>}:h      list   the user's recent profile versions (summaries)
 *   <prefix>:<ns>:continuity        hash   the namespace's state epoch and per-partition checkpoints
 *   <prefix>:<ns>:proc:{<instance>} hash   a live processor's stats snapshot (TTL ~15 s)
 *   <prefix>:<ns>:sim:{<shard>}     hash   similar-users snapshot shard: user id → version + int8 centroid
 *   <prefix>:namespaces             set    every namespace ever written (erasure cleans them all)
 *   <prefix>:active-namespace       string the namespace reads and live writes use
 *   <prefix>:namespace-history      list   activations, newest first
 *   <prefix>:forgotten:<sha256>     hash   erasure suppression of a user (id hashed, not stored)
 *   <prefix>:receipts:<eventId>     hash   receipt of a processed forget event (7 days)
 *   <prefix>:spread:<topic>         hash   writes of users seen on several partitions of an input topic, by partition set (7 days)
 *   <prefix>:emb:<model>:<sha256>   string shared embedding cache entry
 *   <prefix>:models:{registry}:*    the model registry (one hash tag: its scripts touch several keys)
 *
 * <user> is the user id escaped so that it can never contain a hash-tag brace, a separator, a glob
 * character or whitespace: encodeURIComponent plus ! ' ( ) * and ~ escaped. The escaping is injective,
 * so one user's id can never name another user's keys, and SCAN patterns over a user's keys are exact.
 */
export function escapeUserId(userId: string): string {
  return encodeURIComponent(userId).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function unescapeUserId(escaped: string): string {
  return decodeURIComponent(escaped);
}

/**
 * The similar-users snapshot shard of a user (0 ≤ shard < shards): FNV-1a (32 bit) of the id's
 * UTF-8 bytes, modulo the shard count. Processors and API processes must use the same count
 * (redis.similarShards); changing it means rebuilding the snapshot.
 */
export function similarShardOf(userId: string, shards: number): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(userId, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}

export class Keys {
  constructor(
    readonly prefix: string,
    readonly namespace: string,
  ) {}

  /** Everything of one namespace starts with this. */
  get nsPrefix(): string {
    return `${this.prefix}:${this.namespace}:`;
  }

  /** Hash tag of a user: Redis Cluster puts every key of the user in one slot. */
  userTag(userId: string): string {
    return `{${escapeUserId(userId)}}`;
  }

  profile(userId: string): string {
    return `${this.nsPrefix}u:${this.userTag(userId)}:p`;
  }

  history(userId: string): string {
    return `${this.nsPrefix}u:${this.userTag(userId)}:h`;
  }

  /** Every key a user can have in namespace `ns` (all in the user's slot). */
  userKeys(userId: string, ns: string = this.namespace): string[] {
    const base = `${this.prefix}:${ns}:u:${this.userTag(userId)}`;
    return [`${base}:p`, `${base}:h`];
  }

  /** The namespace's continuity record (src/store/continuity.ts). */
  continuity(ns: string = this.namespace): string {
    return `${this.prefix}:${ns}:continuity`;
  }

  /** Profile writes of users seen on more than one partition of `topic`, by partition set (src/store/spread.ts). */
  spread(topic: string): string {
    return `${this.prefix}:spread:${topic}`;
  }

  get namespaces(): string {
    return `${this.prefix}:namespaces`;
  }

  get activeNamespace(): string {
    return `${this.prefix}:active-namespace`;
  }

  get namespaceHistory(): string {
    return `${this.prefix}:namespace-history`;
  }

  /** SCAN pattern of every key of namespace `ns`. */
  namespacePattern(ns: string = this.namespace): string {
    return `${this.prefix}:${ns}:*`;
  }

  /** A live processor's stats snapshot (src/store/processor-stats.ts); the instance id is escaped like a user id: one hash tag. */
  proc(instanceId: string, ns: string = this.namespace): string {
    return `${this.prefix}:${ns}:proc:{${escapeUserId(instanceId)}}`;
  }

  /** A shard of the namespace's similar-users snapshot (src/store/similar-snapshot.ts): one hash tag per shard, so Redis Cluster spreads the shards over its nodes. */
  similarShard(shard: number, ns: string = this.namespace): string {
    return `${this.prefix}:${ns}:sim:{${shard}}`;
  }

  /** SCAN pattern of every live processor of a namespace. */
  procPattern(ns: string = this.namespace): string {
    return `${this.prefix}:${ns}:proc:*`;
  }

  /** A shared embedding cache entry: the model's tag and the text's hash (src/store/embedding-cache.ts). */
  embedding(modelTag: string, textHash: string): string {
    return `${this.prefix}:emb:${modelTag}:${textHash}`;
  }

  /** The model registry's keys (src/store/model-registry.ts), all under one hash tag. */
  get registry(): RegistryKeys {
    return new RegistryKeys(this.prefix);
  }

  /** Suppression of an erased user: keyed by a hash, so the id itself is not kept after erasure. */
  forgotten(userId: string): string {
    return `${this.prefix}:forgotten:${createHash('sha256').update(userId, 'utf8').digest('hex')}`;
  }

  receipt(eventId: string): string {
    return `${this.prefix}:receipts:${escapeUserId(eventId)}`;
  }

  /** SCAN pattern matching every key of one user in this namespace. */
  userPattern(userId: string): string {
    return `${this.nsPrefix}u:${this.userTag(userId)}:*`;
  }

  /** SCAN pattern for all profile keys of this namespace. */
  allProfilesPattern(): string {
    return `${this.nsPrefix}u:*:p`;
  }

  /** The user id back from a profile key, or undefined when the key is not one. */
  userIdOf(key: string): string | undefined {
    const m = /^.*:u:\{([^{}]*)\}:p$/.exec(key);
    return m?.[1] === undefined ? undefined : unescapeUserId(m[1]);
  }
}

/** The model registry's keys: `<prefix>:models:{registry}:…`, one hash tag so its scripts are Cluster safe. */
export class RegistryKeys {
  readonly base: string;
  constructor(prefix: string) {
    this.base = `${prefix}:models:{registry}:`;
  }
  artifact(version: string): string {
    return `${this.base}artifact:${version}`;
  }
  get index(): string {
    return `${this.base}index`;
  }
  get active(): string {
    return `${this.base}active`;
  }
  get stack(): string {
    return `${this.base}stack`;
  }
  get history(): string {
    return `${this.base}history`;
  }
  /** SCAN pattern of every registry key. */
  get pattern(): string {
    return `${this.base}*`;
  }
}
