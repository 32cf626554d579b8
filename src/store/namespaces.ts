/**
 * Profile namespaces: profiles can be rebuilt side by side (`portrait replay --into <ns>`) and
 * switched to atomically (`portrait namespace activate <ns>`). The active namespace lives in one
 * Redis key; processors and readers follow it within about a second.
 */
import { metaSeen } from '../profile/codec.js';
import { PortraitError } from '../util/errors.js';
import type { RedisClient } from './redis-client.js';
import { scanKeys } from './scan.js';
import { Keys } from './keys.js';

export const NAMESPACE_RE = /^(?!(?:emb|forgotten|models|namespaces|receipts)$)[A-Za-z0-9_.-]{1,64}$/; // not a global key family: `drop` deletes <prefix>:<ns>:*

export function checkNamespace(ns: string): string {
  if (!NAMESPACE_RE.test(ns)) throw new PortraitError('USAGE', `namespace ${JSON.stringify(ns)} must be 1-64 letters, digits, _ . or -`);
  return ns;
}

export interface NamespaceSpan {
  namespace: string;
  /** profiles with at least one folded comment */
  profiles: number;
  /** the oldest firstSeen of its profiles, epoch ms (undefined: no profiles) */
  oldestFirstSeen: number | undefined;
  newestLastSeen: number | undefined;
}

/**
 * A rebuilt namespace covers less history than the one it would replace when its oldest firstSeen
 * is later than the live one's by more than this: a rebuild from a topic whose retention deleted
 * older comments. The slack absorbs segments deleted by retention between the two builds.
 */
export const COVERAGE_SLACK_MS = 86_400_000;

/** Pure: how much older history `live` covers than `candidate` (ms), or undefined when the candidate covers as much (within COVERAGE_SLACK_MS) or live has no profiles. */
export function missingHistory(candidate: NamespaceSpan, live: NamespaceSpan): number | undefined {
  if (live.oldestFirstSeen === undefined) return undefined;
  if (candidate.oldestFirstSeen === undefined) return Number.POSITIVE_INFINITY;
  const gap = candidate.oldestFirstSeen - live.oldestFirstSeen;
  return gap > COVERAGE_SLACK_MS ? gap : undefined;
}

/** firstSeen / lastSeen of a stored state's `meta`; undefined for a state without comments or one that does not parse. */
function seenOf(meta: string | null): { first: number; last: number } | undefined {
  const m = meta ? metaSeen(meta) : undefined;
  return m && m.count > 0 ? { first: m.firstSeen, last: m.lastSeen } : undefined;
}

export class Namespaces {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    /** the namespace in force while none was ever activated (redis.namespace) */
    private readonly fallback: string,
  ) {}

  private get keys(): Keys {
    return new Keys(this.prefix, this.fallback);
  }

  get activeKey(): string {
    return this.keys.activeNamespace;
  }

  get registryKey(): string {
    return this.keys.namespaces;
  }

  get historyKey(): string {
    return this.keys.namespaceHistory;
  }

  async active(): Promise<string> {
    return (await this.redis.get(this.activeKey)) ?? this.fallback;
  }

  /** Every namespace ever written and the active one, sorted (no key is scanned). */
  async names(): Promise<{ namespace: string; active: boolean }[]> {
    const active = await this.active();
    const all = [...new Set([...(await this.redis.smembers(this.registryKey)), active])].sort();
    return all.map((ns) => ({ namespace: ns, active: ns === active }));
  }

  async list(): Promise<{ namespace: string; active: boolean; profiles: number }[]> {
    const out = [];
    for (const n of await this.names()) out.push({ ...n, profiles: await this.count(new Keys(this.prefix, n.namespace).allProfilesPattern()) });
    return out;
  }

  /** Switch reads and live writes to `ns`; returns the namespace it replaces. */
  async activate(ns: string): Promise<string> {
    checkNamespace(ns);
    const previous = await this.active();
    await this.redis.sadd(this.registryKey, ns);
    await this.redis.set(this.activeKey, ns);
    await this.redis.lpush(this.historyKey, JSON.stringify({ from: previous, to: ns, at: new Date().toISOString() }));
    await this.redis.ltrim(this.historyKey, 0, 99);
    return previous;
  }

  /**
   * Delete every key of a namespace, active or not (its profiles, histories and continuity record);
   * the namespace stays registered. For state that no longer matches any topic (`stack up --fresh --drop-state`).
   */
  async wipe(ns: string): Promise<number> {
    checkNamespace(ns);
    return this.deleteMatching(this.keys.namespacePattern(ns));
  }

  /** Delete every key of an inactive namespace. */
  async drop(ns: string): Promise<number> {
    checkNamespace(ns);
    if (ns === (await this.active())) throw new PortraitError('USAGE', `namespace ${ns} is active; activate another one before dropping it`);
    const n = await this.deleteMatching(this.keys.namespacePattern(ns));
    await this.redis.srem(this.registryKey, ns);
    return n;
  }

  /**
   * The history a namespace's profiles cover: how many there are and the oldest `firstSeen` and
   * newest `lastSeen` among them (epoch ms; undefined when it has none). Reads every profile's
   * `meta` field: O(profiles), for operator commands (replay, activate), not for a request path.
   */
  async span(ns: string): Promise<NamespaceSpan> {
    checkNamespace(ns);
    let profiles = 0;
    let oldest: number | undefined;
    let newest: number | undefined;
    for await (const { node, keys } of scanKeys(this.redis, new Keys(this.prefix, ns).allProfilesPattern())) {
      // one key per command: keys of different users live in different Cluster slots
      const metas = await Promise.all(keys.map((k) => node.hget(k, 'meta')));
      for (const m of metas) {
        const seen = seenOf(m);
        if (!seen) continue;
        profiles++;
        if (oldest === undefined || seen.first < oldest) oldest = seen.first;
        if (newest === undefined || seen.last > newest) newest = seen.last;
      }
    }
    return { namespace: ns, profiles, oldestFirstSeen: oldest, newestLastSeen: newest };
  }

  private async count(pattern: string): Promise<number> {
    let n = 0;
    for await (const { keys } of scanKeys(this.redis, pattern)) n += keys.length;
    return n;
  }

  private async deleteMatching(pattern: string): Promise<number> {
    let n = 0;
    // one key per command: keys of different users live in different Cluster slots
    for await (const { node, keys } of scanKeys(this.redis, pattern)) n += (await Promise.all(keys.map((k) => node.unlink(k)))).reduce((a, b) => a + b, 0);
    return n;
  }
}
