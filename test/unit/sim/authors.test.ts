import { describe, expect, it } from 'vitest';
import { AUTHOR_SIM, simulateAuthors, type AuthorOptions } from '../../../src/sim/authors.js';
import { readLabelledRows } from '../../../src/sim/jsonl.js';

const rows = readLabelledRows(new URL('../../../data/sib200_en.jsonl', import.meta.url).pathname);
const opts: AuthorOptions = { authors: 2000, seed: 11, startTs: Date.UTC(2025, 0, 1), spanMs: 90 * 86_400_000 };
const sim = simulateAuthors(rows, opts);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('simulateAuthors: authors shaped like a forum', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    expect(simulateAuthors(rows, opts)).toEqual(sim);
    expect(simulateAuthors(rows, { ...opts, seed: 12 }).events.map((e) => e.text)).not.toEqual(sim.events.map((e) => e.text));
  });

  it('draws 1-50 posts per author from a skewed distribution', () => {
    const n = sim.users.map((u) => u.comments);
    expect(Math.min(...n)).toBe(1);
    expect(Math.max(...n)).toBeLessThanOrEqual(AUTHOR_SIM.maxPosts);
    expect(Math.max(...n)).toBeGreaterThan(30);
    expect(median(n)).toBeLessThanOrEqual(3);
    const mean = n.reduce((a, b) => a + b, 0) / n.length;
    expect(mean).toBeGreaterThan(4);
    expect(mean).toBeLessThan(8);
    expect(sim.events.length).toBe(n.reduce((a, b) => a + b, 0));
  });

  it('gives each author a dominant topic and a long tail; the truth is the majority of the posts', () => {
    const many = sim.users.filter((u) => u.comments >= 10);
    expect(many.length).toBeGreaterThan(100);
    let dominantShare = 0;
    let multi = 0;
    for (const u of sim.users) {
      const counts = Object.entries(u.labelCounts);
      const max = Math.max(...counts.map(([, c]) => c));
      expect(u.labelCounts[u.majority]).toBe(max);
      expect(u.interests[0]).toBe(u.majority);
      expect(counts.reduce((s, [, c]) => s + c, 0)).toBe(u.comments);
    }
    for (const u of many) {
      dominantShare += (u.labelCounts[u.dominant] ?? 0) / u.comments;
      if (Object.keys(u.labelCounts).length >= 3) multi++;
    }
    // mean share of the dominant topic near Beta(6, 2.5)'s mean (0.71) plus the duplicates' share of it
    expect(dominantShare / many.length).toBeGreaterThan(0.62);
    expect(dominantShare / many.length).toBeLessThan(0.8);
    // a long tail: most prolific authors touch three or more topics
    expect(multi / many.length).toBeGreaterThan(0.6);
    // and the majority is not always the topic the posts were drawn around when there are few posts
    expect(sim.users.some((u) => u.majority !== u.dominant)).toBe(true);
  });

  it('makes a quarter of the authors drift into their dominant topic over time', () => {
    const drifting = sim.users.filter((u) => u.drift);
    expect(drifting.length / sim.users.length).toBeGreaterThan(0.2);
    expect(drifting.length / sim.users.length).toBeLessThan(0.3);
    // for drifting authors with many posts, dominant-topic posts come later than the others on average
    const rowLabel = new Map(rows.map((r) => [r.id, r.label]));
    let later = 0;
    let checked = 0;
    for (const u of drifting.filter((a) => a.comments >= 10)) {
      const evs = sim.events.filter((e) => e.userId === u.userId);
      const mean = (f: (l: string) => boolean) => {
        const ts = evs.filter((e) => f(rowLabel.get(e.metadata.rowId)!)).map((e) => e.ts);
        return ts.length === 0 ? undefined : ts.reduce((a, b) => a + b, 0) / ts.length;
      };
      const dom = mean((l) => l === u.dominant);
      const rest = mean((l) => l !== u.dominant);
      if (dom === undefined || rest === undefined) continue;
      checked++;
      if (dom > rest) later++;
    }
    expect(checked).toBeGreaterThan(10);
    expect(later / checked).toBeGreaterThan(0.8);
  });

  it('repeats about 8 % of the posts after an author’s first as near-duplicates', () => {
    const dups = sim.users.reduce((s, u) => s + u.nearDuplicates, 0);
    const eligible = sim.users.reduce((s, u) => s + u.comments - 1, 0);
    expect(dups / eligible).toBeGreaterThan(0.05);
    expect(dups / eligible).toBeLessThan(0.11);
    const texts = new Set(rows.map((r) => r.text));
    const edited = sim.events.filter((e) => !texts.has(e.text));
    expect(edited.length).toBeGreaterThanOrEqual(dups * 0.9);
  });

  it('returns events in time order, strictly increasing per author, inside the span, with unique ids', () => {
    for (let i = 1; i < sim.events.length; i++) expect(sim.events[i]!.ts).toBeGreaterThanOrEqual(sim.events[i - 1]!.ts);
    const last = new Map<string, number>();
    for (const e of sim.events) {
      expect(e.ts).toBeGreaterThan(last.get(e.userId) ?? -Infinity);
      last.set(e.userId, e.ts);
      expect(e.ts).toBeGreaterThanOrEqual(opts.startTs);
      expect(e.ts).toBeLessThan(opts.startTs + opts.spanMs + 100);
    }
    expect(new Set(sim.events.map((e) => e.eventId)).size).toBe(sim.events.length);
  });

  it('rejects an empty row set and a bad author count', () => {
    expect(() => simulateAuthors([], opts)).toThrow(/no rows/);
    expect(() => simulateAuthors(rows, { ...opts, authors: 0 })).toThrow(/authors must be/);
  });
});
