import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyError, ErrorCodes, Exit, PortraitError } from '../../../src/util/errors.js';

const root = resolve(import.meta.dirname, '../../..');

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts'))
    .map((d) => join(d.parentPath, d.name));
}

describe('the error catalogue', () => {
  it('every code used in src/ and consumers/ is in the catalogue', () => {
    const used = new Set<string>();
    const call = /(?:new (?:PortraitError|ApiError)|reject|sendError\(\s*\w+,)\(?\s*'([A-Z0-9_]+)'/g;
    for (const file of [...sources('src'), ...sources('consumers')]) {
      for (const m of readFileSync(file, 'utf8').matchAll(call)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(15);
    expect([...used].filter((c) => !(c in ErrorCodes))).toEqual([]);
  });

  it('docs/errors.md lists exactly the catalogue, with its retriable flag, status, exit code and component', () => {
    const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `([A-Z0-9_]+)` \| (yes|no) \| (\d+) \| (\d) \| (\w*) \|/gm)].map((m) => [m[1], m[2] === 'yes', Number(m[3]), Number(m[4]), m[5] || undefined]);
    const catalogue = Object.entries(ErrorCodes).map(([code, e]) => [code, e.retriable, e.http, e.exit, 'component' in e ? e.component : undefined]);
    expect(rows).toEqual(catalogue);
  });
});

describe('classifyError', () => {
  const named = (name: string, message = 'x', extra: object = {}) => Object.assign(new Error(message), { name }, extra);

  it('keeps a PortraitError as it is', () => {
    const e = new PortraitError('NOT_FOUND', 'no such user');
    expect(classifyError(e)).toBe(e);
    expect(e.exitCode).toBe(Exit.NOT_FOUND);
    expect(e.httpStatus).toBe(404);
  });

  it("takes kafkajs's own word on retrying", () => {
    const down = classifyError(named('KafkaJSConnectionError', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092', { retriable: true }));
    expect([down.code, down.retriable, down.component]).toEqual(['KAFKA_UNAVAILABLE', true, 'kafka']);
    expect(down.message).toBe('Kafka: Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    const auth = classifyError(named('KafkaJSSASLAuthenticationError', 'SASL PLAIN authentication failed', { retriable: false }));
    expect([auth.code, auth.retriable]).toEqual(['KAFKA_UNAVAILABLE', false]);
  });

  it("tells ioredis's connection failures (retriable) from a server's refusal (not)", () => {
    for (const e of [named('MaxRetriesPerRequestError'), named('ClusterAllFailedError'), new Error('Connection is closed.'), new Error('Command timed out')]) {
      expect([classifyError(e).code, classifyError(e).retriable]).toEqual(['REDIS_UNAVAILABLE', true]);
    }
    const wrongpass = classifyError(named('ReplyError', 'WRONGPASS invalid username-password pair'));
    expect([wrongpass.code, wrongpass.retriable, wrongpass.message]).toEqual(['REDIS_UNAVAILABLE', false, 'Redis: WRONGPASS invalid username-password pair']);
  });

  it('a socket error is a dependency away; anything else is a bug, kept as the cause', () => {
    const refused = classifyError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }));
    expect([refused.code, refused.retriable]).toEqual(['UNAVAILABLE', true]);
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
    const c = classifyError(bug);
    expect([c.code, c.retriable, c.exitCode, c.httpStatus]).toEqual(['INTERNAL', false, Exit.FAILURE, 500]);
    expect(c.cause).toBe(bug);
    // a message that merely mentions a service does not make it one
    expect(classifyError(new Error('redis ECONNRESET max retries')).code).toBe('INTERNAL');
  });
});
