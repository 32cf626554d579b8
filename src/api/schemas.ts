/**
 * JSON Schemas of the routes: fastify validates params and query strings with them, and
 * @fastify/swagger turns them into the OpenAPI document (GET /openapi.json). Responses are
 * serialised with JSON.stringify, so response schemas only document.
 */
import { z } from 'zod';
import { ProfileView } from '../events/schema.js';

export const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: ['BAD_REQUEST', 'UNAUTHORIZED', 'NOT_FOUND', 'METHOD_NOT_ALLOWED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'INTERNAL', 'UNAVAILABLE'] },
        message: { type: 'string' },
      },
    },
  },
} as const;

/** A response of the shared Error schema (components/schemas/Error). */
const err = (description: string) => ({ description, $ref: 'Error#' });

export const userParams = {
  type: 'object',
  required: ['userId'],
  properties: {
    userId: {
      type: 'string',
      minLength: 1,
      maxLength: 256,
      description: 'The user id, percent-encoded (any characters but control characters, e.g. `u%3A%7B42%7D` for `u:{42}`); 1-256 UTF-16 code units.',
    },
  },
} as const;

/**
 * The profile as readers see it (ProfileView): the last profile event published for the user, with
 * version 2's interest and term arrays as objects, so the response has one shape for both versions
 * (the wire format of the event is docs/schemas/profile-event.schema.json).
 */
export function profileSchema(): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(ProfileView, { io: 'output' }) as Record<string, unknown>;
  return { ...rest, description: 'The stored profile: the last profile event published for the user, interests and topTerms as objects whichever schemaVersion (docs/events.md).' };
}

const percentiles = {
  type: 'object',
  properties: { p50: { type: 'number' }, p95: { type: 'number' }, p99: { type: 'number' }, max: { type: 'number' }, count: { type: 'integer' } },
} as const;

export const similarResponse = {
  type: 'object',
  required: ['userId', 'k', 'method', 'results'],
  properties: {
    userId: { type: 'string' },
    k: { type: 'integer' },
    method: { type: 'string', description: 'exact cosine top-k over int8-quantised unit centroids' },
    indexedUsers: { type: 'integer' },
    results: {
      type: 'array',
      items: { type: 'object', required: ['userId', 'score'], properties: { userId: { type: 'string' }, score: { type: 'number', description: 'cosine similarity of the centroids, ±0.01' } } },
    },
  },
} as const;

export const historyResponse = {
  type: 'object',
  required: ['userId', 'versions'],
  properties: {
    userId: { type: 'string' },
    versions: {
      type: 'array',
      description: 'Newest first.',
      items: {
        type: 'object',
        properties: {
          version: { type: 'integer' },
          updatedAt: { type: 'string', format: 'date-time' },
          commentCount: { type: 'integer' },
          interests: { type: 'array', items: { type: 'object', properties: { label: { type: 'string' }, score: { type: 'number' }, share: { type: 'number' } } } },
          topTerms: { type: 'array', items: { type: 'string' } },
          classifier: { type: 'object', properties: { kind: { type: 'string' }, version: { type: 'string' } } },
          embedder: { type: 'string' },
        },
      },
    },
  },
} as const;

export const namespacesResponse = {
  type: 'object',
  description: 'Every profile namespace and the history its profiles cover (docs/operations.md, "Rebuild profiles"). Computed from every profile (O(profiles)) at most once a minute; `at` says when.',
  required: ['at', 'namespaces'],
  properties: {
    at: { type: 'integer', description: 'epoch ms of the computation' },
    namespaces: {
      type: 'array',
      items: {
        type: 'object',
        required: ['namespace', 'active', 'profiles', 'oldestFirstSeen', 'newestLastSeen'],
        properties: {
          namespace: { type: 'string' },
          active: { type: 'boolean' },
          profiles: { type: 'integer', description: 'profiles with at least one comment' },
          oldestFirstSeen: { type: ['string', 'null'], description: 'the oldest comment folded into any of its profiles (ISO-8601), null without profiles' },
          newestLastSeen: { type: ['string', 'null'], description: 'the newest one (ISO-8601)' },
        },
      },
    },
  },
} as const;

export const statsResponse = {
  type: 'object',
  description: 'Live processor stats combined over the processors publishing to this namespace (docs/api.md).',
  properties: {
    namespace: { type: 'string' },
    at: { type: 'integer' },
    instances: { type: 'array', items: { type: 'object', additionalProperties: true } },
    throughput: { type: 'object', properties: { eventsIn: { type: 'number' }, profilesOut: { type: 'number' }, deadLetters: { type: 'number' } } },
    totals: { type: 'object', additionalProperties: { type: 'number' } },
    lag: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          groupId: { type: 'string' },
          at: { type: 'integer' },
          total: { type: 'integer' },
          partitions: { type: 'array', items: { type: 'object', properties: { topic: { type: 'string' }, partition: { type: 'integer' }, end: { type: 'integer' }, committed: { type: 'integer' }, lag: { type: 'integer' } } } },
        },
      },
    },
    latency: {
      type: 'object',
      properties: { eventToProfile: percentiles, ingestToProfile: percentiles, batch: percentiles, stages: { type: 'object', additionalProperties: percentiles } },
    },
    models: { type: 'array', items: { type: 'object', properties: { embedder: { type: 'string' }, classifierKind: { type: 'string' }, classifierVersion: { type: 'string' } } } },
    cache: { type: 'object', properties: { hits: { type: 'integer' }, misses: { type: 'integer' }, hitRate: { type: ['number', 'null'] } } },
  },
} as const;

export const readyResponse = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ready', 'not ready'] },
    checks: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, ok: { type: 'boolean' }, error: { type: 'string' } } } },
    similarIndex: { type: 'object', additionalProperties: true },
    error: errorSchema.properties.error,
  },
} as const;

/** Schemas registered once (app.addSchema) and referenced by name: components/schemas in the OpenAPI document. */
export const SHARED_SCHEMAS = [{ $id: 'Error', description: 'Every error: a code from docs/api.md and a message saying what was wrong', ...errorSchema }];

export const errors = {
  400: err('Bad input: an invalid user id or query parameter.'),
  401: err('Missing or wrong bearer token (only when api.token is set).'),
  404: err('No such user (or route).'),
  503: err('A dependency (Redis) is unavailable, or the similar-users index is still loading.'),
};
