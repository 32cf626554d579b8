/** The API process's own metrics: requests by route and status, request time, similar-users index size and query time. */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SimilarSource } from '../similar/source.js';

export interface HttpMetrics {
  similarQuery: Histogram;
}

export function installHttpMetrics(app: FastifyInstance, registry: Registry, similar?: SimilarSource): HttpMetrics {
  const registers = [registry];
  const requests = new Counter({ name: 'portrait_api_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'], registers });
  const duration = new Histogram({
    name: 'portrait_api_request_duration_seconds',
    help: 'HTTP request time by route',
    labelNames: ['route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const similarQuery = new Histogram({
    name: 'portrait_api_similar_query_seconds',
    help: 'Time of one similar-users query (int8 brute-force top-k)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers,
  });
  if (similar) {
    new Gauge({
      name: 'portrait_api_similar_index_users',
      help: 'Users in the similar-users index',
      registers,
      collect() {
        this.set(similar.status().users);
      },
    });
    new Gauge({
      name: 'portrait_api_similar_index_ready',
      help: '1 once the index has caught up with the profiles topic',
      registers,
      collect() {
        this.set(similar.status().ready ? 1 : 0);
      },
    });
  }
  app.addHook('onResponse', async (req, reply) => {
    // the route pattern, never the raw URL (user ids must not become label values)
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ route, method: req.method, status: String(reply.statusCode) });
    duration.observe({ route }, reply.elapsedTime / 1000);
  });
  return { similarQuery };
}
