/**
 * In-memory stand-ins for the processor's dependencies (no service, no model): a deterministic
 * embedder, a fixed three-label classifier and a ProfileStore with the Redis store's semantics
 * (compare-and-set on the version, erasure with suppression).
 */
import { createHash } from 'node:crypto';
import type { Classifier } from '../../../src/classify/index.js';
import type { Embedder } from '../../../src/embed/types.js';
import { loadConfig } from '../../../src/config/index.js';
import { CommentFlow } from '../../../src/pipeline/flow.js';
import type { InRecord } from '../../../src/pipeline/stage.js';
import type { StateCache } from '../../../src/pipeline/state-cache.js';
import type { ProfileStore, ProfileWrite, StoredProfile, Suppression } from '../../../src/store/index.js';
import { silentLogger } from '../../../src/util/logger.js';

export const FAKE_DIM = 8;

/** Unit vectors from a hash of the text: the same text always gets the same vector. */
export class HashEmbedder implements Embedder {
  readonly id = 'fake/hash@1';
  readonly dim = FAKE_DIM;
  calls = 0;
  async ready(): Promise<void> {}
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.calls++;
    return texts.map((t) => {
      const h = createHash('sha256').update(t).digest();
      const v = Float32Array.from({ length: FAKE_DIM }, (_, i) => h[i]! - 127.5);
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    });
  }
  async close(): Promise<void> {}
}

export const fakeClassifier: Classifier = {
  kind: 'zero-shot',
  version: 'fake0000000000001',
  labels: ['sports', 'tech', 'travel'],
  embedderId: 'fake/hash@1',
  dim: FAKE_DIM,
  predict: (vs) =>
    vs.map((v) => {
      const e = [Math.exp(v[0]!), Math.exp(v[1]!), Math.exp(v[2]!)];
      const s = e[0]! + e[1]! + e[2]!;
      return { sports: e[0]! / s, tech: e[1]! / s, travel: e[2]! / s };
    }),
};

interface Row {
  p: StoredProfile;
  profileJson: string;
}

export class MemoryStore {
  readonly namespace = 'main';
  readonly rows = new Map<string, Row>();
  readonly erasures = new Map<string, Suppression>();
  /** every state written, serialised (for "no raw text" scans) */
  readonly written: string[] = [];

  async load(userIds: readonly string[]) {
    return new Map(userIds.map((u) => [u, { profile: this.rows.get(u)?.p ?? null, suppression: this.erasures.get(u) ?? null }]));
  }
  async apply(writes: readonly ProfileWrite[]) {
    const out = new Map<string, { ok: true; version: number } | { ok: false; currentVersion: number }>();
    for (const w of writes) {
      const current = this.rows.get(w.userId)?.p.version ?? 0;
      if (current !== w.expectedVersion || (this.rows.get(w.userId)?.p.token ?? '') !== (w.expectedToken ?? '')) {
        out.set(w.userId, { ok: false, currentVersion: current });
        continue;
      }
      const state = { ...w.state, centroid: Float64Array.from(Float32Array.from(w.state.centroid)) };
      const recent = w.recent ?? this.rows.get(w.userId)?.p.recent ?? '';
      this.rows.set(w.userId, { p: { version: w.version, state, applied: { ...w.applied }, token: w.token ?? '', recent }, profileJson: w.profileJson });
      this.written.push(JSON.stringify({ ...w.state, centroid: [] }), w.profileJson, w.historyJson ?? '', JSON.stringify(w.applied));
      out.set(w.userId, { ok: true, version: w.version });
    }
    return out;
  }
  readonly receipts = new Map<string, { eventId: string; namespaces: string[]; keysDeleted: number; processedAt: number }>();
  async forget(userId: string, suppression: Suppression, eventId: string, now: number) {
    this.erasures.set(userId, suppression);
    const had = this.rows.delete(userId);
    const receipt = this.receipts.get(eventId) ?? { eventId, namespaces: [this.namespace], keysDeleted: had ? 1 : 0, processedAt: now };
    this.receipts.set(eventId, receipt);
    return receipt;
  }
  async erase(userId: string) {
    const had = this.rows.delete(userId);
    return { namespaces: [this.namespace], keysDeleted: had ? 1 : 0 };
  }
  async suppressions(userIds: readonly string[]) {
    return new Map(userIds.map((u) => [u, this.erasures.get(u) ?? null] as const));
  }
  async receipt(eventId: string) {
    return this.receipts.get(eventId) ?? null;
  }
  async registerNamespace() {}
  async getProfile(userId: string) {
    const r = this.rows.get(userId);
    return r ? (JSON.parse(r.profileJson) as unknown) : null;
  }
  async heads(userIds: readonly string[], withProfile: boolean) {
    return new Map(
      userIds.map((u) => {
        const r = this.rows.get(u);
        return [u, r ? { version: r.p.version, token: r.p.token ?? '', ...(withProfile ? { profile: r.profileJson } : {}) } : null] as const;
      }),
    );
  }
  async ping() {}
  async close() {}
  asStore(): ProfileStore {
    return this as unknown as ProfileStore;
  }
}

/** The time the fake comments are written from (commentAt): a comment at offset n is n seconds later. */
export const T0 = Date.parse('2026-06-01T00:00:00Z');

/** A comment record at `offset` of `partition` (default 0) by `userId`, written `tsOffset` (default: the offset) seconds after T0. */
export function commentAt(offset: number, userId: string, o: { tsOffset?: number; partition?: number } = {}): InRecord {
  return {
    topic: 'comments',
    partition: o.partition ?? 0,
    offset,
    key: Buffer.from(userId),
    value: Buffer.from(JSON.stringify({ type: 'comment', schemaVersion: 1, eventId: `e-${offset}`, userId, commentId: `c-${offset}`, text: `comment ${offset} about phones and football`, ts: T0 + (o.tsOffset ?? offset) * 1000 })),
    headers: {},
  };
}

/** The processor's stages over a fake store, the fake embedder and classifier, the default configuration, and a clock a day after T0. */
export function memoryFlow(store: MemoryStore, stateCache?: StateCache): CommentFlow {
  const cfg = loadConfig({ env: {} });
  const p = cfg.profile;
  return new CommentFlow({
    stateCache,
    embedder: new HashEmbedder(),
    classifier: () => fakeClassifier,
    store: () => store as unknown as ProfileStore,
    params: { halfLifeMs: p.halfLifeDays * 86_400_000, maxTerms: p.maxTerms, evidencePerLabel: p.evidencePerLabel, topK: p.topK, topTerms: p.topTerms },
    text: { maxChars: cfg.text.maxChars, maxTokens: cfg.text.maxTokens },
    decode: { maxRecordBytes: cfg.events.maxRecordBytes, maxFutureMs: cfg.events.maxFutureMs, minTs: cfg.events.minTs },
    clock: () => T0 + 86_400_000,
    log: silentLogger,
  });
}
