/** Bearer token on /v1 (and only there); /healthz, /readyz, /metrics, /openapi.json. */
import { describe, expect, it } from 'vitest';
import { bearerMatches } from '../../../src/api/auth.js';
import { fixtureApi, userUrl } from './fakes.js';

describe('bearerMatches', () => {
  it('accepts exactly "Bearer <token>" (scheme case-insensitive)', () => {
    expect(bearerMatches('Bearer s3cret', 's3cret')).toBe(true);
    expect(bearerMatches('bearer s3cret', 's3cret')).toBe(true);
    expect(bearerMatches('Bearer  s3cret ', 's3cret')).toBe(true);
  });

  it.each([undefined, '', 's3cret', 'Bearer', 'Bearer ', 'Bearer s3cre', 'Bearer s3cret2', 'Basic s3cret', 'Bearer s3cret extra', 'Bearer S3CRET'])('rejects %j', (h) => {
    expect(bearerMatches(h, 's3cret')).toBe(false);
  });
});

describe('with api.token set', () => {
  const TOKEN = 'tok-3f9a0c1d2e4b5a69';
  const auth = { authorization: `Bearer ${TOKEN}` };

  it('every /v1 route requires the token: 401 JSON with WWW-Authenticate without it', async () => {
    const { app } = await fixtureApi({ config: { token: TOKEN } });
    const v1 = [userUrl('u:{42}', 'profile'), userUrl('u:{42}', 'similar'), userUrl('u:{42}', 'history'), '/v1/stats'];
    expect(
      app.portraitRoutes
        .filter((r) => r.url.startsWith('/v1'))
        .map((r) => r.url)
        .sort(),
    ).toHaveLength(v1.length);
    for (const url of v1) {
      for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${TOKEN}` }, { authorization: TOKEN }]) {
        const res = await app.inject({ url, headers });
        expect(res.statusCode, `${url} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      }
      expect((await app.inject({ url, headers: auth })).statusCode, url).toBe(200);
    }
    await app.close();
  });

  it('checks the token before the input: a bad id without a token is 401, not 400', async () => {
    const { app } = await fixtureApi({ config: { token: TOKEN } });
    expect((await app.inject('/v1/users/a%00/profile')).statusCode).toBe(401);
    expect((await app.inject({ url: '/v1/users/a%00/profile', headers: auth })).statusCode).toBe(400);
    await app.close();
  });

  it('health, readiness, metrics, the OpenAPI document and the dashboard page stay open', async () => {
    const { app } = await fixtureApi({ config: { token: TOKEN } });
    for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/', '/dashboard/app.js']) {
      expect((await app.inject(url)).statusCode, url).toBe(200);
    }
    await app.close();
  });
});

describe('without a token', () => {
  it('/v1 is open', async () => {
    const { app } = await fixtureApi();
    expect((await app.inject(userUrl('u:{42}', 'profile'))).statusCode).toBe(200);
    await app.close();
  });
});

describe('GET /healthz and /readyz', () => {
  it('healthz answers while the process lives, whatever the dependencies', async () => {
    const { app } = await fixtureApi({ probes: [{ name: 'redis', check: () => Promise.reject(new Error('down')) }] });
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    await app.close();
  });

  it('readyz is 200 when every probe passes and reports the similar-users index', async () => {
    const { app } = await fixtureApi({
      probes: [
        { name: 'redis', check: async () => {} },
        { name: 'kafka', check: async () => {} },
      ],
    });
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'ready',
      checks: [
        { name: 'redis', ok: true },
        { name: 'kafka', ok: true },
      ],
      similarIndex: { ready: true, users: 3 },
    });
    await app.close();
  });

  it('readyz is 503 naming the failed dependencies (a hung probe counts as failed)', async () => {
    const { app } = await fixtureApi({
      probes: [
        { name: 'redis', check: () => Promise.reject(new Error('connect ECONNREFUSED')) },
        { name: 'kafka', check: () => new Promise(() => {}) },
        { name: 'model', check: async () => {} },
      ],
      probeTimeoutMs: 50,
    });
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    const body = res.json() as { status: string; checks: { name: string; ok: boolean; error?: string }[]; error: { code: string; message: string } };
    expect(body.status).toBe('not ready');
    expect(body.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['redis', 'kafka']);
    expect(body.checks[0]!.error).toContain('ECONNREFUSED');
    expect(body.error.code).toBe('UNAVAILABLE');
    expect(body.error.message).toMatch(/redis.*kafka/);
    await app.close();
  });
});

describe('GET /metrics', () => {
  it('is Prometheus text with the API series and the processors series appended', async () => {
    const extra = '# HELP portrait_events_in_total x\n# TYPE portrait_events_in_total counter\nportrait_events_in_total{topic="comments",processor="p1"} 7\n';
    const { app } = await fixtureApi({ extraMetrics: async () => extra });
    await app.inject(userUrl('u:{42}', 'profile'));
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/portrait_api_requests_total\{route="\/v1\/users\/:userId\/profile",method="GET",status="200"\} 1/);
    expect(res.body).not.toContain('u:{42}'); // route patterns, never user ids, as labels
    expect(res.body).toContain('portrait_api_similar_index_users 3');
    expect(res.body).toContain('portrait_events_in_total{topic="comments",processor="p1"} 7');
    await app.close();
  });

  it('still answers with the API series when the processors series cannot be read', async () => {
    const { app } = await fixtureApi({ extraMetrics: () => Promise.reject(new Error('redis down')) });
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('portrait_api_requests_total');
    await app.close();
  });
});

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document listing every route with its method', async () => {
    const { app } = await fixtureApi();
    const doc = (await app.inject('/openapi.json')).json() as { openapi: string; paths: Record<string, Record<string, { responses?: object; parameters?: { name: string }[] }>>; components: { securitySchemes: object } };
    expect(doc.openapi).toBe('3.1.0');
    const routes = app.portraitRoutes;
    expect(routes.length).toBe(10); // 4 /v1 + 4 ops + 2 dashboard
    for (const r of routes) {
      const path = r.url.replace(/:(\w+)/g, '{$1}');
      expect(doc.paths[path]?.[r.method.toLowerCase()], `${r.method} ${r.url}`).toBeDefined();
    }
    expect(Object.keys(doc.paths).sort()).toEqual([...new Set(routes.map((r) => r.url.replace(/:(\w+)/g, '{$1}')))].sort());
    const profile = doc.paths['/v1/users/{userId}/profile']!.get!;
    expect(Object.keys(profile.responses!)).toEqual(expect.arrayContaining(['200', '400', '401', '404']));
    expect(doc.paths['/v1/users/{userId}/similar']!.get!.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(['userId', 'k']));
    expect(doc.components.securitySchemes).toHaveProperty('bearer');
    await app.close();
  });
});
