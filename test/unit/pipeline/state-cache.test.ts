import { describe, expect, it } from 'vitest';
import { StateCache } from '../../../src/pipeline/state-cache.js';
import { decodeState, emptyState, encodeState, update, type ProfileParams } from '../../../src/profile/index.js';

const params: ProfileParams = { halfLifeMs: 86_400_000, maxTerms: 10, evidencePerLabel: 2, topK: 2, topTerms: 2, confidencePrior: 3 };

describe('StateCache', () => {
  it('returns exactly what a read from Redis would (centroid rounded to float32), per namespace', () => {
    const state = update(emptyState(3), { eventId: 'e', commentId: 'c', ts: 1_700_000_000_000, probs: { a: 1 }, embedding: [0.1, 0.2, Math.SQRT1_2], terms: ['x'] }, params);
    const cache = new StateCache(10);
    cache.set('main', 'u1', { version: 3, state, applied: { 'c:0': 5 } });
    const enc = encodeState(state);
    const fromRedis = decodeState(enc.meta, enc.centroid, 3);
    expect(cache.get('main', 'u1')!.state).toEqual(fromRedis);
    expect(cache.get('other', 'u1')).toBeUndefined();
    cache.delete('main', 'u1');
    expect(cache.get('main', 'u1')).toBeUndefined();
  });

  it('is bounded', () => {
    const cache = new StateCache(2);
    for (const u of ['a', 'b', 'c']) cache.set('ns', u, { version: 1, state: emptyState(2), applied: {} });
    expect(cache.size).toBe(2);
    expect(cache.get('ns', 'a')).toBeUndefined();
  });
});
