/**
 * The dashboard end to end in headless Chromium (Debian's `chromium` package when present, else the
 * npm package @sparticuz/chromium, with a Chinese font from npm when the system has none:
 * test/helpers/browser.ts), driven by playwright-core: the API on an ephemeral port over real Redis and Kafka
 * data, a processor publishing live stats, the token pasted into the page, a user looked up.
 * Saves test-results/dashboard.png.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiServer } from '../../src/api/server.js';
import { createRegistry, PortraitMetrics, StatsPublisher } from '../../src/metrics/index.js';
import { RedisProcessorStats } from '../../src/store/processor-stats.js';
import { silentLogger } from '../../src/util/logger.js';
import { dashboardBrowser } from '../helpers/browser.js';
import { testAdmin } from '../helpers/services.js';
import { seed } from './api-seed.js';

const TOKEN = 'dash-token-7c1e';
const SCREENSHOT = resolve(import.meta.dirname, '../../test-results/dashboard.png');

let api: ApiServer;
let publisher: StatsPublisher;
let traffic: NodeJS.Timeout;
let context: BrowserContext;
let profileDir: string;

beforeAll(async () => {
  const browser = await dashboardBrowser();
  console.log(`[dashboard] browser from ${browser.from.browser}, Chinese font from ${browser.from.font}`);
  const s = await seed(await testAdmin(), { api: { token: TOKEN } });
  // a processor at work: batches keep coming while the page polls
  const registry = createRegistry({ defaultMetrics: false });
  const metrics = new PortraitMetrics(registry, { commentsTopic: s.cfg.kafka.topics.comments });
  metrics.setModels({ embedder: 'BAAI/bge-small-zh-v1.5@q8/cls', classifierKind: 'zero-shot', classifierVersion: '3f9a0c1d2e4b5a69' });
  metrics.trackEmbedCache(() => ({ hits: 420, misses: 180 }));
  let i = 0;
  const batch = () => {
    i++;
    const now = Date.now();
    metrics.observeBatch(
      {
        profiles: Array.from({ length: 20 + (i % 7) }, () => ({})),
        deadLetters: i % 5 === 0 ? [{}] : [],
        stats: { records: 48 + ((i * 13) % 17), applied: 40, rejected: i % 5 === 0 ? { REJECT_SCHEMA: 1 } : {} },
        timings: { decode: 2, embed: 35 + (i % 9), classify: 1, store: 6 },
        folded: { eventTs: [now - 900 - (i % 4) * 150, now - 600], recordTs: [now - 350, now - 200 - (i % 3) * 40] },
      },
      { partition: i % 2, lastOffset: i * 50, ms: 50, produceMs: 7 },
    );
    metrics.setLag('portrait-processor', [
      { topic: s.cfg.kafka.topics.comments, partition: 0, end: 1000 + i * 50, committed: 1000 + i * 50 - (120 - (i % 10) * 9), lag: 120 - (i % 10) * 9 },
      { topic: s.cfg.kafka.topics.comments, partition: 1, end: 900 + i * 50, committed: 900 + i * 50 - 35, lag: 35 },
    ]);
  };
  batch();
  traffic = setInterval(batch, 250);
  publisher = new StatsPublisher(new RedisProcessorStats(s.redis, s.cfg.redis.keyPrefix), () => metrics.snapshot({ instanceId: 'proc-a', namespace: s.cfg.redis.namespace, groupId: 'portrait-processor', startedAt: Date.now() - 60_000 }), {
    namespace: s.cfg.redis.namespace,
    instanceId: 'proc-a',
    intervalMs: 500,
  });
  publisher.start();

  api = await startApi(s.cfg, silentLogger, { port: 0, host: '127.0.0.1' });
  await api.follower!.ready;

  profileDir = mkdtempSync(join(tmpdir(), 'portrait-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: browser.executablePath,
    headless: true,
    viewport: { width: 1440, height: 1000 },
    args: browser.args,
    env: { ...(process.env as Record<string, string>), ...browser.env },
  });
});

afterAll(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  clearInterval(traffic);
  await publisher?.stop();
  await api?.close();
});

describe('dashboard in Chromium', () => {
  it('shows live stats once the token is pasted, and a user lookup with interests, terms, evidence, history and similar users', async () => {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      // 401 before the token, 404 for the unknown user: expected answers, not page errors
      if (m.type() === 'error' && !/status of (401|404)/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(api.url)) external.push(r.url());
    });

    await page.goto(`${api.url}/`);
    // without the token the stats calls are refused
    await page.locator('#status', { hasText: 'token required' }).waitFor();

    await page.fill('#token-input', TOKEN);
    await page.click('#token-form button');
    await page.locator('#status.ok').waitFor();
    await page.locator('#kpi-instances', { hasText: '1' }).waitFor();
    // a few polls so the charts have lines
    const linePoints = async () => ((await page.locator('#throughput-chart path.line').first().getAttribute('d')) ?? '').split('L').length;
    await expect.poll(linePoints, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    await expect.poll(() => page.locator('#lag-partitions span').count()).toBe(2);
    expect(await page.textContent('#kpi-cache')).toBe('70%');
    expect(await page.textContent('#models')).toContain('3f9a0c1d2e4b5a69');
    // each namespace and the span of comments its profiles cover (issue #20), from /v1/namespaces
    await page.locator('#namespaces', { hasText: 'namespaces:' }).waitFor();
    expect(await page.textContent('#namespaces')).toMatch(/^namespaces: main \(active\) · \d+ profiles · comments \d{4}-\d{2}-\d{2} → \d{4}-\d{2}-\d{2}/);

    await page.fill('#lookup-input', 'u:{42}');
    await page.click('#lookup-button');
    await page.locator('#interest-chart rect.bar').first().waitFor();
    const bars = await page.$$eval('#interest-chart rect.bar', (els) => els.map((e) => ({ label: e.getAttribute('data-label'), value: Number(e.getAttribute('data-value')), width: Number(e.getAttribute('width')) })));
    expect(bars.map((b) => b.label)).toEqual(['sports', 'tech', 'food', 'travel'].slice(0, bars.length));
    expect(bars[0]!.label).toBe('sports');
    expect(bars[0]!.value).toBeGreaterThan(bars[1]!.value);
    expect(bars[0]!.width).toBeGreaterThan(bars[1]!.width);
    expect(await page.textContent('#user-title')).toBe('u:{42}');
    expect(await page.$$eval('#terms li', (els) => els.map((e) => e.firstChild?.textContent))).toContain('梅西');
    expect(await page.$$eval('#evidence dt', (els) => els.map((e) => e.textContent))).toContain('sports');
    await expect.poll(() => page.locator('#history-table tbody tr').count()).toBe(4);
    expect(await page.textContent('#history-table tbody tr:first-child td:first-child')).toBe('4');
    expect(await page.textContent('#similar-list li:first-child a')).toBe('fan/of %football*');

    // an unknown user: a clear message, no crash
    await page.fill('#lookup-input', 'nobody');
    await page.click('#lookup-button');
    await page.locator('#lookup-error', { hasText: 'no profile' }).waitFor();

    // back to a user with a Chinese id through the similar-users link, then the screenshot
    await page.fill('#lookup-input', '小明');
    await page.click('#lookup-button');
    await page.locator('#user-title', { hasText: '小明' }).waitFor();
    await page.locator('#similar-list a', { hasText: 'u:{42}' }).click();
    await page.locator('#user-title', { hasText: 'u:{42}' }).waitFor();
    await expect.poll(() => page.locator('#history-table tbody tr').count()).toBe(4);

    mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(problems).toEqual([]);
    expect(external).toEqual([]);
  });
});
