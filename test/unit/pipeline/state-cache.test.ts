import { describe, expect, it } from 'vitest';
import { StateCache } from '../../../src/pipeline/state-cache.js';
import { decodeState, emptyState, encodeState, update, type ProfileParams } from '../../../src/profile/index.js';

const params: ProfileParams = { halfLifeMs: 86_400_000, maxTerms: 10, evidencePerLabel: 2, topK: 2, topTerms: 2 };

describe('StateCache', () => {
  it('returns exactly what a read from Redis would (centroid rounded to float32), per namespace', () => {
    const state = update(emptyState(3), { eventId: 'e', commentId: 'c', ts: 1_700_000_000_000, probs: { a: 1 }, embedding: [0.1, 0.2, Math.SQRT1_2], terms: ['x'] }, params);
    const cache = new StateCache(10);
    cache.set('main', 'u1', { version: 3, state, applied: { 'c:0': 5 }, token: 't1', recent: 'a1b2c3d4e5f6' });
    const enc = encodeState(state);
    const fromRedis = decodeState(enc.meta, enc.centroid, 3);
    expect(cache.get('main', 'u1', 3)).toEqual({ version: 3, token: 't1', applied: { 'c:0': 5 }, recent: 'a1b2c3d4e5f6', state: fromRedis });
    expect(cache.get('other', 'u1', 3)).toBeUndefined();
    cache.delete('main', 'u1');
    expect(cache.get('main', 'u1', 3)).toBeUndefined();
  });

  it('is bounded', () => {
    const cache = new StateCache(2);
    for (const u of ['a', 'b', 'c']) cache.set('ns', u, { version: 1, state: emptyState(2), applied: {} });
    expect(cache.size).toBe(2);
    expect(cache.get('ns', 'a', 2)).toBeUndefined();
  });

  it('is bounded by bytes too, counting the stored encoding', () => {
    const big = update(emptyState(4), { eventId: 'e', commentId: 'c', ts: 1_700_000_000_000, probs: { a: 1 }, embedding: [0.5, 0.5, 0.5, 0.5], terms: Array.from({ length: 10 }, (_, i) => `term${i}`) }, params);
    const one = new StateCache(100);
    one.set('ns', 'x', { version: 1, state: big, applied: {} });
    const per = one.bytes;
    expect(per).toBeGreaterThan(encodeState(big).meta.length * 2);
    const cache = new StateCache(100, per * 3 + 10);
    for (let i = 0; i < 10; i++) cache.set('ns', `u${i}`, { version: 1, state: big, applied: {} });
    expect(cache.size).toBe(3);
    expect(cache.get('ns', 'u9', 4)!.state).toEqual(decodeState(encodeState(big).meta, encodeState(big).centroid, 4));
  });
});
