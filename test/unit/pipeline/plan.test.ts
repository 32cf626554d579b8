import { describe, expect, it } from 'vitest';
import type { UserEvent } from '../../../src/pipeline/fold.js';
import { isSuppressed, mergeSuppression, planUser, type UserItem } from '../../../src/pipeline/plan.js';
import type { ProfileParams } from '../../../src/profile/index.js';

const params: ProfileParams = { halfLifeMs: 86_400_000, maxTerms: 50, evidencePerLabel: 3, topK: 3, topTerms: 5 };
const T0 = 1_700_000_000_000;

function comment(offset: number, tsOffset = offset): UserItem {
  const event: UserEvent = {
    topic: 'c',
    partition: 0,
    offset,
    observation: { eventId: `e${offset}`, commentId: `c${offset}`, ts: T0 + tsOffset * 1000, probs: { a: 1 }, embedding: [1, 0], terms: ['t'] },
  };
  return { kind: 'comment', event };
}

function forget(offset: number): UserItem {
  return { kind: 'forget', forget: { topic: 'c', partition: 0, offset, eventId: `f${offset}`, ts: T0 + offset * 1000 } };
}

describe('planUser', () => {
  it('folds comments when nothing is erased', () => {
    const p = planUser([comment(0), comment(1)], { profile: null, suppression: null }, params, 2);
    expect(p.forget).toBeUndefined();
    expect(p.fold.eventIds).toEqual(['e0', 'e1']);
    expect(p.suppressed).toBe(0);
  });

  it('erases what came before a forget and folds only what follows, into a fresh state', () => {
    const first = planUser([comment(0)], { profile: null, suppression: null }, params, 2);
    const stored = { version: 4, state: first.fold.state, applied: first.fold.applied };
    const p = planUser([comment(1), forget(2), comment(3)], { profile: stored, suppression: null }, params, 2);
    expect(p.forget?.eventId).toBe('f2');
    expect(p.forget?.suppression).toEqual({ ts: T0 + 2000, offsets: { 'c:0': 3 } });
    expect(p.base).toBeNull();
    expect(p.fold.eventIds).toEqual(['e3']);
    expect(p.fold.state.count).toBe(1);
    expect(p.suppressed).toBe(1);
  });

  it('drops comments an earlier erasure covers, by offset or by event time, so a replay cannot resurrect them', () => {
    const suppression = { ts: T0 + 5000, offsets: { 'c:0': 10 } };
    const p = planUser([comment(3), comment(8, 100), comment(12, 2), comment(13, 50)], { profile: null, suppression }, params, 2);
    expect(p.fold.eventIds).toEqual(['e13']);
    expect(p.suppressed).toBe(3);
  });

  it('a repeated forget changes nothing more (idempotent suppression)', () => {
    const s1 = { ts: T0 + 2000, offsets: { 'c:0': 3 } };
    const p = planUser([forget(2)], { profile: null, suppression: s1 }, params, 2);
    expect(p.forget?.suppression).toEqual(s1);
    expect(p.fold.eventIds).toEqual([]);
  });
});

describe('suppression', () => {
  it('merges by keeping the latest time and the highest offsets', () => {
    expect(mergeSuppression({ ts: 5, offsets: { a: 3, b: 9 } }, { ts: 2, offsets: { a: 7 } })).toEqual({ ts: 5, offsets: { a: 7, b: 9 } });
    expect(mergeSuppression(null, { ts: 1, offsets: {} })).toEqual({ ts: 1, offsets: {} });
  });

  it('covers events at or before its time, and below its offset on the same partition only', () => {
    const s = { ts: 100, offsets: { 'c:0': 10 } };
    expect(isSuppressed(s, { topic: 'c', partition: 0, offset: 50, ts: 100 })).toBe(true);
    expect(isSuppressed(s, { topic: 'c', partition: 0, offset: 9, ts: 500 })).toBe(true);
    expect(isSuppressed(s, { topic: 'c', partition: 1, offset: 9, ts: 500 })).toBe(false);
    expect(isSuppressed(s, { topic: 'c', partition: 0, offset: 10, ts: 101 })).toBe(false);
    expect(isSuppressed(null, { topic: 'c', partition: 0, offset: 0, ts: 0 })).toBe(false);
  });
});
