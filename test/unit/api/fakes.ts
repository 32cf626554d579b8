/** In-memory sources for route tests (the real Redis and Kafka ones are covered by the integration tests). */
import { buildApi, type ApiDeps } from '../../../src/api/app.js';
import type { HistoryEntry } from '../../../src/api/history.js';
import type { FollowerStatus, SimilarSource } from '../../../src/similar/source.js';
import { SimilarIndex } from '../../../src/similar/index.js';
import { combineStats } from '../../../src/api/stats.js';
import { createRegistry } from '../../../src/metrics/index.js';
import { int8Centroid, interestTuple, topTermTuple } from '../../../src/events/index.js';

export const ODD_IDS = ['u:{42}', 'a/b %*', 'glob*?[x]#frag', '用户 一号', '👩‍💻🚀', "it's (a) ~test~!", '%7B1%7D', 'x'.repeat(256), '__proto__', 'a+b=c&d'];

export function fakeProfile(userId: string, version = 1) {
  return {
    schemaVersion: 1 as const,
    userId,
    version,
    updatedAt: '2026-01-02T03:04:05.000Z',
    firstSeen: '2026-01-01T00:00:00.000Z',
    lastSeen: '2026-01-02T03:04:00.000Z',
    commentCount: 3,
    interests: [
      { label: 'sports', score: 2.1, share: 0.7, confidence: 0.4 },
      { label: 'tech', score: 0.9, share: 0.3, confidence: 0.2 },
    ],
    centroid: [0.6, 0.8],
    topTerms: [{ term: 'messi', score: 2 }],
    evidence: { sports: ['c-1', 'c-2'], tech: ['c-3'] },
    embedder: { id: 'test-embedder', dim: 2 },
    classifier: { kind: 'zero-shot' as const, version: 'abc' },
    causedBy: ['e-1'],
    namespace: 'main',
  };
}

/** The same profile as schemaVersion 2 as the API gives it (interests and topTerms as objects; profile.eventCentroid: compact, or none: without a centroid). */
export function fakeProfileViewV2(userId: string, version = 1, centroid: 'compact' | 'none' = 'compact') {
  const { schemaVersion: _s, centroid: c, ...rest } = fakeProfile(userId, version);
  return { schemaVersion: 2 as const, ...rest, ...(centroid === 'compact' ? { centroid: int8Centroid(c) } : {}) };
}

/** fakeProfileViewV2 as stored and published: interests and topTerms as arrays. */
export function fakeProfileV2(userId: string, version = 1, centroid: 'compact' | 'none' = 'compact') {
  const v = fakeProfileViewV2(userId, version, centroid);
  return { ...v, interests: v.interests.map(interestTuple), topTerms: v.topTerms.map(topTermTuple) };
}

export function similarSource(ready = true): SimilarSource & { index: SimilarIndex } {
  const index = new SimilarIndex({ dim: 2 });
  return {
    index,
    status: (): FollowerStatus => ({ ready, users: index.size, profiles: index.size, tombstones: 0, skipped: 0, dim: 2, kernel: index.kernel, memoryBytes: index.memoryBytes }),
    similarTo: (u, k) => index.similarTo(u, k),
  };
}

export interface Fixture {
  profiles: Map<string, unknown>;
  history: Map<string, HistoryEntry[]>;
  similar: ReturnType<typeof similarSource>;
}

export async function fixtureApi(over: Partial<ApiDeps> = {}, opts: { similarReady?: boolean } = {}) {
  const fx: Fixture = { profiles: new Map(), history: new Map(), similar: similarSource(opts.similarReady ?? true) };
  for (const id of ODD_IDS) fx.profiles.set(id, fakeProfile(id));
  fx.profiles.set('v2-compact', fakeProfileV2('v2-compact'));
  fx.profiles.set('v2-none', fakeProfileV2('v2-none', 1, 'none'));
  fx.similar.index.upsert('u:{42}', [1, 0]);
  fx.similar.index.upsert('a/b %*', [0.8, 0.6]);
  fx.similar.index.upsert('用户 一号', [0, 1]);
  fx.history.set('u:{42}', [
    { version: 2, updatedAt: '2026-01-02T00:00:00.000Z', commentCount: 3, interests: [{ label: 'sports', score: 2, share: 0.7 }], topTerms: ['messi'], classifier: { kind: 'zero-shot', version: 'abc' }, embedder: 'e' },
    { version: 1, updatedAt: '2026-01-01T00:00:00.000Z', commentCount: 1, interests: [{ label: 'sports', score: 1, share: 1 }], topTerms: [], classifier: { kind: 'zero-shot', version: 'abc' }, embedder: 'e' },
  ]);
  const app = await buildApi({
    config: { token: '', historyLength: 20 },
    registry: createRegistry({ defaultMetrics: false }),
    profiles: { getProfile: async (u) => fx.profiles.get(u) ?? null },
    history: { read: async (u, n) => (fx.history.get(u) ?? []).slice(0, n) },
    similar: fx.similar,
    stats: async (ns) => combineStats(ns ?? 'main', [], 1_000),
    probes: [{ name: 'redis', check: async () => {} }],
    ...over,
  });
  return { app, fx };
}

/** The path of a user route, the id percent-encoded as a browser's encodeURIComponent does. */
export const userUrl = (id: string, what: string, query = '') => `/v1/users/${encodeURIComponent(id)}/${what}${query}`;
