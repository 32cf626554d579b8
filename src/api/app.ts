/**
 * The HTTP API (fastify): `buildApi(deps)` returns an app that tests drive with `inject()` and
 * `portrait api` listens with. Routes (docs/api.md):
 *
 *   GET /v1/users/:userId/profile | /similar?k= | /history?limit=    (bearer token when api.token is set)
 *   GET /v1/stats?namespace=                                          (bearer token when api.token is set)
 *   GET /v1/namespaces                                                (bearer token when api.token is set)
 *   GET /healthz  /readyz  /metrics  /openapi.json                    (open)
 *   GET /  and /dashboard/*                                           (open page; its data calls carry the token)
 *
 * Each dependency is optional: a route whose source is missing is not registered (a processor
 * serves only the ops routes with its own registry and probes).
 */
import swagger from '@fastify/swagger';
import { SHARED_SCHEMAS } from './schemas.js';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../util/logger.js';
import { installErrorHandlers, sendError } from './errors.js';
import type { HistoryEntry } from './history.js';
import { installHttpMetrics } from './http-metrics.js';
import type { Probe } from '../metrics/probes.js';
import type { SimilarSource } from '../similar/source.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { opsRoutes } from './routes/ops.js';
import { v1Routes } from './routes/v1.js';
import type { NamespacesView, StatsView } from './stats.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** every route registered (method + URL pattern), HEAD excluded: the OpenAPI test checks each is documented */
    portraitRoutes: { method: string; url: string }[];
  }
}

export interface ApiDeps {
  config: {
    /** bearer token for /v1; empty = open */
    token: string;
    /** versions returned by /history without ?limit */
    historyLength?: number;
  };
  /** the profile reader (RedisProfileStore.getProfile, following the active namespace) */
  profiles?: { getProfile(userId: string): Promise<unknown> };
  history?: { read(userId: string, limit: number): Promise<HistoryEntry[]> };
  similar?: SimilarSource;
  stats?: (namespace?: string) => Promise<StatsView>;
  namespaces?: () => Promise<NamespacesView>;
  probes?: readonly Probe[];
  /** the registry /metrics exposes (the API's own metrics are added to it) */
  registry: Registry;
  /** Prometheus text appended to /metrics (the processors' series) */
  extraMetrics?: () => Promise<string>;
  /** serve the dashboard (default true) */
  dashboard?: boolean;
  /** a pino logger, or false (default) for none */
  logger?: Logger | false;
  probeTimeoutMs?: number;
}

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger as unknown as FastifyBaseLogger } : { logger: false }),
    // a user id may take 256 characters of up to 12 bytes each once percent-encoded
    routerOptions: { maxParamLength: 4096 },
    // bad percent-encoding and the like: a JSON 400, like every other error
    frameworkErrors: (err, _req, reply) => sendError(reply, 'BAD_REQUEST', err.code === 'FST_ERR_BAD_URL' ? 'the URL is not valid (bad percent-encoding?)' : err.message),
    return503OnClosing: true,
    // requests are counted in /metrics; errors are logged by the error handler
    logController: new LogController({ disableRequestLogging: true }),
  });
  const routes: { method: string; url: string }[] = [];
  app.decorate('portraitRoutes', routes);
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push({ method: m, url: r.url });
  });
  // responses are plain JSON.stringify: the response schemas only document (OpenAPI)
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  installErrorHandlers(app);
  app.addHook('onSend', async (_req, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
  });

  // shared schemas: components/schemas of the OpenAPI document, referenced as { $ref: '<Name>#' }
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  await app.register(swagger, {
    // a shared schema keeps its own name under components/schemas (default: def-0, def-1, …)
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    openapi: {
      openapi: '3.1.0',
      servers: [{ url: 'http://127.0.0.1:8080', description: 'portrait api with the default api.host and api.port' }],
      info: {
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
        title: 'Portrait API',
        version: '1',
        description: 'Live user profiles built from what users write. Errors are `{ "error": { "code", "message" } }`. See docs/api.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Required on /v1 routes when api.token is set.' } } },
      tags: [
        { name: 'users', description: 'Profiles, similar users, version history' },
        { name: 'stats', description: 'Live processor stats for the dashboard' },
        { name: 'ops', description: 'Health, readiness, metrics, this document' },
        { name: 'dashboard', description: 'The web dashboard' },
      ],
    },
  });

  const httpMetrics = installHttpMetrics(app, deps.registry, deps.similar);
  await app.register(async (v1) =>
    v1Routes(v1, {
      token: deps.config.token,
      historyLength: deps.config.historyLength ?? 20,
      ...(deps.profiles ? { profiles: deps.profiles } : {}),
      ...(deps.history ? { history: deps.history } : {}),
      ...(deps.similar ? { similar: deps.similar } : {}),
      ...(deps.stats ? { stats: deps.stats } : {}),
      ...(deps.namespaces ? { namespaces: deps.namespaces } : {}),
      similarQuery: httpMetrics.similarQuery,
    }),
  );
  opsRoutes(app, {
    probes: deps.probes ?? [],
    registry: deps.registry,
    ...(deps.extraMetrics ? { extraMetrics: deps.extraMetrics } : {}),
    ...(deps.similar ? { similar: deps.similar } : {}),
    ...(deps.probeTimeoutMs ? { probeTimeoutMs: deps.probeTimeoutMs } : {}),
  });
  if (deps.dashboard ?? true) dashboardRoutes(app);
  await app.ready();
  return app;
}
