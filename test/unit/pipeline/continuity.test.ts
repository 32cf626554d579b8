/**
 * The continuity guard's decisions (src/pipeline/continuity.ts), with an in-memory stand-in for the
 * namespace's record that keeps the Lua scripts' semantics (create-if-absent, advance only within
 * the epoch, never backwards). The real record on Redis is exercised by
 * test/integration/reliability/out-of-step.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ContinuityGuard, type ContinuityDeps } from '../../../src/pipeline/continuity.js';
import type { CheckResult, ContinuityStore, Epoch, StateSample } from '../../../src/store/continuity.js';
import { silentLogger } from '../../../src/util/logger.js';

class MemoryRecord {
  recs = new Map<string, { epoch: Epoch; why: string; checkpoints: Record<string, number> }>();
  sampleOf: StateSample = { seen: 0, legacy: 0 };

  async check(ns: string, field: string, advance?: { to: number; epoch: string }): Promise<CheckResult> {
    const r = this.recs.get(ns);
    if (!r) return { epoch: undefined, checkpoint: undefined };
    if (advance && advance.epoch === r.epoch.id && advance.to > (r.checkpoints[field] ?? -1)) r.checkpoints[field] = advance.to;
    return { epoch: r.epoch, checkpoint: r.checkpoints[field] };
  }
  async create(ns: string, e: Epoch, why: string, checkpoints: ReadonlyMap<string, number> = new Map()): Promise<Epoch> {
    const r = this.recs.get(ns);
    if (r) return r.epoch;
    this.recs.set(ns, { epoch: e, why, checkpoints: Object.fromEntries(checkpoints) });
    return e;
  }
  async read(ns: string) {
    return this.recs.get(ns) ?? null;
  }
  async sample(): Promise<StateSample> {
    return this.sampleOf;
  }
  async advance(ns: string, epoch: string, offsets: ReadonlyMap<string, number>): Promise<void> {
    for (const [f, to] of offsets) await this.check(ns, f, { to, epoch });
  }
}

function guard(rec: MemoryRecord, o: Omit<Partial<ContinuityDeps>, 'committed' | 'earliest' | 'topicId'> & { topicId?: string; earliest?: number; committed?: Map<number, number | undefined> } = {}) {
  let topicId = o.topicId ?? 'T1';
  const events: string[] = [];
  const g = new ContinuityGuard({
    store: rec as unknown as ContinuityStore,
    namespace: () => 'main',
    topicId: async () => topicId,
    earliest: async () => o.earliest ?? 0,
    committed: async () => o.committed ?? new Map(),
    log: silentLogger,
    clock: () => 1_800_000_000_000,
    events: {
      onEpoch: (_ns, e) => events.push(`epoch:${e.kind}`),
      onRewind: (_t, p, reason, from, to) => events.push(`rewind:${p}:${reason}:${from}->${to}`),
      onIncarnation: (_t, id, prev) => events.push(`incarnation:${prev ?? '-'}->${id}`),
    },
    ...(o.rewind !== undefined ? { rewind: o.rewind } : {}),
  });
  return { g, events, setTopicId: (id: string) => (topicId = id) };
}

describe('continuity guard', () => {
  it('a first start (no state, no committed offsets) is a fresh epoch with versions from 1; chunks go', async () => {
    const rec = new MemoryRecord();
    const { g, events } = guard(rec);
    expect((await g.establish('main', 'comments')).kind).toBe('fresh');
    expect(g.epochFor('main')!.floor).toBe(0);
    expect(await g.check('comments', 0, 0)).toEqual({ go: true, topicId: 'T1' });
    g.done('comments', 0, 'T1', 64);
    expect(await g.check('comments', 0, 64)).toEqual({ go: true, topicId: 'T1' });
    expect(rec.recs.get('main')!.checkpoints).toEqual({ 'comments@T1:0': 64 });
    expect(events).toEqual(['epoch:fresh', 'incarnation:-->T1']);
  });

  it('no state but committed offsets: the state was lost; versions jump above the floor and the partition is rebuilt from the earliest offset', async () => {
    const rec = new MemoryRecord();
    const { g, events } = guard(rec, { committed: new Map([[0, 40]]), earliest: 5 });
    const e = await g.establish('main', 'comments');
    expect(e).toMatchObject({ kind: 'lost', floor: 1_800_000_000_000 });
    expect(await g.check('comments', 0, 40)).toEqual({ go: false, seekTo: 5, reason: 'state-lost' });
    expect(await g.check('comments', 0, 5)).toEqual({ go: true, topicId: 'T1' });
    // an idle partition is found by the sweep, from the group's committed offset
    expect(
      await g.sweep(
        'comments',
        new Map([
          [1, undefined],
          [0, 5],
        ]),
      ),
    ).toEqual(new Map());
    expect(await guard(rec, { committed: new Map([[1, 9]]), earliest: 0 }).g.sweep('comments', new Map([[1, undefined]]))).toEqual(new Map([[1, 0]]));
    expect(events).toContain('rewind:0:state-lost:40->5');
  });

  it('states from before epochs are adopted, with checkpoints from the committed offsets: an upgrade replays nothing', async () => {
    const rec = new MemoryRecord();
    rec.sampleOf = { seen: 12, legacy: 12 };
    const { g } = guard(rec, {
      committed: new Map([
        [0, 40],
        [1, undefined],
      ]),
    });
    expect((await g.establish('main', 'comments')).kind).toBe('adopted');
    expect(rec.recs.get('main')!.checkpoints).toEqual({ 'comments@T1:0': 40 });
    expect(await g.check('comments', 0, 40)).toEqual({ go: true, topicId: 'T1' });
  });

  it('the record disappearing under a running processor starts a lost epoch and rewinds', async () => {
    const rec = new MemoryRecord();
    const { g, events } = guard(rec, { earliest: 0 });
    await g.establish('main', 'comments');
    g.done('comments', 0, 'T1', 30);
    expect((await g.check('comments', 0, 30)).go).toBe(true);
    rec.recs.clear(); // FLUSHALL
    expect(await g.check('comments', 0, 30)).toEqual({ go: false, seekTo: 0, reason: 'state-lost' });
    expect(g.epochFor('main')!.kind).toBe('lost');
    expect(events.filter((e) => e.startsWith('epoch:'))).toEqual(['epoch:fresh', 'epoch:lost']);
  });

  it('another epoch in force (started by another processor) is adopted, and the partition rewound', async () => {
    const rec = new MemoryRecord();
    const a = guard(rec, { earliest: 0 });
    await a.g.establish('main', 'comments');
    a.g.done('comments', 0, 'T1', 30);
    await a.g.check('comments', 0, 30);
    rec.recs.set('main', { epoch: { id: 'other', floor: 5, kind: 'lost', created: 1 }, why: '', checkpoints: {} });
    expect(await a.g.check('comments', 0, 30)).toEqual({ go: false, seekTo: 0, reason: 'state-lost' });
    expect(a.g.epochFor('main')!.id).toBe('other');
  });

  it('a checkpoint behind the chunk (Redis restored from an older snapshot) rewinds to the checkpoint, never below the earliest offset', async () => {
    const rec = new MemoryRecord();
    const { g } = guard(rec, { earliest: 20 });
    await g.establish('main', 'comments');
    rec.recs.get('main')!.checkpoints['comments@T1:0'] = 50;
    expect(await g.check('comments', 0, 80)).toEqual({ go: false, seekTo: 50, reason: 'behind-checkpoint' });
    rec.recs.get('main')!.checkpoints['comments@T1:0'] = 10; // retention deleted 10-19 before they were folded
    expect(await g.check('comments', 0, 30)).toEqual({ go: false, seekTo: 20, reason: 'behind-checkpoint' });
    expect(await g.check('comments', 0, 20)).toEqual({ go: true, topicId: 'T1' });
  });

  it("a new incarnation without a checkpoint starts at the new topic's earliest offset, and is reported once", async () => {
    const rec = new MemoryRecord();
    const { g, events, setTopicId } = guard(rec, { earliest: 0 });
    await g.establish('main', 'comments');
    g.done('comments', 2, 'T1', 4);
    await g.check('comments', 2, 4);
    setTopicId('T2');
    // the consumer's position from the old topic (4) lies inside the new one
    expect(await g.check('comments', 2, 4)).toEqual({ go: false, seekTo: 0, reason: 'new-incarnation' });
    expect(await g.check('comments', 2, 0)).toEqual({ go: true, topicId: 'T2' });
    expect(events.filter((e) => e.startsWith('incarnation'))).toEqual(['incarnation:-->T1', 'incarnation:T1->T2']);
    g.done('comments', 2, 'T2', 3);
    await g.flush();
    // a processor started after the next recreation learns of it from the record
    const later = guard(rec, { topicId: 'T3' });
    await later.g.check('comments', 2, 0);
    expect(later.events.filter((e) => e.startsWith('incarnation'))[0]).toBe('incarnation:T1,T2->T3');
  });

  it('a bounded rebuild records its epoch and checkpoints but never rewinds, and is fresh despite its own committed offsets', async () => {
    const rec = new MemoryRecord();
    const { g } = guard(rec, { rewind: false, committed: new Map([[0, 100]]), earliest: 0 });
    expect((await g.establish('main', 'comments')).kind).toBe('fresh');
    expect(await g.check('comments', 0, 100)).toEqual({ go: true, topicId: 'T1' });
    g.done('comments', 0, 'T1', 164);
    await g.flush();
    expect(rec.recs.get('main')!.checkpoints).toEqual({ 'comments@T1:0': 164 });
  });
});
