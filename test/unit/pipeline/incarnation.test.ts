/**
 * Offsets are compared within one incarnation of a topic (its topic ID): a recreated topic's
 * events are never skipped because of the old topic's offsets.
 */
import { describe, expect, it } from 'vitest';
import { alignIncarnation, foldUserEvents, tpKey, type UserEvent } from '../../../src/pipeline/fold.js';
import { isSuppressed } from '../../../src/pipeline/plan.js';
import type { ProfileParams } from '../../../src/profile/index.js';

const params: ProfileParams = { halfLifeMs: 86_400_000, maxTerms: 50, evidencePerLabel: 3, topK: 3, topTerms: 5 };

function ev(offset: number, topicId: string | undefined, partition = 2, id = `${topicId}-${partition}-${offset}`): UserEvent {
  return {
    topic: 'comments',
    topicId,
    partition,
    offset,
    observation: { eventId: id, commentId: id, ts: 1_700_000_000_000 + offset * 1000, probs: { a: 1 }, embedding: [1, 0], terms: ['t'] },
  };
}

describe('topic incarnations in the applied offsets', () => {
  it('keys offsets by topic ID when there is one', () => {
    expect(tpKey('comments', 2, 'AbC')).toBe('comments@AbC:2');
    expect(tpKey('comments', 2)).toBe('comments:2');
  });

  it("folds a recreated topic's events although their offsets are below the old topic's (erin: 4 then 2 more)", () => {
    const first = foldUserEvents(
      null,
      [0, 1, 2, 3].map((o) => ev(o, 'OLD')),
      params,
      2,
    );
    expect(first.applied).toEqual({ 'comments@OLD:2': 4 });
    const stored = { version: 1, state: first.state, applied: first.applied, recent: first.recent };
    const after = foldUserEvents(stored, [ev(0, 'NEW'), ev(1, 'NEW')], params, 2);
    expect(after.state.count).toBe(6);
    expect(after.duplicates).toBe(0);
    expect(after.staleIncarnations).toBe(1);
    // the old incarnation's offsets are gone; the new one's recorded
    expect(after.applied).toEqual({ 'comments@NEW:2': 2 });
    // and a redelivery within the new incarnation is still skipped
    const again = foldUserEvents({ version: 2, state: after.state, applied: after.applied, recent: after.recent }, [ev(1, 'NEW'), ev(2, 'NEW')], params, 2);
    expect(again.duplicates).toBe(1);
    expect(again.state.count).toBe(7);
  });

  it('the event-id window still catches the same event seen again in a new incarnation (a mirrored topic)', () => {
    const first = foldUserEvents(null, [ev(7, 'OLD', 2, 'same')], params, 2);
    const after = foldUserEvents({ version: 1, state: first.state, applied: first.applied, recent: first.recent }, [ev(0, 'NEW', 2, 'same')], params, 2);
    expect(after.repeats).toBe(1);
    expect(after.state.count).toBe(1);
  });

  it('adopts offsets recorded before incarnations existed as the current incarnation', () => {
    const applied: Record<string, number> = { 'comments:2': 4, 'comments:0': 9, 'other:1': 3 };
    expect(alignIncarnation(applied, 'comments', 'NOW')).toBe(0);
    expect(applied).toEqual({ 'comments@NOW:2': 4, 'comments@NOW:0': 9, 'other:1': 3 });
    const first = foldUserEvents(null, [ev(0, undefined), ev(1, undefined), ev(2, undefined), ev(3, undefined)], params, 2);
    const redelivered = foldUserEvents({ version: 1, state: first.state, applied: first.applied, recent: '' }, [ev(3, 'NOW'), ev(4, 'NOW')], params, 2);
    expect(redelivered.duplicates).toBe(1);
    expect(redelivered.applied).toEqual({ 'comments@NOW:2': 5 });
  });

  it('leaves other topics and other incarnations of other topics alone', () => {
    const applied: Record<string, number> = { 'comments@A:0': 4, 'comments.v2@A:0': 8 };
    expect(alignIncarnation(applied, 'comments', 'B')).toBe(1);
    expect(applied).toEqual({ 'comments.v2@A:0': 8 });
  });

  it("an erasure's offsets hold within their incarnation only; its time holds everywhere", () => {
    const s = { ts: 1_000, offsets: { 'comments@OLD:2': 10 } };
    expect(isSuppressed(s, { topic: 'comments', topicId: 'OLD', partition: 2, offset: 5, ts: 5_000 })).toBe(true);
    expect(isSuppressed(s, { topic: 'comments', topicId: 'NEW', partition: 2, offset: 5, ts: 5_000 })).toBe(false);
    expect(isSuppressed(s, { topic: 'comments', topicId: 'NEW', partition: 2, offset: 5, ts: 999 })).toBe(true);
    // a suppression recorded before incarnations (no ID) still applies
    expect(isSuppressed({ ts: 1_000, offsets: { 'comments:2': 10 } }, { topic: 'comments', topicId: 'NEW', partition: 2, offset: 5, ts: 5_000 })).toBe(true);
  });
});
