/**
 * The read API under /v1: profiles, similar users, version history, live stats. Behind the bearer
 * token when api.token is set (an onRequest hook of this plugin only).
 */
import type { FastifyInstance } from 'fastify';
import type { Histogram } from 'prom-client';
import { bearerAuth } from '../auth.js';
import { profileView } from '../../events/profile-event.js';
import { ApiError } from '../errors.js';
import type { HistoryEntry } from '../history.js';
import type { SimilarSource } from '../../similar/source.js';
import { errors, historyResponse, namespacesResponse, profileSchema, similarResponse, statsResponse, userParams } from '../schemas.js';
import type { NamespacesView, StatsView } from '../stats.js';
import { checkUserId } from '../user-id.js';

export interface V1Deps {
  token: string;
  historyLength: number;
  profiles?: { getProfile(userId: string): Promise<unknown> };
  history?: { read(userId: string, limit: number): Promise<HistoryEntry[]> };
  similar?: SimilarSource;
  /** live stats of a namespace (default: the active one) */
  stats?: (namespace?: string) => Promise<StatsView>;
  /** every namespace and the history it covers */
  namespaces?: () => Promise<NamespacesView>;
  similarQuery?: Histogram;
}

export const SIMILAR_METHOD = 'exact cosine top-k over int8-quantised unit centroids (brute force, WebAssembly SIMD)';

export async function v1Routes(app: FastifyInstance, deps: V1Deps): Promise<void> {
  const auth = bearerAuth(deps.token);
  if (auth) app.addHook('onRequest', auth);
  const security = [{ bearer: [] }];
  const { profiles, history, similar, stats, namespaces } = deps;

  if (profiles) {
    app.get<{ Params: { userId: string } }>(
      '/v1/users/:userId/profile',
      {
        schema: {
          operationId: 'getProfile',
          summary: "A user's current profile",
          tags: ['users'],
          security,
          params: userParams,
          response: { 200: profileSchema(), 400: errors[400], 401: errors[401], 404: errors[404], 503: errors[503] },
        },
      },
      async (req) => {
        const userId = checkUserId(req.params.userId);
        const p = await profiles.getProfile(userId);
        if (p === null || p === undefined) throw new ApiError('NOT_FOUND', 'no profile for this user');
        // the stored value is the event as published; readers get one shape for both versions
        return profileView(p);
      },
    );
  }

  if (similar) {
    app.get<{ Params: { userId: string }; Querystring: { k: number } }>(
      '/v1/users/:userId/similar',
      {
        schema: {
          operationId: 'getSimilarUsers',
          summary: 'The k users with the nearest centroids (cosine)',
          description: `${SIMILAR_METHOD}; see docs/api.md for the method and its cost.`,
          tags: ['users'],
          security,
          params: userParams,
          querystring: { type: 'object', properties: { k: { type: 'integer', minimum: 1, maximum: 100, default: 10, description: 'how many users (1-100)' } } },
          response: { 200: similarResponse, 400: errors[400], 401: errors[401], 404: errors[404], 503: errors[503] },
        },
      },
      async (req, reply) => {
        const userId = checkUserId(req.params.userId);
        const st = similar.status();
        if (!st.ready) {
          reply.header('Retry-After', '5');
          throw new ApiError('UNAVAILABLE', `the similar-users index is still loading the profiles topic (${st.users} users so far)`);
        }
        const end = deps.similarQuery?.startTimer();
        const results = await similar.similarTo(userId, req.query.k);
        end?.();
        if (!results) throw new ApiError('NOT_FOUND', 'user not in the similar-users index (no profile, or no centroid yet)');
        return { userId, k: req.query.k, method: SIMILAR_METHOD, indexedUsers: st.users, results };
      },
    );
  }

  if (history) {
    app.get<{ Params: { userId: string }; Querystring: { limit?: number } }>(
      '/v1/users/:userId/history',
      {
        schema: {
          operationId: 'getProfileHistory',
          summary: "A user's recent profile versions (summaries), newest first",
          tags: ['users'],
          security,
          params: userParams,
          querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 100, description: `versions to return (default ${deps.historyLength})` } } },
          response: { 200: historyResponse, 400: errors[400], 401: errors[401], 404: errors[404], 503: errors[503] },
        },
      },
      async (req) => {
        const userId = checkUserId(req.params.userId);
        const versions = await history.read(userId, req.query.limit ?? deps.historyLength);
        if (versions.length === 0 && profiles && (await profiles.getProfile(userId)) === null) throw new ApiError('NOT_FOUND', 'no profile for this user');
        return { userId, versions };
      },
    );
  }

  if (stats) {
    app.get<{ Querystring: { namespace?: string } }>(
      '/v1/stats',
      {
        schema: {
          operationId: 'getStats',
          summary: 'Live processor stats: throughput, lag per partition, latency percentiles, model versions',
          tags: ['stats'],
          security,
          querystring: { type: 'object', properties: { namespace: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'default: the active namespace' } } },
          response: { 200: statsResponse, 400: errors[400], 401: errors[401], 503: errors[503] },
        },
      },
      async (req) => stats(req.query.namespace),
    );
  }

  if (namespaces) {
    app.get(
      '/v1/namespaces',
      {
        schema: {
          operationId: 'getNamespaces',
          summary: 'Every profile namespace and the span of comments its profiles cover (for the dashboard and before `portrait namespace activate`)',
          tags: ['stats'],
          security,
          response: { 200: namespacesResponse, 401: errors[401], 503: errors[503] },
        },
      },
      async () => namespaces(),
    );
  }
}
