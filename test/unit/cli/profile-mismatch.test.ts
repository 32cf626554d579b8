import { describe, expect, it } from 'vitest';
import { profileMismatch } from '../../../src/cli/commands/profile-diff.js';

const profile = (over: Record<string, unknown> = {}) => ({
  userId: 'u1',
  commentCount: 3,
  firstSeen: '2026-11-01T00:00:00.000Z',
  lastSeen: '2026-11-03T00:00:00.000Z',
  interests: [
    { label: 'sports', share: 0.6, score: 0.6, confidence: 0.8 },
    { label: 'travel', share: 0.4, score: 0.4, confidence: 0.2 },
  ],
  topTerms: [
    { term: '滑雪', score: 2 },
    { term: 'ski', score: 1 },
  ],
  ...over,
});

describe('profileMismatch (the demo and rebuild checks)', () => {
  it('accepts equal profiles and shares within the tolerance', () => {
    expect(profileMismatch(profile(), profile())).toBeUndefined();
    const close = profile({
      interests: [
        { label: 'sports', share: 0.60005 },
        { label: 'travel', share: 0.39995 },
      ],
    });
    expect(profileMismatch(profile(), close)).toBeUndefined();
    expect(profileMismatch(null, null)).toBeUndefined();
  });

  it('names the first difference', () => {
    expect(profileMismatch(profile(), null)).toBe('live profile only');
    expect(profileMismatch(null, profile())).toBe('rebuilt profile only');
    expect(profileMismatch(profile(), profile({ commentCount: 2 }))).toBe('commentCount 3 live, 2 rebuilt');
    expect(profileMismatch(profile(), profile({ firstSeen: '2026-11-02T00:00:00.000Z' }))).toMatch(/^seen /);
    expect(
      profileMismatch(
        profile(),
        profile({
          interests: [
            { label: 'travel', share: 0.6 },
            { label: 'sports', share: 0.4 },
          ],
        }),
      ),
    ).toBe('interests sports,travel live, travel,sports rebuilt');
    expect(
      profileMismatch(
        profile(),
        profile({
          interests: [
            { label: 'sports', share: 0.59 },
            { label: 'travel', share: 0.41 },
          ],
        }),
      ),
    ).toBe('share of sports 0.6 live, 0.59 rebuilt');
    expect(
      profileMismatch(
        profile(),
        profile({
          topTerms: [
            { term: 'ski', score: 2 },
            { term: '滑雪', score: 1 },
          ],
        }),
      ),
    ).toMatch(/^top terms /);
  });
});
