import { describe, expect, it } from 'vitest';
import { foldUserEvents, tpKey, type UserEvent } from '../../../src/pipeline/fold.js';
import type { ProfileParams } from '../../../src/profile/index.js';

const params: ProfileParams = { halfLifeMs: 86_400_000, maxTerms: 50, evidencePerLabel: 3, topK: 3, topTerms: 5, confidencePrior: 3 };

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
