/**
 * The model registry in Redis (docs/redis-keys.md, "Model registry"): every artifact's JSON is
 * stored in Redis itself, so a processor on any machine can load the active model without shared
 * files. Keys (RegistryKeys, all with the hash tag {registry}, one Cluster slot):
 *
 *   <prefix>:models:{registry}:artifact:<version>   string  the artifact JSON (immutable)
 *   <prefix>:models:{registry}:index                hash    version → summary JSON (for `model list`)
 *   <prefix>:models:{registry}:active               string  the active version (absent: none)
 *   <prefix>:models:{registry}:stack                list    activated versions, newest first (rollback pops)
 *   <prefix>:models:{registry}:history              list    activation / rollback log, newest first
 *
 * Storage only: the registry's rules (validation, the embedder check, version prefixes, errors)
 * are src/classify/registry.ts's, which talks to this through ModelRegistryStore.
 */
import type { Cluster, Redis } from 'ioredis';
import { RegistryKeys } from './keys.js';
import { luaScript } from './lua.js';
import type { RedisClient } from './redis-client.js';
import type { ModelRegistryStore } from './types.js';

/** Entries kept on the activation stack and in the history. */
export const HISTORY_CAP = 100;

type WithScripts = (Redis | Cluster) & {
  activateModel(active: string, stack: string, history: string, artifact: string, version: string, entry: string, cap: number): Promise<number>;
  rollbackModel(active: string, stack: string, history: string, at: string, cap: number): Promise<[number, string?, string?]>;
  deactivateModel(active: string, stack: string, history: string, at: string, cap: number): Promise<string | null>;
};

export class RedisModelRegistry implements ModelRegistryStore {
  readonly keys: RegistryKeys;
  private readonly redis: WithScripts;

  constructor(redis: RedisClient, prefix: string) {
    this.keys = new RegistryKeys(prefix);
    if (!('activateModel' in redis)) redis.defineCommand('activateModel', luaScript('activate-model-4'));
    if (!('rollbackModel' in redis)) redis.defineCommand('rollbackModel', luaScript('rollback-model-3'));
    if (!('deactivateModel' in redis)) redis.defineCommand('deactivateModel', luaScript('deactivate-model-3'));
    this.redis = redis as WithScripts;
  }

  async putArtifact(version: string, json: string): Promise<boolean> {
    return (await this.redis.set(this.keys.artifact(version), json, 'NX')) === 'OK';
  }

  async putSummary(version: string, json: string): Promise<void> {
    await this.redis.hset(this.keys.index, version, json);
  }

  versions(): Promise<string[]> {
    return this.redis.hkeys(this.keys.index);
  }

  summaries(): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.index);
  }

  artifact(version: string): Promise<string | null> {
    return this.redis.get(this.keys.artifact(version));
  }

  active(): Promise<string | null> {
    return this.redis.get(this.keys.active);
  }

  async activate(version: string, historyEntry: string): Promise<number> {
    const k = this.keys;
    return Number(await this.redis.activateModel(k.active, k.stack, k.history, k.artifact(version), version, historyEntry, HISTORY_CAP));
  }

  async rollback(at: string): Promise<{ from: string; to: string } | null> {
    const k = this.keys;
    const r = await this.redis.rollbackModel(k.active, k.stack, k.history, at, HISTORY_CAP);
    if (Number(r[0]) === 0) return null;
    return { from: r[1] ?? '', to: r[2] ?? '' };
  }

  async deactivate(at: string): Promise<string | null> {
    const k = this.keys;
    const r: unknown = await this.redis.deactivateModel(k.active, k.stack, k.history, at, HISTORY_CAP);
    return typeof r === 'string' ? r : null;
  }

  history(limit: number): Promise<string[]> {
    return this.redis.lrange(this.keys.history, 0, Math.max(0, limit - 1));
  }
}
