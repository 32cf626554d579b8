/**
 * The alert rules (config/prometheus/portrait-alerts.yml): promtool accepts them and passes one test
 * per alert (Debian's prometheus package; skipped, by name, where promtool is missing: .ci/run
 * installs it and fails on a skipped test), and every portrait_* series they name is one the
 * processor exposes.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createRegistry, PortraitMetrics } from '../../../src/metrics/index.js';
import { PortraitError } from '../../../src/util/errors.js';
import { seriesExposed, seriesQueried } from '../../helpers/ops-series.js';
import { tempDir } from '../../helpers/tmp.js';

const DIR = fileURLToPath(new URL('../../../config/prometheus/', import.meta.url));
const hasPromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

describe('alert rules', () => {
  it.skipIf(!hasPromtool)('promtool checks them and passes a test for every alert', () => {
    const check = spawnSync('promtool', ['check', 'rules', 'portrait-alerts.yml'], { cwd: DIR, encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const test = spawnSync('promtool', ['test', 'rules', 'portrait-alerts.test.yml'], { cwd: DIR, encoding: 'utf8' });
    expect(test.status, test.stdout + test.stderr).toBe(0);
    const alerts = [...readFileSync(`${DIR}portrait-alerts.yml`, 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    const tested = new Set([...readFileSync(`${DIR}portrait-alerts.test.yml`, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
    expect(alerts.filter((a) => !tested.has(a))).toEqual([]);
  });

  it.skipIf(!hasPromtool)("promtool accepts the compose profile's Prometheus config", () => {
    const dir = tempDir('prometheus');
    copyFileSync(`${DIR}portrait-alerts.yml`, join(dir, 'portrait-alerts.yml'));
    writeFileSync(join(dir, 'prometheus.yml'), readFileSync(`${DIR}prometheus.yml`, 'utf8').replace('/etc/prometheus/portrait-alerts.yml', 'portrait-alerts.yml'));
    const check = spawnSync('promtool', ['check', 'config', 'prometheus.yml'], { cwd: dir, encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });

  it('query only series a processor exposes (the alerts and the Grafana dashboard)', async () => {
    const registry = createRegistry({ defaultMetrics: false });
    const metrics = new PortraitMetrics(registry, { commentsTopic: 'comments' });
    const now = Date.now();
    metrics.observeBatch(
      { profiles: [{}], deadLetters: [{}], stats: { records: 2, applied: 1, rejected: { REJECT_SCHEMA: 1 } }, timings: { decode: 1, embed: 2 }, folded: { eventTs: [now - 100], recordTs: [now - 50] } },
      { partition: 0, lastOffset: 1, ms: 5, produceMs: 1 },
    );
    metrics.setLag('g', [{ topic: 'comments', partition: 0, end: 10, committed: 5, lag: 5 }]);
    metrics.observeError(new PortraitError('REDIS_UNAVAILABLE', 'down'), 'redis');
    metrics.observeRetry(new PortraitError('REDIS_UNAVAILABLE', 'down'));
    metrics.trackEmbedCache(() => ({ hits: 1, misses: 1 }));
    metrics.continuity.onEpoch('main', { kind: 'lost' });
    const exposed = seriesExposed(await registry.metrics());
    const named = seriesQueried();
    expect(named.length).toBeGreaterThan(4);
    expect(named.filter((n) => !exposed.has(n))).toEqual([]);
  });
});
