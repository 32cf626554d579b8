/** GET / (the dashboard page) and its two static files; no build step, no CDN. Open: the data calls carry the token. */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';

const FILES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
} as const;
type DashboardFile = keyof typeof FILES;

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function load(): Record<DashboardFile, Buffer> {
  const dir = new URL('../dashboard/', import.meta.url);
  return Object.fromEntries(Object.keys(FILES).map((f) => [f, readFileSync(new URL(f, dir))])) as Record<DashboardFile, Buffer>;
}

export function dashboardRoutes(app: FastifyInstance): void {
  const files = load();
  const send = (name: DashboardFile) => ({ body: files[name], type: FILES[name] });
  app.get('/', { schema: { operationId: 'getDashboard', summary: 'The dashboard (HTML page)', security: [], tags: ['dashboard'], produces: ['text/html'] } }, async (_req, reply) => {
    const f = send('index.html');
    return reply.header('Content-Security-Policy', CSP).header('Cache-Control', 'no-cache').type(f.type).send(f.body);
  });
  const assets = Object.keys(FILES).filter((f) => f !== 'index.html');
  app.get<{ Params: { file: string } }>(
    '/dashboard/:file',
    {
      schema: {
        operationId: 'getDashboardFile',
        summary: 'Static files of the dashboard',
        security: [],
        tags: ['dashboard'],
        params: { type: 'object', required: ['file'], properties: { file: { type: 'string', description: `one of ${assets.join(', ')}` } } },
      },
    },
    async (req, reply) => {
      if (!assets.includes(req.params.file)) throw new ApiError('NOT_FOUND', 'no such dashboard file');
      const f = send(req.params.file as DashboardFile);
      return reply.header('Cache-Control', 'no-cache').type(f.type).send(f.body);
    },
  );
}
