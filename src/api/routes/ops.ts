/** GET /healthz, /readyz, /metrics, /openapi.json: open (no token), for probes and scrapers. */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { SimilarSource } from '../../similar/source.js';
import { runProbes, type Probe } from '../../metrics/probes.js';
import { readyResponse } from '../schemas.js';

export interface OpsDeps {
  probes: readonly Probe[];
  registry: Registry;
  /** more Prometheus text for /metrics (the processors' series, src/api/stats.ts) */
  extraMetrics?: () => Promise<string>;
  similar?: SimilarSource;
  probeTimeoutMs?: number;
}

export function opsRoutes(app: FastifyInstance, deps: OpsDeps): void {
  app.get('/healthz', { schema: { operationId: 'getHealth', summary: 'Liveness: the process is up', security: [], tags: ['ops'], response: { 200: { type: 'object', properties: { status: { type: 'string', const: 'ok' } } } } } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'getReadiness',
        summary: 'Readiness: every dependency (Kafka, Redis; a processor also its model) answers',
        security: [],
        description: '503 names the dependencies that failed. The similar-users index state is reported but does not make the API unready.',
        tags: ['ops'],
        response: { 200: readyResponse, 503: readyResponse },
      },
    },
    async (_req, reply) => {
      const checks = await runProbes(deps.probes, deps.probeTimeoutMs);
      const failed = checks.filter((c) => !c.ok);
      const body = {
        status: failed.length === 0 ? 'ready' : 'not ready',
        checks,
        ...(deps.similar ? { similarIndex: deps.similar.status() } : {}),
        ...(failed.length > 0 ? { error: { code: 'UNAVAILABLE', message: `not ready: ${failed.map((c) => `${c.name} (${c.error ?? 'failed'})`).join(', ')}`.slice(0, 300) } } : {}),
      };
      return reply.code(failed.length === 0 ? 200 : 503).send(body);
    },
  );

  app.get('/metrics', { schema: { operationId: 'getMetrics', summary: 'Prometheus metrics (text exposition format)', security: [], tags: ['ops'], produces: ['text/plain'], response: { 200: { type: 'string' } } } }, async (req, reply) => {
    let text = await deps.registry.metrics();
    if (deps.extraMetrics) {
      try {
        const extra = await deps.extraMetrics();
        if (extra) text = `${text.trimEnd()}\n${extra}`;
      } catch (err) {
        // the API's own metrics are still worth a scrape when the processors' cannot be read
        req.log.warn({ err: (err as Error).message }, 'processor metrics unavailable');
      }
    }
    return reply.type(deps.registry.contentType).send(text);
  });

  app.get('/openapi.json', { schema: { operationId: 'getOpenApi', summary: 'This OpenAPI document', security: [], tags: ['ops'], response: { 200: { type: 'object', additionalProperties: true } } } }, async () => app.swagger());
}
