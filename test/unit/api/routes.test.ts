/** Every route through fastify's inject(): answers, 4xx cases, odd user ids, errors as JSON. */
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortraitError } from '../../../src/util/errors.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { profileSchema } from '../../../src/api/schemas.js';
import { centroidOf, ProfileView } from '../../../src/events/index.js';
import { fakeProfile, fakeProfileV2, fakeProfileViewV2, fixtureApi, ODD_IDS, userUrl } from './fakes.js';

let app: FastifyInstance;

beforeAll(async () => {
  ({ app } = await fixtureApi());
});
afterAll(() => app.close());

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

function expectError(res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown; body: string }, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  const body = res.json() as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(res.body).not.toMatch(/\bat .*\.(ts|js):\d+/); // never a stack trace
}

describe('GET /v1/users/:userId/profile', () => {
  it.each(ODD_IDS.map((id) => [id]))('serves the profile of %j', async (id) => {
    const res = await get(userUrl(id, 'profile'));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(fakeProfile(id));
  });

  it('serves a stored schemaVersion 2 profile in the shape of version 1: interests and topTerms as objects, the int8 centroid, or none', async () => {
    for (const [id, mode] of [
      ['v2-compact', 'compact'],
      ['v2-none', 'none'],
    ] as const) {
      const res = await get(userUrl(id, 'profile'));
      expect(res.statusCode).toBe(200);
      expect(fakeProfileV2(id, 1, mode).interests[0]).toEqual(['sports', 2.1, 0.7, 0.4]); // stored as published
      expect(res.json()).toEqual(fakeProfileViewV2(id, 1, mode));
      expect(Object.keys(res.json() as object)).toEqual(Object.keys(fakeProfileV2(id, 1, mode))); // key order as published
      const v = ProfileView.safeParse(res.json());
      if (!v.success) throw new Error(v.error.message);
      if (mode === 'compact') expect(Array.from(centroidOf(v.data)!).map((x) => Math.round(x * 100) / 100)).toEqual([0.6, 0.8]);
      else expect(centroidOf(v.data)).toBeUndefined();
      // what the response schema (the OpenAPI document) describes
      expect(new Ajv2020({ strict: false, validateFormats: false }).compile(profileSchema())(res.json())).toBe(true);
    }
  });

  it('also accepts ids with { } : * unencoded in the path', async () => {
    expect((await get('/v1/users/u:{42}/profile')).json()).toMatchObject({ userId: 'u:{42}' });
  });

  it('404 NOT_FOUND for a user without a profile', async () => {
    expectError(await get(userUrl('nobody', 'profile')), 404, 'NOT_FOUND');
  });

  it.each([
    ['too long (257)', `/v1/users/${'x'.repeat(257)}/profile`],
    ['too long in UTF-16 units (129 emoji)', userUrl('😀'.repeat(129), 'profile')],
    ['a NUL', '/v1/users/a%00b/profile'],
    ['a newline', '/v1/users/a%0Ab/profile'],
    ['a C1 control', '/v1/users/a%C2%85b/profile'],
    ['bad percent-encoding', '/v1/users/%E0%A4%A/profile'],
    ['a lone surrogate (invalid UTF-8)', '/v1/users/%ED%A0%80/profile'],
    ['a lone % sign', '/v1/users/50%/profile'],
  ])('400 BAD_REQUEST for an id with %s', async (_what, url) => {
    expectError(await get(url), 400, 'BAD_REQUEST');
  });

  it('"." and ".." are refused as ids (a URL parser resolves them, so no client could address such a user)', async () => {
    const { checkUserId } = await import('../../../src/api/user-id.js');
    for (const id of ['.', '..']) expect(() => checkUserId(id)).toThrow(/must not be "\." or "\.\."/);
    expect(checkUserId('...')).toBe('...');
    expect(checkUserId('./x')).toBe('./x');
  });

  it('an empty id is not a user route: 4xx JSON, never 500', async () => {
    const res = await get('/v1/users//profile');
    expect([400, 404]).toContain(res.statusCode);
    expect(res.json()).toHaveProperty('error.code');
  });

  it('any string as an id gets 200, 400 or 404, never a 5xx (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', minLength: 0, maxLength: 300 }), async (id) => {
        const res = await get(userUrl(id, 'profile'));
        expect([200, 400, 404]).toContain(res.statusCode);
        expect(res.json()).toBeTypeOf('object');
      }),
      { numRuns: 300 },
    );
  });

  it('any bytes percent-encoded in the path (invalid UTF-8 included) get 200, 400 or 404 (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 64 }), async (bytes) => {
        const enc = [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
        const res = await get(`/v1/users/${enc}/profile`);
        expect([200, 400, 404]).toContain(res.statusCode);
        expect(res.json()).toBeTypeOf('object');
      }),
      { numRuns: 300 },
    );
  });
});

describe('GET /v1/users/:userId/similar', () => {
  it('answers the nearest users by centroid, best first, k defaults to 10', async () => {
    const res = await get(userUrl('u:{42}', 'similar'));
    expect(res.statusCode).toBe(200);
    const body = res.json() as { k: number; results: { userId: string; score: number }[]; method: string };
    expect(body.k).toBe(10);
    expect(body.method).toMatch(/int8/);
    expect(body.results.map((r) => r.userId)).toEqual(['a/b %*', '用户 一号']);
    expect(body.results[0]!.score).toBeCloseTo(0.8, 2);
  });

  it('k limits the answer', async () => {
    const body = (await get(userUrl('u:{42}', 'similar', '?k=1'))).json() as { results: unknown[] };
    expect(body.results).toHaveLength(1);
  });

  it.each(['0', '101', 'abc', '1.5', '-3', ''])('400 for k=%j', async (k) => {
    expectError(await get(userUrl('u:{42}', 'similar', `?k=${k}`)), 400, 'BAD_REQUEST');
  });

  it('404 for a user not in the index', async () => {
    expectError(await get(userUrl('nobody', 'similar')), 404, 'NOT_FOUND');
  });

  it('400 for a bad id', async () => {
    expectError(await get('/v1/users/a%00/similar'), 400, 'BAD_REQUEST');
  });

  it('503 with Retry-After while the index is still loading', async () => {
    const { app: loading } = await fixtureApi({}, { similarReady: false });
    const res = await loading.inject(userUrl('u:{42}', 'similar'));
    expectError(res, 503, 'UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('5');
    await loading.close();
  });
});

describe('GET /v1/users/:userId/history', () => {
  it('lists the versions newest first; limit caps them', async () => {
    const all = (await get(userUrl('u:{42}', 'history'))).json() as { versions: { version: number }[] };
    expect(all.versions.map((v) => v.version)).toEqual([2, 1]);
    const one = (await get(userUrl('u:{42}', 'history', '?limit=1'))).json() as { versions: unknown[] };
    expect(one.versions).toHaveLength(1);
  });

  it('an empty list for a user with a profile but no history yet; 404 without either', async () => {
    expect((await get(userUrl('a/b %*', 'history'))).json()).toEqual({ userId: 'a/b %*', versions: [] });
    expectError(await get(userUrl('nobody', 'history')), 404, 'NOT_FOUND');
  });

  it.each(['0', '101', 'x'])('400 for limit=%j', async (limit) => {
    expectError(await get(userUrl('u:{42}', 'history', `?limit=${limit}`)), 400, 'BAD_REQUEST');
  });
});

describe('GET /v1/stats', () => {
  it('answers the combined stats of a namespace', async () => {
    const res = await get('/v1/stats?namespace=rebuild-1');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ namespace: 'rebuild-1', instances: [], lag: [] });
  });

  it('400 for a namespace that cannot be one', async () => {
    expectError(await get('/v1/stats?namespace=a:b*'), 400, 'BAD_REQUEST');
  });
});

describe('errors', () => {
  it('an unknown route or method is a JSON 404', async () => {
    expectError(await get('/v2/nothing'), 404, 'NOT_FOUND');
    expectError(await app.inject({ method: 'POST', url: '/v1/users/u/profile', payload: {} }), 404, 'NOT_FOUND');
    expectError(await app.inject({ method: 'DELETE', url: '/healthz' }), 404, 'NOT_FOUND');
  });

  it('Redis unavailable → 503 UNAVAILABLE; an unexpected error → 500 INTERNAL without its message', async () => {
    const { app: broken } = await fixtureApi({
      profiles: {
        getProfile: async (u) => {
          if (u === 'redis') throw new PortraitError('REDIS_UNAVAILABLE', 'Redis read failed: connect ECONNREFUSED 10.0.0.1:6379');
          throw new Error('secret internal detail at /srv/app.js:12');
        },
      },
    });
    const down = await broken.inject(userUrl('redis', 'profile'));
    expectError(down, 503, 'UNAVAILABLE');
    expect(down.body).not.toContain('10.0.0.1');
    const bug = await broken.inject(userUrl('bug', 'profile'));
    expectError(bug, 500, 'INTERNAL');
    expect(bug.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    await broken.close();
  });
});

describe('dashboard', () => {
  it('GET / serves the page with a strict CSP; its assets are served, others 404', async () => {
    const page = await get('/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.body).toContain('id="interest-chart"');
    for (const f of ['app.js', 'charts.js']) expect((await get(`/dashboard/${f}`)).headers['content-type']).toMatch(/^text\/javascript/);
    expect((await get('/dashboard/style.css')).headers['content-type']).toMatch(/^text\/css/);
    expectError(await get('/dashboard/..%2Fapp.ts'), 404, 'NOT_FOUND');
  });

  it('the page loads nothing from another origin', async () => {
    const page = (await get('/')).body + (await get('/dashboard/app.js')).body;
    expect(page).not.toMatch(/(src|href)=["']https?:/);
    expect(page).not.toMatch(/import .* from ['"]https?:/);
  });
});
