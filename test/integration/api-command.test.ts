/** `portrait api` as a real process: listens on the port asked for, serves, and exits 0 on SIGTERM. */
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { pipelineEnv, spawnPortrait, stopRun } from '../helpers/faults.js';
import { createTestTopics, testAdmin, testRedis } from '../helpers/services.js';

describe('portrait api', () => {
  it('serves on an ephemeral port with the token from the environment and stops cleanly on SIGTERM', async () => {
    const admin = await testAdmin();
    const [comments, profiles, dlq] = await createTestTopics(admin, 'apicmd', 1, 3);
    const { prefix } = testRedis();
    const api = spawnPortrait(['api', '--port', '0', '--host', '127.0.0.1'], {
      ...pipelineEnv({ comments: comments!, profiles: profiles!, deadLetter: dlq!, keyPrefix: prefix }),
      PORTRAIT_API_TOKEN: 'cmd-token',
      PORTRAIT_LOG_LEVEL: 'info',
    });
    const first = await new Promise<string>((res, rej) => {
      createInterface({ input: api.child.stdout! }).once('line', res);
      api.child.once('exit', () => rej(new Error(`portrait api exited early:\n${api.stderr()}`)));
    });
    const url = (JSON.parse(first) as { listening: string }).listening;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/v1/users/alice/profile`)).status).toBe(401);
    const res = await fetch(`${url}/v1/users/alice/profile`, { headers: { authorization: 'Bearer cmd-token' } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no profile for this user' } });

    await stopRun(api); // SIGTERM, then exit code 0
    expect(api.stderr()).toContain('API stopped cleanly');
  });

  it('rejects a bad --port with the usage exit code', async () => {
    const { code, stderr } = await runCli(['api', '--port', 'eighty']);
    expect(code).toBe(2);
    expect(stderr).toContain('--port');
  });
});
