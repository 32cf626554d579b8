/**
 * A namespace's continuity record: what ties the state in Redis to the Kafka positions it reflects,
 * so that state Redis lost (a restart without persistence, a flush, an eviction, a snapshot restore)
 * is noticed before new events are folded onto it.
 *
 *   <prefix>:<ns>:continuity   hash
 *     epoch     random id of the state's current epoch; every user state written carries it (`ep`)
 *     floor     profile versions of this epoch are above it (0, or the epoch's start in ms after a loss)
 *     kind      fresh | adopted | lost: how the epoch began
 *     created   epoch ms;  why: a short text for operators
 *     <topic>@<topicId>:<partition>   next offset of that partition folded into this namespace
 *
 * The record lives in Redis beside the state, so it disappears with it. src/pipeline/continuity.ts
 * decides what a missing or changed record means.
 */
import type { Buffer } from 'node:buffer';
import type { Cluster, Redis } from 'ioredis';
import { PortraitError } from '../util/errors.js';
import { Keys } from './keys.js';
import { luaScript } from './lua.js';
import type { RedisClient } from './redis-client.js';
import { scanKeys } from './scan.js';

export type EpochKind = 'fresh' | 'adopted' | 'lost';

export interface Epoch {
  id: string;
  floor: number;
  kind: EpochKind;
  created: number;
}

export interface CheckResult {
  /** the epoch in force; undefined when the record is gone */
  epoch: Epoch | undefined;
  /** next offset of the partition folded into the namespace in that epoch; undefined = none recorded */
  checkpoint: number | undefined;
}

type WithScripts = (Redis | Cluster) & {
  continuityCheck(key: string, field: string, advanceTo: string, expectEpoch: string): Promise<[string | null, string, string, string | null]>;
  continuityCreate(key: string, ...args: string[]): Promise<[string, string, string, string]>;
};

function wrap(err: unknown, what: string): PortraitError {
  return new PortraitError('REDIS_UNAVAILABLE', `Redis ${what} failed: ${(err as Error).message}`, { cause: err });
}

const KINDS = new Set<string>(['fresh', 'adopted', 'lost']);
function epochOf(id: string, floor: string, kind: string, created: string | null | undefined): Epoch {
  return { id, floor: Number(floor) || 0, kind: (KINDS.has(kind) ? kind : 'lost') as EpochKind, created: Number(created ?? 0) || 0 };
}

/** What the states of a namespace look like (a sample), to tell an upgrade from a loss. */
export interface StateSample {
  /** profile keys looked at */
  seen: number;
  /** of those, written before epochs existed (no `ep` field) */
  legacy: number;
}

export class ContinuityStore {
  private readonly redis: WithScripts;
  readonly keys: Keys;

  constructor(redis: RedisClient, keyPrefix: string) {
    if (!('continuityCheck' in redis)) redis.defineCommand('continuityCheck', luaScript('continuity-check-1'));
    if (!('continuityCreate' in redis)) redis.defineCommand('continuityCreate', luaScript('continuity-create-1'));
    this.redis = redis as WithScripts;
    this.keys = new Keys(keyPrefix, '');
  }

  /** The epoch in force and one partition's checkpoint; first advances it to `advanceTo` if the epoch is still `expectEpoch`. */
  async check(ns: string, field: string, advance?: { to: number; epoch: string }): Promise<CheckResult> {
    let r: [string | null, string, string, string | null];
    try {
      r = await this.redis.continuityCheck(this.keys.continuity(ns), field, advance ? String(advance.to) : '', advance?.epoch ?? '');
    } catch (err) {
      throw wrap(err, 'continuity check');
    }
    const [id, floor, kind, ckpt] = r;
    if (!id) return { epoch: undefined, checkpoint: undefined };
    // `created` is not needed on the hot path
    return { epoch: epochOf(id, floor, kind, undefined), checkpoint: ckpt === null || ckpt === undefined ? undefined : Number(ckpt) };
  }

  /** Advance several checkpoints of `epoch` (never backwards; nothing if another epoch is in force). */
  async advance(ns: string, epoch: string, offsets: ReadonlyMap<string, number>): Promise<void> {
    try {
      await Promise.all([...offsets].map(([field, to]) => this.redis.continuityCheck(this.keys.continuity(ns), field, String(to), epoch)));
    } catch (err) {
      throw wrap(err, 'continuity checkpoint');
    }
  }

  /** Start an epoch unless one is in force; returns the one in force afterwards. */
  async create(ns: string, e: Epoch, why: string, checkpoints: ReadonlyMap<string, number> = new Map()): Promise<Epoch> {
    try {
      const [id, floor, kind, created] = await this.redis.continuityCreate(this.keys.continuity(ns), e.id, String(e.floor), e.kind, String(e.created), why, ...[...checkpoints].flatMap(([f, o]) => [f, String(o)]));
      return epochOf(id, floor, kind, created);
    } catch (err) {
      throw wrap(err, 'continuity create');
    }
  }

  /** The whole record (for `portrait topics describe`), or null when there is none. */
  async read(ns: string): Promise<{ epoch: Epoch; why: string; checkpoints: Record<string, number> } | null> {
    let h: Record<string, string>;
    try {
      h = await this.redis.hgetall(this.keys.continuity(ns));
    } catch (err) {
      throw wrap(err, 'continuity read');
    }
    if (!h.epoch) return null;
    const checkpoints: Record<string, number> = {};
    for (const [k, v] of Object.entries(h)) if (k.includes(':')) checkpoints[k] = Number(v);
    return { epoch: epochOf(h.epoch, h.floor ?? '0', h.kind ?? '', h.created), why: h.why ?? '', checkpoints };
  }

  /** Look at up to `limit` profile states of the namespace: how many there are, and how many predate epochs. */
  async sample(ns: string, limit = 200): Promise<StateSample> {
    const out: StateSample = { seen: 0, legacy: 0 };
    const pattern = new Keys(this.keys.prefix, ns).allProfilesPattern();
    try {
      for await (const { node, keys } of scanKeys(this.redis, pattern, 500)) {
        const take = keys.slice(0, limit - out.seen);
        const eps = await Promise.all(take.map((k) => node.hget(k, 'ep')));
        out.seen += take.length;
        out.legacy += eps.filter((e) => e === null || e === '').length;
        if (out.seen >= limit) break;
      }
    } catch (err) {
      throw wrap(err, 'continuity sample');
    }
    return out;
  }
}

/** A new random epoch id (URL-safe, 12 characters). */
export function newEpochId(random: (n: number) => Buffer): string {
  return random(9).toString('base64url');
}
