/**
 * The batch processor under poison input (fast-check), with in-memory fakes for the model and the
 * store: it never throws; every record is either dead-lettered with the reason the pure oracle
 * gives, or folded, once, into its own user's profile; every profile event it emits is valid; a
 * dead letter always fits the broker's record limit; a redelivery counts nothing twice; no window
 * of a comment's text reaches the store or a profile event.
 */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { decodeProfileEvent, decodeRecord, DLQ_MAX_KEY_BYTES, DLQ_MAX_VALUE_BYTES } from '../../../src/events/index.js';
import { CommentFlow } from '../../../src/pipeline/flow.js';
import type { EventCentroid } from '../../../src/pipeline/profile-event.js';
import type { BatchOutput, InRecord } from '../../../src/pipeline/stage.js';
import { silentLogger } from '../../../src/util/logger.js';
import { fakeClassifier, HashEmbedder, MemoryStore } from './fakes.js';
import { eventJson, expectedRejection, fixedPoison, ODD_USER_IDS, POISON_TS, poisonArb, type PoisonRecord } from './poison.js';

const cfg = loadConfig({ env: {} });
const NOW = POISON_TS + 86_400_000;
const TOPIC = 'comments';
/** the broker's default limit on one record batch (message.max.bytes) */
const BROKER_LIMIT = 1_048_588;

function processor(store: MemoryStore, eventCentroid: EventCentroid = cfg.profile.eventCentroid): CommentFlow {
  const p = cfg.profile;
  return new CommentFlow({
    embedder: new HashEmbedder(),
    classifier: () => fakeClassifier,
    store: () => store.asStore(),
    params: { halfLifeMs: p.halfLifeDays * 86_400_000, maxTerms: p.maxTerms, evidencePerLabel: p.evidencePerLabel, topK: p.topK, topTerms: p.topTerms },
    text: cfg.text,
    decode: { maxRecordBytes: cfg.events.maxRecordBytes, maxFutureMs: cfg.events.maxFutureMs, minTs: cfg.events.minTs },
    clock: () => NOW,
    eventCentroid,
    log: silentLogger,
  });
}

const toIn = (records: readonly PoisonRecord[], from = 0): InRecord[] => records.map((r, i) => ({ topic: TOPIC, partition: 0, offset: from + i, key: r.key, value: r.value, headers: { ...(r.headers ?? {}) } }));

const oracle = (r: PoisonRecord) => expectedRejection(r, { decode: cfg.events, text: cfg.text, now: NOW });
const isForget = (r: PoisonRecord) => {
  const d = decodeRecord({ key: r.key, value: r.value }, { ...cfg.events, now: NOW });
  return d.ok && d.event.type === 'forget';
};
const parsed = (r: PoisonRecord) => JSON.parse(r.value!.toString('utf8').replace(/^\uFEFF/, '')) as { userId: string; eventId: string };
const userOf = (r: PoisonRecord) => parsed(r).userId;
const sizeOf = (d: { key: Buffer | string | null; value: Buffer | string | null; headers?: Record<string, Buffer | string> }) =>
  Buffer.byteLength(d.key ?? '') + Buffer.byteLength(d.value ?? '') + Object.entries(d.headers ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);

/**
 * Checks one processed batch against the oracle; returns the expected comment count per user: each
 * valid record once per (user, event id), the first time `seen` (shared across the batches of one
 * stream) meets it.
 */
function checkBatch(records: readonly PoisonRecord[], out: BatchOutput, from = 0, seen = new Set<string>()): Map<string, number> {
  const reasons = new Map<number, string>();
  for (const d of out.deadLetters) {
    const h = d.headers!;
    expect(String(h['portrait-dlq-source-topic'])).toBe(TOPIC);
    expect(String(h['portrait-dlq-detail']).length).toBeGreaterThan(0);
    reasons.set(Number(String(h['portrait-dlq-source-offset'])), String(h['portrait-dlq-reason']));
    // always deliverable: within the broker's record limit, whatever the original looked like
    expect(sizeOf(d)).toBeLessThan(BROKER_LIMIT - 4096);
    expect(Buffer.byteLength(d.key ?? '')).toBeLessThanOrEqual(DLQ_MAX_KEY_BYTES);
    expect(Buffer.byteLength(d.value ?? '')).toBeLessThanOrEqual(DLQ_MAX_VALUE_BYTES);
  }
  const counts = new Map<string, number>();
  records.forEach((r, i) => {
    const want = oracle(r);
    expect(reasons.get(from + i), `${r.kind} #${from + i}`).toBe(want ?? undefined);
    if (want !== null) return;
    const id = `${userOf(r)}\u0000${parsed(r).eventId}`;
    if (!seen.has(id)) counts.set(userOf(r), (counts.get(userOf(r)) ?? 0) + 1);
    seen.add(id);
  });
  expect(out.deadLetters.length).toBe(reasons.size);
  expect(Object.values(out.stats.rejected).reduce((a, b) => a + b, 0)).toBe(reasons.size);
  for (const p of out.profiles) {
    const d = decodeProfileEvent(Buffer.from(String(p.value)));
    expect(d.ok, d.ok ? '' : d.detail).toBe(true);
    expect(d.ok && d.event?.userId).toBe(String(p.key));
  }
  return counts;
}

function expectNoTextIn(records: readonly PoisonRecord[], dump: string): void {
  for (const r of records) {
    if (oracle(r) !== null) continue;
    const text = (JSON.parse(r.value!.toString('utf8').replace(/^\uFEFF/, '')) as { text: string }).text.normalize('NFKC').toLowerCase();
    for (let i = 0; i + 40 <= text.length && i < 2000; i += 10) {
      const w = text.slice(i, i + 40);
      if (w.trim().length < 40) continue;
      expect(dump.includes(w), `a window of the text of ${r.kind}`).toBe(false);
    }
  }
}

describe('CommentFlow under poison input', () => {
  it.each([
    ['compact', 2, 'object'],
    ['decimal', 1, 'array'],
    ['none', 2, 'absent'],
  ] as const)('with profile.eventCentroid %s publishes valid schemaVersion %i profile events, centroid %s', async (mode, version, shape) => {
    const records = fixedPoison(true);
    const out = await processor(new MemoryStore(), mode).process(toIn(records));
    checkBatch(records, out);
    const events = out.profiles.filter((p) => p.value !== null).map((p) => JSON.parse(String(p.value)) as { schemaVersion: number; centroid?: unknown });
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) {
      expect(e.schemaVersion).toBe(version);
      expect(e.centroid === undefined ? 'absent' : Array.isArray(e.centroid) ? 'array' : typeof e.centroid).toBe(shape);
    }
  });

  it('handles every listed case: a reason for each bad record, each good one folded once into its own user', async () => {
    const records = fixedPoison(true);
    const store = new MemoryStore();
    const proc = processor(store);
    const out = await proc.process(toIn(records));
    const counts = checkBatch(records, out);
    expect(new Set(store.rows.keys())).toEqual(new Set(counts.keys()));
    for (const [u, n] of counts) expect(store.rows.get(u)!.p.state.count, u).toBe(n);
    // the listed cases end where they should (the oracle is the code itself, so pin the meaning too)
    const reasonOf = (kind: string) => [...new Set(records.filter((r) => r.kind === kind).map(oracle))];
    expect(reasonOf('emoji-only text')).toEqual(['REJECT_EMPTY_TEXT']);
    expect(reasonOf('whitespace-only text')).toEqual(['REJECT_EMPTY_TEXT']);
    expect(reasonOf('text 100,000 chars')).toEqual([null]);
    expect(reasonOf('text 100,001 chars')).toEqual(['REJECT_SCHEMA']);
    expect(reasonOf('lone surrogates in text')).toEqual([null]);
    expect(reasonOf('lone surrogate in userId')).toEqual(['REJECT_SCHEMA']);
    expect(reasonOf('lone surrogate as raw UTF-8 bytes')).toEqual(['REJECT_INVALID_UTF8']);
    expect(reasonOf('prompt injection')).toEqual([null]);
    expect(reasonOf('deep JSON arrays (200k)')).toEqual(['REJECT_SCHEMA']);
    expect(reasonOf('deep JSON objects (50k)')).toEqual(['REJECT_SCHEMA']);
    expect(reasonOf('ts "NaN"')).toEqual(['REJECT_BAD_TIMESTAMP']);
    expect(reasonOf('ts NaN literal (not JSON)')).toEqual(['REJECT_INVALID_JSON']);
    expect(reasonOf('ts -1')).toEqual(['REJECT_BAD_TIMESTAMP']);
    expect(reasonOf('ts 4102444800000')).toEqual(['REJECT_BAD_TIMESTAMP']); // year 2100
    expect(reasonOf('ts 1700000000')).toEqual(['REJECT_BAD_TIMESTAMP']); // epoch seconds
    expect(reasonOf('random bytes')).toEqual(['REJECT_INVALID_UTF8']);
    expect(reasonOf('null value (tombstone)')).toEqual(['REJECT_SCHEMA']);
    expect(reasonOf('huge value (1,047,000 bytes)')).toEqual(['REJECT_TOO_LARGE']);
    expect(reasonOf('huge key (1 MB)')).toEqual(['REJECT_KEY_MISMATCH']);
    expect(reasonOf('type delete')).toEqual(['REJECT_UNSUPPORTED_TYPE']);
    expect(reasonOf('duplicated event id')).toEqual([null]);
    // odd user ids are users like any other, but "." and ".." (no URL can carry them)
    expect(records.filter((r) => r.kind.startsWith('user id ') && oracle(r) === null).length).toBe(ODD_USER_IDS.length - 2);
    expect(reasonOf('user id "."')).toEqual(['REJECT_SCHEMA']);
    expect(reasonOf('user id ".."')).toEqual(['REJECT_SCHEMA']);
    // the same event id at three offsets is one event (events.dedupeWindow; docs/reliability.md),
    // one id in two users' streams is one event each
    expect(store.rows.get('pu-dup')!.p.state.count).toBe(1);
    expect(out.stats.duplicates).toBe(2);
    expect(store.rows.get('pu-shared-1')!.p.state.count).toBe(1);
    expect(store.rows.get('pu-shared-2')!.p.state.count).toBe(1);
    // nothing was polluted
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expectNoTextIn(records, [...store.written, ...out.profiles.map((p) => String(p.value))].join('\n'));
  }, 60_000);

  it('never throws on random poison among good records, in one batch or record by record', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(poisonArb(), { minLength: 1, maxLength: 30 }), fc.boolean(), async (makers, oneByOne) => {
        const records = makers.map((f, i) => f(`g${i}`)).filter((r) => !isForget(r));
        records.splice(Math.floor(records.length / 2), 0, { kind: 'ordinary', key: Buffer.from('pu-ok'), value: Buffer.from(eventJson('ok', { userId: 'pu-ok' })) });
        const store = new MemoryStore();
        const proc = processor(store);
        const expected = new Map<string, number>();
        const batches = oneByOne ? records.map((r) => [r]) : [records];
        const seen = new Set<string>();
        let from = 0;
        for (const batch of batches) {
          const out = await proc.process(toIn(batch, from));
          for (const [u, n] of checkBatch(batch, out, from, seen)) expected.set(u, (expected.get(u) ?? 0) + n);
          from += batch.length;
        }
        expect(new Set(store.rows.keys())).toEqual(new Set(expected.keys()));
        for (const [u, n] of expected) expect(store.rows.get(u)!.p.state.count).toBe(n);
        expectNoTextIn(records, store.written.join('\n'));
      }),
      { numRuns: 300, seed: 424242 },
    );
  }, 120_000);

  it('counts nothing twice when the same records come again (redelivery), and re-sends the same versions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(poisonArb(), { minLength: 1, maxLength: 25 }), fc.integer({ min: 1, max: 25 }), async (makers, cut) => {
        const records = makers.map((f, i) => f(`d${i}`)).filter((r) => !isForget(r));
        records.push({ kind: 'ordinary', key: Buffer.from('pu-ok'), value: Buffer.from(eventJson('ok2', { userId: 'pu-ok' })) });
        const store = new MemoryStore();
        const proc = processor(store);
        // the first delivery stops after `cut` records (a crash), the redelivery brings them all
        await proc.process(toIn(records.slice(0, cut)));
        const before = new Map([...store.rows].map(([u, r]) => [u, r.p.version]));
        const again = await proc.process(toIn(records));
        const counts = checkBatch(records, again);
        for (const [u, n] of counts) expect(store.rows.get(u)!.p.state.count, u).toBe(n);
        // users untouched by the new records were re-sent with their stored version
        for (const p of again.profiles) {
          const v = (JSON.parse(String(p.value)) as { version: number }).version;
          expect(v).toBe(store.rows.get(String(p.key))!.p.version);
          expect(v).toBeGreaterThanOrEqual(before.get(String(p.key)) ?? 1);
        }
        const third = await proc.process(toIn(records));
        expect(third.stats.applied).toBe(0);
        // every valid record is skipped: by its offset, or (a repeated event id) by its id
        expect(third.stats.duplicates).toBe(records.filter((r) => oracle(r) === null).length);
      }),
      { numRuns: 200, seed: 777 },
    );
  }, 120_000);
});
