/** `portrait api` as a real process: listens on the port asked for, serves, and exits 0 on SIGTERM. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { brokers, createTestTopics, redisUrl, registerCleanup, testAdmin, testRedis } from '../helpers/services.js';

const bin = resolve(import.meta.dirname, '../../bin/portrait.js');

describe('portrait api', () => {
  it('serves on an ephemeral port with the token from the environment and stops cleanly on SIGTERM', async () => {
    const admin = await testAdmin();
    const [comments, profiles, dlq] = await createTestTopics(admin, 'apicmd', 1, 3);
    const { prefix } = testRedis();
    const child = spawn(process.execPath, [bin, 'api', '--port', '0', '--host', '127.0.0.1'], {
      env: {
        ...process.env,
        PORTRAIT_KAFKA_BROKERS: brokers().join(','),
        PORTRAIT_KAFKA_TOPICS_COMMENTS: comments,
        PORTRAIT_KAFKA_TOPICS_PROFILES: profiles,
        PORTRAIT_KAFKA_TOPICS_DEAD_LETTER: dlq,
        PORTRAIT_REDIS_URL: redisUrl(),
        PORTRAIT_REDIS_KEY_PREFIX: prefix,
        PORTRAIT_API_TOKEN: 'cmd-token',
        PORTRAIT_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    registerCleanup(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const first = await new Promise<string>((res, rej) => {
      createInterface({ input: child.stdout }).once('line', res);
      child.once('exit', () => rej(new Error(`portrait api exited early:\n${stderr}`)));
    });
    const url = (JSON.parse(first) as { listening: string }).listening;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/v1/users/alice/profile`)).status).toBe(401);
    const res = await fetch(`${url}/v1/users/alice/profile`, { headers: { authorization: 'Bearer cmd-token' } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no profile for this user' } });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('API stopped cleanly');
  });

  it('rejects a bad --port with the usage exit code', async () => {
    const child = spawn(process.execPath, [bin, 'api', '--port', 'eighty'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(stderr).toContain('--port');
  });
});
