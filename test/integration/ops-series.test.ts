/**
 * Every series the alert rules and the Grafana dashboard query (config/prometheus,
 * config/grafana) is on a live processor's /metrics: `portrait run` with its metrics endpoint,
 * after it folded comments and dead-lettered a bad one.
 */
import { describe, expect, it } from 'vitest';
import { freePort, ownPipeline, pipelineEnv, spawnPortrait, stopRun } from '../helpers/faults.js';
import { waitForCaughtUp } from '../helpers/kafka.js';
import { seriesExposed, seriesQueried } from '../helpers/ops-series.js';

describe('the operations kit against a live /metrics', () => {
  it('queries only series a running processor exposes', async () => {
    const p = await ownPipeline('ops', 1);
    const producer = p.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: p.comments,
      messages: [
        ...['这场篮球比赛太精彩了', 'the new phone camera is amazing'].map((text, i) => ({ key: 'ops-u1', value: JSON.stringify({ schemaVersion: 1, eventId: `ops-${i}`, userId: 'ops-u1', commentId: `c-${i}`, ts: Date.now(), text }) })),
        { key: 'ops-u2', value: '{not json' },
      ],
    });
    await producer.disconnect();
    const port = await freePort();
    const run = spawnPortrait(['run'], { ...pipelineEnv(p), PORTRAIT_METRICS_PORT: String(port) });
    await waitForCaughtUp(p.admin, p.groupId, p.comments, 90_000);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    await stopRun(run);
    const exposed = seriesExposed(text);
    expect(exposed.has('portrait_events_in_total')).toBe(true);
    expect(seriesQueried().filter((n) => !exposed.has(n))).toEqual([]);
  }, 180_000);
});
