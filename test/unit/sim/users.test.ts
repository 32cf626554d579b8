import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readLabelledRows } from '../../../src/sim/jsonl.js';
import { allocate, simulateUsers, type SimOptions, type SimRow, type Simulation } from '../../../src/sim/users.js';
import { isPortraitError } from '../../../src/util/errors.js';

const sib = readLabelledRows(new URL('../../../data/sib200_zh.jsonl', import.meta.url).pathname);
const clinc = readLabelledRows(new URL('../../../data/clinc150_en.jsonl', import.meta.url).pathname);
const rowById = new Map([...sib, ...clinc].map((r) => [r.id, r]));

const base: SimOptions = { users: 40, seed: 7, startTs: Date.UTC(2025, 0, 1), spanMs: 7 * 86_400_000 };

/** Every invariant the simulator promises, checked on one simulation. */
function checkInvariants(sim: Simulation, rows: readonly SimRow[], opts: SimOptions): void {
  const labels = new Set(rows.map((r) => r.label));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const users = new Map(sim.users.map((u) => [u.userId, u]));
  expect(users.size).toBe(sim.users.length);

  for (const u of sim.users) {
    expect(u.userId).toMatch(/^u\d{4,}$/);
    expect(u.interests.length).toBeGreaterThanOrEqual(1);
    expect(u.interests.length).toBeLessThanOrEqual(3);
    expect(new Set(u.interests).size).toBe(u.interests.length);
    for (const l of u.interests) expect(labels.has(l)).toBe(true);
    // every latent interest has comments, and nothing else has
    expect(Object.keys(u.labelCounts).sort()).toEqual([...u.interests].sort());
    expect(Object.values(u.labelCounts).reduce((a, b) => a + b, 0)).toBe(u.comments);
    // the main interest is dominant: at least dominantShare, and strictly more than any other
    const main = u.labelCounts[u.interests[0]!]!;
    expect(main).toBeGreaterThanOrEqual(Math.ceil(u.comments * (opts.dominantShare ?? 0.6) - 1e-9));
    for (const l of u.interests.slice(1)) expect(main).toBeGreaterThan(u.labelCounts[l]!);
  }

  const eventIds = new Set<string>();
  const commentIds = new Set<string>();
  const lastTs = new Map<string, number>();
  const seen = new Map<string, Record<string, number>>();
  let prev = -Infinity;
  for (const e of sim.events) {
    expect(e.type).toBe('comment');
    expect(e.schemaVersion).toBe(1);
    const u = users.get(e.userId);
    expect(u).toBeDefined();
    // comments only from the user's interests, with the text of a real row of that label
    const row = byId.get(e.metadata.rowId)!;
    expect(row.text).toBe(e.text);
    expect(row.label).toBe(e.metadata.simLabel);
    expect(u!.interests).toContain(row.label);
    expect(e.commentId).toMatch(new RegExp(`^c-${row.id.replace(/[/]/g, '\\/')}-\\d+$`));
    // global time order, strictly increasing per user, inside the span (plus tie nudges)
    expect(e.ts).toBeGreaterThanOrEqual(prev);
    prev = e.ts;
    expect(e.ts).toBeGreaterThan(lastTs.get(e.userId) ?? -Infinity);
    lastTs.set(e.userId, e.ts);
    expect(e.ts).toBeGreaterThanOrEqual(opts.startTs);
    expect(e.ts).toBeLessThan(opts.startTs + opts.spanMs + 1000);
    eventIds.add(e.eventId);
    commentIds.add(e.commentId);
    const c = seen.get(e.userId) ?? {};
    c[row.label] = (c[row.label] ?? 0) + 1;
    seen.set(e.userId, c);
  }
  expect(eventIds.size).toBe(sim.events.length);
  expect(commentIds.size).toBe(sim.events.length);
  for (const u of sim.users) expect(seen.get(u.userId)).toEqual(u.labelCounts);
  expect(sim.events.length).toBe(opts.limit ?? sim.users.reduce((s, u) => s + u.comments, 0));
}

describe('simulateUsers', () => {
  it('is deterministic for a seed, and another seed gives other users', () => {
    const a = simulateUsers(sib, base);
    const b = simulateUsers(sib, base);
    expect(b).toEqual(a);
    const c = simulateUsers(sib, { ...base, seed: 8 });
    expect(c.users.map((u) => u.interests)).not.toEqual(a.users.map((u) => u.interests));
    expect(c.events[0]!.eventId).toBe('sim-8-1');
  });

  it('does not depend on the order of the rows', () => {
    const a = simulateUsers(sib, base);
    const b = simulateUsers([...sib].reverse(), base);
    expect(b.users.map((u) => u.interests)).toEqual(a.users.map((u) => u.interests));
  });

  it('keeps every invariant on the SIB-200 and CLINC150 data', () => {
    const sim1 = simulateUsers(sib, base);
    checkInvariants(sim1, sib, base);
    const opts2: SimOptions = { ...base, users: 200, seed: 123, commentsPerUser: [1, 50] };
    checkInvariants(simulateUsers(clinc, opts2), clinc, opts2);
    // 1, 2 and 3 interests all occur
    expect(new Set(sim1.users.map((u) => u.interests.length))).toEqual(new Set([1, 2, 3]));
  });

  it('keeps every invariant for any options (property)', () => {
    const rows = sib.slice(0, 120);
    fc.assert(
      fc.property(
        fc.record({
          users: fc.integer({ min: 1, max: 30 }),
          seed: fc.integer({ min: 0, max: 2 ** 40 }),
          lo: fc.integer({ min: 1, max: 20 }),
          extra: fc.integer({ min: 0, max: 20 }),
          limit: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
          share: fc.double({ min: 0.5, max: 1, noNaN: true }),
          spanMs: fc.integer({ min: 1, max: 10 * 86_400_000 }),
        }),
        (p) => {
          const opts: SimOptions = {
            users: p.users,
            seed: p.seed,
            startTs: 1_700_000_000_000,
            spanMs: p.spanMs,
            commentsPerUser: [p.lo, p.lo + p.extra],
            dominantShare: Math.max(0.51, p.share),
            ...(p.limit !== undefined ? { limit: p.limit } : {}),
          };
          checkInvariants(simulateUsers(rows, opts), rows, opts);
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);

  it('publishes exactly `limit` events, dealt round-robin over the users', () => {
    const sim = simulateUsers(sib, { ...base, users: 5, limit: 40 });
    expect(sim.events).toHaveLength(40);
    expect(sim.users.map((u) => u.comments)).toEqual([8, 8, 8, 8, 8]);
    expect(simulateUsers(sib, { ...base, users: 3, limit: 10 }).users.map((u) => u.comments)).toEqual([4, 3, 3]);
    // fewer events than users: only `limit` users, one event each
    const few = simulateUsers(sib, { ...base, users: 50, limit: 3 });
    expect(few.users.map((u) => [u.userId, u.comments])).toEqual([
      ['u0001', 1],
      ['u0002', 1],
      ['u0003', 1],
    ]);
  });

  it('interleaves users in global time order', () => {
    const sim = simulateUsers(sib, { ...base, users: 10, commentsPerUser: 20 });
    const firstTen = new Set(sim.events.slice(0, 30).map((e) => e.userId));
    expect(firstTen.size).toBeGreaterThan(3);
    expect(sim.events.map((e) => e.eventId)).toEqual(sim.events.map((_, i) => `sim-7-${i + 1}`));
  });

  it('draws the rows of a label without repeats until the label runs out', () => {
    const rows: SimRow[] = Array.from({ length: 30 }, (_, i) => ({ id: `r${i}`, text: `t${i}`, label: i < 10 ? 'a' : i < 20 ? 'b' : 'c' }));
    const sim = simulateUsers(rows, { ...base, users: 1, interestsPerUser: 1, commentsPerUser: 10 });
    expect(new Set(sim.events.map((e) => e.metadata.rowId)).size).toBe(10);
  });

  it('sets lang from the row, else from the options, else leaves it out', () => {
    const rows: SimRow[] = [
      { id: '1', text: 'hello', label: 'x', lang: 'en' },
      { id: '2', text: '你好', label: 'y' },
    ];
    const withDefault = simulateUsers(rows, { ...base, users: 4, lang: 'zh' });
    for (const e of withDefault.events) expect(e.lang).toBe(e.metadata.rowId === '1' ? 'en' : 'zh');
    const without = simulateUsers(rows, { ...base, users: 4 });
    for (const e of without.events) expect('lang' in e).toBe(e.metadata.rowId === '1');
  });

  it('caps interests by the number of labels and honours interestsPerUser', () => {
    const rows: SimRow[] = [
      { id: '1', text: 'a', label: 'only' },
      { id: '2', text: 'b', label: 'only' },
    ];
    expect(simulateUsers(rows, { ...base, users: 5 }).users.every((u) => u.interests.length === 1)).toBe(true);
    const three = simulateUsers(sib, { ...base, users: 20, interestsPerUser: 3, commentsPerUser: 10 });
    expect(three.users.every((u) => u.interests.length === 3)).toBe(true);
  });

  it('pads user ids to the number of users and uses the prefix', () => {
    const sim = simulateUsers(sib, { ...base, users: 12_000, limit: 12_000, userPrefix: 'sim-' });
    expect(sim.users[0]!.userId).toBe('sim-00001');
    expect(sim.users.at(-1)!.userId).toBe('sim-12000');
  });

  it('rejects bad options with USAGE errors', () => {
    const bad: Partial<SimOptions>[] = [{ users: 0 }, { limit: 0 }, { spanMs: 0 }, { dominantShare: 0 }, { dominantShare: 1.5 }, { commentsPerUser: [5, 2] }, { seed: 1.5 }];
    for (const b of bad) {
      let err: unknown;
      try {
        simulateUsers(sib, { ...base, ...b });
      } catch (e) {
        err = e;
      }
      expect(isPortraitError(err, 'USAGE'), JSON.stringify(b)).toBe(true);
    }
    expect(() => simulateUsers([], base)).toThrow(/no rows/);
  });

  it('works with the texts of the repository data', () => {
    const sim = simulateUsers(clinc, { ...base, users: 3, limit: 9 });
    for (const e of sim.events) expect(rowById.get(e.metadata.rowId)?.text).toBe(e.text);
  });
});

describe('allocate', () => {
  it('gives the main interest at least its share and more than each other one', () => {
    expect(allocate(10, 1, 0.6)).toEqual([10]);
    expect(allocate(10, 2, 0.6)).toEqual([6, 4]);
    expect(allocate(10, 3, 0.6)).toEqual([6, 2, 2]);
    expect(allocate(5, 3, 0.6)).toEqual([3, 1, 1]);
    expect(allocate(2, 3, 0.6)).toEqual([2]);
    expect(allocate(3, 3, 0.6)).toEqual([2, 1]);
    expect(allocate(9, 3, 0.2)).toEqual([3, 3, 3]);
    expect(allocate(0, 2, 0.6)).toEqual([]);
  });
});
