import { describe, expect, it } from 'vitest';
import { emptyState, encodeState, update, type ProfileParams } from '../../../src/profile/index.js';
import { metaSeen } from '../../../src/profile/codec.js';
import { COVERAGE_SLACK_MS, missingHistory, type NamespaceSpan } from '../../../src/store/namespaces.js';

const span = (oldest: number | undefined, profiles = 3): NamespaceSpan => ({ namespace: 'x', profiles, oldestFirstSeen: oldest, newestLastSeen: oldest === undefined ? undefined : oldest + 1 });
const PARAMS: ProfileParams = { halfLifeMs: 30 * 86_400_000, topK: 5, topTerms: 10, evidencePerLabel: 3, maxTerms: 100 };

describe('namespace coverage (issue #20)', () => {
  it('a candidate covers less history when its oldest comment is more than the slack later than the live one', () => {
    expect(missingHistory(span(1000), span(1000))).toBeUndefined();
    expect(missingHistory(span(1000 + COVERAGE_SLACK_MS), span(1000))).toBeUndefined();
    expect(missingHistory(span(1001 + COVERAGE_SLACK_MS), span(1000))).toBe(1 + COVERAGE_SLACK_MS);
    expect(missingHistory(span(0), span(1000))).toBeUndefined();
    // an empty candidate against profiles: everything is missing; nothing live: nothing to compare
    expect(missingHistory(span(undefined, 0), span(1000))).toBe(Number.POSITIVE_INFINITY);
    expect(missingHistory(span(5000), span(undefined, 0))).toBeUndefined();
  });

  it('reads count, firstSeen and lastSeen from an encoded state without the centroid, and nothing from a bad one', () => {
    let s = emptyState(2);
    for (const ts of [5000, 2000, 9000]) s = update(s, { eventId: `e${ts}`, commentId: `c${ts}`, ts, probs: { a: 1 }, embedding: [1, 0], terms: [] }, PARAMS);
    expect(metaSeen(encodeState(s).meta)).toEqual({ count: 3, firstSeen: 2000, lastSeen: 9000 });
    expect(metaSeen(encodeState(emptyState(2)).meta)).toEqual({ count: 0, firstSeen: 0, lastSeen: 0 });
    expect(metaSeen('{not json')).toBeUndefined();
    expect(metaSeen('{"v":99,"count":1,"firstSeen":1,"lastSeen":2}')).toBeUndefined();
    expect(metaSeen('{"v":1,"count":1,"firstSeen":"1","lastSeen":2}')).toBeUndefined();
  });
});
