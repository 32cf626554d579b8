/**
 * The package as a user installs it: `npm pack` (prepack builds dist/), the tarball installed into
 * an empty folder from the npm registry (ONNXRUNTIME_NODE_INSTALL=skip: onnxruntime-node's install
 * script would download CUDA files; README), then the installed `portrait` against the running
 * stack: --version, `portrait run` folding a comment sent with the package's typed helper
 * (commentRecord, sendRecords), the profile read back with subscribeProfiles and from `portrait api`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { registerCleanup } from '../helpers/cleanup.js';
import { freePort, spawnNode } from '../helpers/faults.js';
import { brokers, deleteByPrefix, modelDir, redisUrl, testAdmin, uniqueName } from '../helpers/services.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const ROOT = resolve(import.meta.dirname, '../..');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe('the packed package, installed into an empty folder', () => {
  it('installs, and its portrait command and typed helpers run against the stack', async () => {
    const dir = tempDir('package');
    const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
    const app = join(dir, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), '{"name":"portrait-user","private":true,"type":"module"}\n');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', join(dir, packed)], { cwd: app, env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' }, stdio: 'ignore' });
    const bin = join(app, 'node_modules', 'portrait', 'bin', 'portrait.js');
    expect(execFileSync(process.execPath, [bin, '--version'], { cwd: app, encoding: 'utf8' }).trim()).toBe(version);

    const run = uniqueName('pkg');
    const prefix = uniqueName('pkgkeys');
    const env = {
      PORTRAIT_KAFKA_BROKERS: brokers().join(','),
      PORTRAIT_KAFKA_TOPICS_COMMENTS: `${run}-comments`,
      PORTRAIT_KAFKA_TOPICS_PROFILES: `${run}-profiles`,
      PORTRAIT_KAFKA_TOPICS_DEAD_LETTER: `${run}-dlq`,
      PORTRAIT_KAFKA_GROUP_ID: `${run}-group`,
      PORTRAIT_REDIS_URL: redisUrl(),
      PORTRAIT_REDIS_KEY_PREFIX: prefix,
      PORTRAIT_EMBEDDER_MODEL_DIR: modelDir(),
      PORTRAIT_METRICS_PORT: '0',
    };
    registerCleanup(async () => {
      const admin = await testAdmin();
      await admin.deleteTopics({ topics: [`${run}-comments`, `${run}-profiles`, `${run}-dlq`] }).catch(() => {});
      const r = new Redis(redisUrl());
      await deleteByPrefix(r, prefix);
      r.disconnect();
    });
    const processor = spawnNode([bin, 'run'], env);
    registerCleanup(() => void processor.child.kill('SIGTERM'));
    await processor.waitForLog(/processor consuming/, 90_000);

    // the package's own typed helpers, imported by name as a user would
    writeFileSync(
      join(app, 'use.mjs'),
      `import { centroidOf, commentRecord, loadConfig, sendRecords, subscribeProfiles } from 'portrait';
const cfg = loadConfig();
await sendRecords(cfg, [commentRecord({ userId: 'pkg-u1', commentId: 'c1', text: '今天的比赛太精彩了，梅西进了两个球', ts: Date.now() })]);
const got = await new Promise((done) => {
  subscribeProfiles(cfg, '${run}-reader', (userId, p) => { if (userId === 'pkg-u1' && p) done({ version: p.version, top: p.interests[0].label, schemaVersion: p.schemaVersion, dim: centroidOf(p).length }); });
});
console.log(JSON.stringify(got));
process.exit(0);
`,
    );
    const used = JSON.parse(execFileSync(process.execPath, ['use.mjs'], { cwd: app, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 90_000 })) as { version: number; top: string; schemaVersion: number; dim: number };
    expect(used.version).toBe(1);
    expect(used.top).toBe('sports');
    // the default compact event, its centroid read back with the package's helper
    expect(used.schemaVersion).toBe(2);
    expect(used.dim).toBe(512);

    const port = await freePort();
    const api = spawnNode([bin, 'api', '--port', String(port)], env);
    registerCleanup(() => void api.child.kill('SIGTERM'));
    const profile = await waitFor(
      'the installed API to serve the profile',
      async () => {
        const r = await fetch(`http://127.0.0.1:${port}/v1/users/pkg-u1/profile`).catch(() => undefined);
        return r?.ok ? ((await r.json()) as { version: number }) : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(profile.version).toBe(1);
  }, 300_000);
});
