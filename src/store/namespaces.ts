/**
 * Profile namespaces: profiles can be rebuilt side by side (`portrait replay --into <ns>`) and
 * switched to atomically (`portrait namespace activate <ns>`). The active namespace lives in one
 * Redis key; processors and readers follow it within about a second.
 */
import { PortraitError } from '../util/errors.js';
import type { RedisClient } from './redis-client.js';
import { scanKeys } from './scan.js';
import { Keys } from './keys.js';

export const NAMESPACE_RE = /^(?!(?:emb|forgotten|models|namespaces|receipts)$)[A-Za-z0-9_.-]{1,64}$/; // not a global key family: `drop` deletes <prefix>:<ns>:*

export function checkNamespace(ns: string): string {
  if (!NAMESPACE_RE.test(ns)) throw new PortraitError('USAGE', `namespace ${JSON.stringify(ns)} must be 1-64 letters, digits, _ . or -`);
  return ns;
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

  async list(): Promise<{ namespace: string; active: boolean; profiles: number }[]> {
    const active = await this.active();
    const all = [...new Set([...(await this.redis.smembers(this.registryKey)), active])].sort();
    const out = [];
    for (const ns of all) out.push({ namespace: ns, active: ns === active, profiles: await this.count(new Keys(this.prefix, ns).allProfilesPattern()) });
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
