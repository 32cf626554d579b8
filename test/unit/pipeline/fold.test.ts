import { describe, expect, it } from 'vitest';
import { decodeRecent, foldUserEvents, idDigest, tpKey, type UserEvent } from '../../../src/pipeline/fold.js';
import type { ProfileParams } from '../../../src/profile/index.js';

const params: ProfileParams = { halfLifeMs: 86_400_000, maxTerms: 50, evidencePerLabel: 3, topK: 3, topTerms: 5 };

function ev(offset: number, label: string, partition = 0): UserEvent {
  return {
    topic: 'comments',
    partition,
    offset,
    observation: { eventId: `e${partition}-${offset}`, commentId: `c${offset}`, ts: 1_700_000_000_000 + offset * 1000, probs: { [label]: 1 }, embedding: [1, 0], terms: ['t'] },
  };
}

describe('foldUserEvents', () => {
  it('folds new events and records the next offset per topic-partition', () => {
    const r = foldUserEvents(null, [ev(0, 'a'), ev(1, 'b')], params, 2);
    expect(r.state.count).toBe(2);
    expect(r.applied).toEqual({ [tpKey('comments', 0)]: 2 });
    expect(r.eventIds).toEqual(['e0-0', 'e0-1']);
    expect(r.duplicates).toBe(0);
  });

  it('skips events at offsets already applied, so a redelivery counts nothing twice', () => {
    const first = foldUserEvents(null, [ev(0, 'a'), ev(1, 'b')], params, 2);
    const stored = { version: 1, state: first.state, applied: first.applied };
    const again = foldUserEvents(stored, [ev(0, 'a'), ev(1, 'b'), ev(2, 'a')], params, 2);
    expect(again.duplicates).toBe(2);
    expect(again.eventIds).toEqual(['e0-2']);
    expect(again.state.count).toBe(3);
    const none = foldUserEvents({ version: 2, state: again.state, applied: again.applied }, [ev(1, 'b'), ev(2, 'a')], params, 2);
    expect(none.eventIds).toEqual([]);
    expect(none.state).toBe(again.state);
  });

  it('tracks partitions independently (a user moved by a partition-count change)', () => {
    const r = foldUserEvents(null, [ev(5, 'a', 0), ev(0, 'a', 1)], params, 2);
    expect(r.applied).toEqual({ 'comments:0': 6, 'comments:1': 1 });
    expect(r.state.count).toBe(2);
  });
});

describe('foldUserEvents: repeated event ids', () => {
  const withId = (offset: number, eventId: string): UserEvent => ({ ...ev(offset, 'a'), observation: { ...ev(offset, 'a').observation, eventId } });

  it('counts an event id once, at whatever offsets it comes again, within a batch and across batches', () => {
    const r = foldUserEvents(null, [withId(0, 'x'), withId(1, 'y'), withId(2, 'x')], params, 2);
    expect(r.eventIds).toEqual(['x', 'y']);
    expect(r.repeats).toBe(1);
    expect(r.duplicates).toBe(0);
    expect(r.state.count).toBe(2);
    expect(decodeRecent(r.recent)).toEqual([idDigest('x'), idDigest('y')]);
    const later = foldUserEvents({ version: 1, state: r.state, applied: r.applied, recent: r.recent }, [withId(7, 'y'), withId(8, 'z')], params, 2);
    expect(later.eventIds).toEqual(['z']);
    expect(later.repeats).toBe(1);
    expect(later.state.count).toBe(3);
  });

  it('remembers the newest `window` ids only; window 0 is de-duplication by offset alone', () => {
    const r = foldUserEvents(null, [withId(0, 'a'), withId(1, 'b'), withId(2, 'c')], params, 2, 2);
    expect(decodeRecent(r.recent)).toEqual([idDigest('b'), idDigest('c')]);
    const again = foldUserEvents({ version: 1, state: r.state, applied: r.applied, recent: r.recent }, [withId(3, 'a'), withId(4, 'c')], params, 2, 2);
    expect(again.eventIds).toEqual(['a']);
    const off = foldUserEvents(null, [withId(0, 'a'), withId(1, 'a')], params, 2, 0);
    expect(off.eventIds).toEqual(['a', 'a']);
    expect(off.recent).toBe('');
  });

  it('checks the offset first: a redelivered offset is a duplicate, not a repeat', () => {
    const r = foldUserEvents(null, [withId(0, 'x')], params, 2);
    const again = foldUserEvents({ version: 1, state: r.state, applied: r.applied, recent: r.recent }, [withId(0, 'x')], params, 2);
    expect([again.duplicates, again.repeats]).toEqual([1, 0]);
  });

  it('ignores a malformed stored value instead of failing the user', () => {
    expect(decodeRecent('not hex at all!')).toEqual([]);
    expect(decodeRecent('abc')).toEqual([]);
    expect(decodeRecent(undefined)).toEqual([]);
    expect(idDigest('x')).toMatch(/^[0-9a-f]{12}$/);
  });
});
