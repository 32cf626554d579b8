import type { Cluster, Redis } from 'ioredis';
import { decodeState, encodeState, type AggregateState } from '../profile/index.js';
import { PortraitError } from '../util/errors.js';
import { Keys } from './keys.js';
import { luaScript } from './lua.js';
import type { RedisClient } from './redis-client.js';
import type { ReplicaWait } from './replicas.js';
import type { RedisSimilarSnapshot } from './similar-snapshot.js';
import { noteSpread } from './spread.js';
import type { ForgetReceipt, LoadedUser, ProfileStore, ProfileWrite, SimilarEntry, StoredHead, Suppression, WriteResult } from './types.js';
import type { WriteBehind } from './write-behind.js';

type WithScripts = (Redis | Cluster) & {
  applyProfile(key: string, history: string, ...args: (string | Buffer | number)[]): Promise<[number, number]>;
  suppress(key: string, ts: number, offsets: string): Promise<number>;
};

const RECEIPT_TTL_SECONDS = 7 * 86_400;

export interface RedisProfileStoreOptions {
  keyPrefix: string;
  namespace: string;
  userTtlSeconds: number;
  /** profile versions kept per user in the history list (default 20) */
  historyLength?: number;
  /** writes waiting to ride with the next profile write (the shared embedding cache: write-behind.ts) */
  writeBehind?: WriteBehind | undefined;
  /**
   * the namespace's similar-users snapshot: each successful write's centroid is queued to it (with
   * `writeBehind`, it rides in the next round trip), forget removes the user from it
   */
  similar?: RedisSimilarSnapshot | undefined;
  /** the client's replica confirmation (redis.waitReplicas): replicated() waits on it */
  replicas?: ReplicaWait | undefined;
}

function suppressionOf([ts, offsets]: (string | null)[]): Suppression | null {
  return ts ? { ts: Number(ts), offsets: offsets ? (JSON.parse(offsets) as Record<string, number>) : {} } : null;
}

function wrap(err: unknown, what: string): PortraitError {
  return new PortraitError('REDIS_UNAVAILABLE', `Redis ${what} failed: ${(err as Error).message}`, { cause: err });
}

/**
 * ProfileStore on Redis (single server or Cluster). Every call is sent as independent commands on
 * an auto-pipelined connection, so a batch of users costs one round trip per Redis node, and no
 * command ever spans two users' hash tags.
 */
export class RedisProfileStore implements ProfileStore {
  readonly keys: Keys;
  private readonly redis: WithScripts;

  constructor(
    redis: RedisClient,
    private readonly opts: RedisProfileStoreOptions,
  ) {
    this.keys = new Keys(opts.keyPrefix, opts.namespace);
    if (!('applyProfile' in redis)) redis.defineCommand('applyProfile', luaScript('apply-profile-2'));
    if (!('suppress' in redis)) redis.defineCommand('suppress', luaScript('suppress-1'));
    this.redis = redis as WithScripts;
  }

  get namespace(): string {
    return this.opts.namespace;
  }

  replicated(): Promise<void> {
    return this.opts.replicas?.wait() ?? Promise.resolve();
  }

  async load(userIds: readonly string[], dim: number): Promise<Map<string, LoadedUser>> {
    let rows: (Buffer | null)[][];
    let sups: (string | null)[][];
    try {
      [rows, sups] = await Promise.all([Promise.all(userIds.map((u) => this.redis.hmgetBuffer(this.keys.profile(u), 'v', 'meta', 'c', 'applied', 'tok', 'ids', 'ep'))), this.suppressionRows(userIds)]);
    } catch (err) {
      throw wrap(err, 'load');
    }
    const out = new Map<string, LoadedUser>();
    userIds.forEach((u, i) => {
      const suppression = suppressionOf(sups[i]!);
      const [v, meta, c, applied, tok, ids, ep] = rows[i]!;
      if (!v || !meta || !c) {
        out.set(u, { profile: null, suppression });
        return;
      }
      let state: AggregateState;
      try {
        state = decodeState(meta.toString('utf8'), c, dim);
      } catch (cause) {
        // Never overwrite what cannot be read: a corrupt state or one written by an embedder of
        // another dimension (rebuild into a fresh namespace instead) stops the processor.
        throw new PortraitError('STATE_CORRUPT', `stored profile of user ${JSON.stringify(u)} in namespace ${this.opts.namespace} cannot be decoded: ${(cause as Error).message}`, { cause });
      }
      out.set(u, {
        profile: {
          version: Number(v.toString()),
          state,
          applied: applied ? (JSON.parse(applied.toString('utf8')) as Record<string, number>) : {},
          token: tok ? tok.toString('utf8') : '',
          recent: ids ? ids.toString('latin1') : '',
          epoch: ep ? ep.toString('utf8') : '',
        },
        suppression,
      });
    });
    return out;
  }

  private suppressionRows(userIds: readonly string[]): Promise<(string | null)[][]> {
    return Promise.all(userIds.map((u) => this.redis.hmget(this.keys.forgotten(u), 'ts', 'offsets')));
  }

  async suppressions(userIds: readonly string[]): Promise<Map<string, Suppression | null>> {
    try {
      const rows = await this.suppressionRows(userIds);
      return new Map(userIds.map((u, i) => [u, suppressionOf(rows[i]!)]));
    } catch (err) {
      throw wrap(err, 'read');
    }
  }

  async erase(userId: string): Promise<{ namespaces: string[]; keysDeleted: number }> {
    // a similar-users snapshot write of this user still held back goes out first: commands on one
    // connection run in order, so it cannot land after the removal below and bring the user back
    this.opts.writeBehind?.flush();
    try {
      const namespaces = [...new Set([...(await this.redis.smembers(this.keys.namespaces)), this.opts.namespace])].sort();
      // every key of the user, in every namespace, shares the user's hash tag: one slot, one DEL
      const keysDeleted = await this.redis.del(...namespaces.flatMap((ns) => this.keys.userKeys(userId, ns)));
      // and the user's entry in each namespace's similar-users snapshot (another slot: its shard's)
      await this.opts.similar?.remove(userId, namespaces);
      return { namespaces, keysDeleted };
    } catch (err) {
      throw wrap(err, 'erase');
    }
  }

  async forget(userId: string, suppression: Suppression, eventId: string, now: number): Promise<ForgetReceipt> {
    try {
      await this.redis.suppress(this.keys.forgotten(userId), suppression.ts, JSON.stringify(suppression.offsets));
    } catch (err) {
      throw wrap(err, 'forget');
    }
    const { namespaces, keysDeleted } = await this.erase(userId);
    try {
      const receipt: ForgetReceipt = { eventId, namespaces, keysDeleted, processedAt: now };
      const key = this.keys.receipt(eventId);
      const first = await this.redis.set(key, JSON.stringify(receipt), 'EX', RECEIPT_TTL_SECONDS, 'NX');
      if (first === 'OK') return receipt;
      return (await this.receipt(eventId)) ?? receipt;
    } catch (err) {
      throw wrap(err, 'forget');
    }
  }

  async receipt(eventId: string): Promise<ForgetReceipt | null> {
    const raw = await this.redis.get(this.keys.receipt(eventId));
    return raw === null ? null : (JSON.parse(raw) as ForgetReceipt);
  }

  async registerNamespace(): Promise<void> {
    try {
      await this.redis.sadd(this.keys.namespaces, this.opts.namespace);
    } catch (err) {
      throw wrap(err, 'register namespace');
    }
  }

  async apply(writes: readonly ProfileWrite[]): Promise<Map<string, WriteResult>> {
    let results: [number, number][];
    // same tick as the compare-and-sets below: the queued writes join their round trip
    this.opts.writeBehind?.flush();
    try {
      results = await Promise.all(
        writes.map((w) => {
          const enc = w.encoded ?? encodeState(w.state);
          return this.redis.applyProfile(
            this.keys.profile(w.userId),
            this.keys.history(w.userId),
            w.expectedVersion,
            w.version,
            enc.meta,
            enc.centroid,
            JSON.stringify(w.applied),
            w.profileJson,
            this.opts.userTtlSeconds,
            w.updatedAt,
            w.historyJson ?? '',
            this.opts.historyLength ?? 20,
            w.expectedToken ?? '',
            w.token ?? '',
            ...(w.recent !== undefined || w.epoch !== undefined ? [w.recent ?? ''] : []),
            ...(w.epoch !== undefined ? [w.epoch] : []),
          );
        }),
      );
    } catch (err) {
      throw wrap(err, 'apply');
    }
    const out = new Map<string, WriteResult>();
    const similar: SimilarEntry[] = [];
    writes.forEach((w, i) => {
      const [ok, v] = results[i]!;
      out.set(w.userId, ok === 1 ? { ok: true, version: v } : { ok: false, currentVersion: v });
      // only a write that won its compare-and-set reaches the snapshot: a lost race never does
      if (ok === 1 && w.centroid) similar.push({ userId: w.userId, version: w.version, centroid: w.centroid });
    });
    // held back until the next profile write's round trip (or the write-behind's delay)
    this.opts.similar?.queue(similar);
    return out;
  }

  refreshSimilar(entries: readonly SimilarEntry[]): void {
    this.opts.similar?.queue(entries);
  }

  async noteSpread(topic: string, sets: ReadonlyMap<string, number>, now: number): Promise<void> {
    try {
      await noteSpread(this.redis, this.keys, topic, sets, now);
    } catch (err) {
      throw wrap(err, 'spread record');
    }
  }

  /** Whether each user has a profile in this namespace (EXISTS per user, one round trip): the API drops erased users from similar-users results. */
  async existing(userIds: readonly string[]): Promise<boolean[]> {
    try {
      const n = await Promise.all(userIds.map((u) => this.redis.exists(this.keys.profile(u))));
      return n.map((x) => x === 1);
    } catch (err) {
      throw wrap(err, 'exists');
    }
  }

  async heads(userIds: readonly string[], withProfile: boolean): Promise<Map<string, StoredHead | null>> {
    const fields = withProfile ? ['v', 'tok', 'profile'] : ['v', 'tok'];
    let rows: (string | null)[][];
    try {
      rows = await Promise.all(userIds.map((u) => this.redis.hmget(this.keys.profile(u), ...fields)));
    } catch (err) {
      throw wrap(err, 'read');
    }
    const out = new Map<string, StoredHead | null>();
    userIds.forEach((u, i) => {
      const [v, tok, profile] = rows[i]!;
      if (!v || (withProfile && !profile)) out.set(u, null);
      else out.set(u, { version: Number(v), token: tok ?? '', ...(withProfile ? { profile: profile! } : {}) });
    });
    return out;
  }

  async getProfile(userId: string): Promise<unknown> {
    let raw: string | null;
    try {
      raw = await this.redis.hget(this.keys.profile(userId), 'profile');
    } catch (err) {
      throw wrap(err, 'read');
    }
    return raw === null ? null : (JSON.parse(raw) as unknown);
  }

  async ping(): Promise<void> {
    try {
      if ('nodes' in this.redis && typeof this.redis.nodes === 'function') {
        await Promise.all(this.redis.nodes('master').map((n) => n.ping()));
      } else await this.redis.ping();
    } catch (err) {
      throw wrap(err, 'ping');
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
