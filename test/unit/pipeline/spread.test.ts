/**
 * Users whose comments arrive on more than one partition (a producer not keying by murmur2): found
 * in the applied offsets of the topic's current incarnation, warned about once per user per interval,
 * recorded by partition set.
 */
import { describe, expect, it } from 'vitest';
import { partitionsOf } from '../../../src/pipeline/fold.js';
import { SpreadWarnings, spreadSets } from '../../../src/pipeline/spread.js';

describe('partitionsOf', () => {
  it("names the partitions of the topic's incarnation, ascending", () => {
    const applied = { 'comments@ID:5': 7, 'comments@ID:2': 4, 'other@X:1': 2, 'comments@OLD:3': 9 };
    expect(partitionsOf(applied, 'comments', 'ID')).toEqual([2, 5]);
    expect(partitionsOf(applied, 'comments', 'OLD')).toEqual([3]);
    expect(partitionsOf(applied, 'other', 'X')).toEqual([1]);
  });

  it('without a topic ID, reads the keys without one (a broker without topic IDs)', () => {
    expect(partitionsOf({ 'comments:0': 1, 'comments:4': 2, 'comments@ID:1': 3 }, 'comments')).toEqual([0, 4]);
  });

  it('does not take another topic whose name starts the same for this one', () => {
    expect(partitionsOf({ 'comments:1': 1, 'comments-b:2': 1, 'comments.x@I:3': 1 }, 'comments')).toEqual([1]);
  });

  it('one partition: not spread', () => {
    expect(partitionsOf({ 'comments@ID:2': 9 }, 'comments', 'ID')).toHaveLength(1);
  });
});

describe('SpreadWarnings', () => {
  it('warns about a user once per interval, and again after it', () => {
    const w = new SpreadWarnings(1000);
    expect(w.due('carol', 0)).toBe(true);
    expect(w.due('carol', 999)).toBe(false);
    expect(w.due('dave', 999)).toBe(true);
    expect(w.due('carol', 1000)).toBe(true);
    expect(w.due('carol', 1500)).toBe(false);
  });

  it('remembers at most 10,000 users, forgetting those warned longest ago', () => {
    const w = new SpreadWarnings(1000);
    for (let i = 0; i <= 10_000; i++) w.due(`u${i}`, 0);
    expect(w.due('u0', 1)).toBe(true); // forgotten: warned again
    expect(w.due('u10000', 1)).toBe(false);
  });
});

describe('spreadSets', () => {
  it('counts writes per partition set and incarnation', () => {
    const sets = spreadSets([
      { userId: 'carol', topic: 'comments', topicId: 'ID', partitions: [2, 5] },
      { userId: 'dave', topic: 'comments', topicId: 'ID', partitions: [2, 5] },
      { userId: 'erin', topic: 'comments', topicId: 'ID', partitions: [0, 2, 4] },
      { userId: 'zoë', topic: 'comments', partitions: [1, 3] },
    ]);
    expect([...sets]).toEqual([
      ['ID:2,5', 2],
      ['ID:0,2,4', 1],
      [':1,3', 1],
    ]);
  });
});
