/** Simulated events must pass the comments-topic decoder (src/events) exactly as published. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DECODE_LIMITS, decodeRecord } from '../../../src/events/index.js';
import { readLabelledRows } from '../../../src/sim/jsonl.js';
import { simulateUsers } from '../../../src/sim/users.js';

describe('simulated events and the comment event contract', () => {
  it('decode without rejection, keyed by userId', () => {
    const now = Date.UTC(2025, 5, 1);
    for (const name of ['sib200_zh', 'sib200_en', 'clinc150_en', 'csl_titles_zh']) {
      const rows = readLabelledRows(new URL(`../../../data/${name}.jsonl`, import.meta.url).pathname);
      const sim = simulateUsers(rows, { users: 30, seed: 1, startTs: now - 7 * 86_400_000, spanMs: 7 * 86_400_000, lang: name.endsWith('zh') ? 'zh' : 'en' });
      for (const e of sim.events) {
        const r = decodeRecord({ key: Buffer.from(e.userId), value: Buffer.from(JSON.stringify(e)) }, { ...DEFAULT_DECODE_LIMITS, now });
        if (!r.ok) throw new Error(`${name} ${e.eventId}: ${r.rejection.code} ${r.rejection.detail}`);
        expect(r.event).toMatchObject({ type: 'comment', userId: e.userId, eventId: e.eventId, ts: e.ts });
      }
    }
  });
});
