import { describe, expect, it } from 'vitest';
import { scoreProfiles } from '../../../src/eval/profile-score.js';

describe('profile scoring (hand-computed)', () => {
  // u1: main sports, also travel; profile ranks sports first       -> top1 yes, top3 recall 2/2
  // u2: main health, also food, music; profile ranks food, health  -> top1 no,  top3 recall 2/3
  // u3: main travel; no profile                                    -> top1 no,  top3 recall 0
  const truth = [
    { userId: 'u1', interests: ['sports', 'travel'] },
    { userId: 'u2', interests: ['health', 'food', 'music'] },
    { userId: 'u3', interests: ['travel'] },
  ];
  const profiles = [
    { userId: 'u1', ranked: ['sports', 'tech', 'travel', 'music'] },
    { userId: 'u2', ranked: ['food', 'health', 'sports', 'music'] },
  ];
  const p = (best: string, rest: string) => ({ [best]: 0.7, [rest]: 0.3 });
  // comments: u1 3 (2 right), u2 4 (1 right), u3 1 (right) -> per-comment 4/8
  const comments = [
    { userId: 'u1', truth: 'sports', probs: p('sports', 'tech') },
    { userId: 'u1', truth: 'sports', probs: p('sports', 'tech') },
    { userId: 'u1', truth: 'travel', probs: p('tech', 'travel') },
    { userId: 'u2', truth: 'health', probs: p('food', 'health') },
    { userId: 'u2', truth: 'health', probs: p('health', 'food') },
    { userId: 'u2', truth: 'food', probs: { music: 0.5, food: 0.45, health: 0.05 } },
    { userId: 'u2', truth: 'health', probs: { sports: 0.4, health: 0.35, food: 0.25 } },
    { userId: 'u3', truth: 'travel', probs: p('travel', 'sports') },
  ];
  const s = scoreProfiles(truth, profiles, comments);

  it('top-1 against the main interest and top-3 recall of the latent set; a user without a profile is a miss', () => {
    expect(s.users).toBe(3);
    expect(s.profiled).toBe(2);
    expect(s.top1).toBeCloseTo(1 / 3, 4);
    expect(s.top3Recall).toBeCloseTo((1 + 2 / 3 + 0) / 3, 4);
    expect(s.perUser.map((u) => [u.userId, u.top1, u.profileTop])).toEqual([
      ['u1', true, ['sports', 'tech', 'travel']],
      ['u2', false, ['food', 'health', 'sports']],
      ['u3', false, []],
    ]);
  });

  it('per-comment accuracy and the two per-comment aggregations', () => {
    expect(s.perComment).toEqual({ comments: 8, accuracy: 0.5 });
    expect(s.gain).toBeCloseTo(1 / 3 - 0.5, 4);
    // majority vote: u1 sports (2 of 3) ✓; u2 food, health, music, sports — 1 each, first seen wins: food ✗; u3 travel ✓
    expect(s.majorityVoteTop1).toBeCloseTo(2 / 3, 4);
    // mean probability: u1 sports 1.4 ✓; u2 health .3+.7+.05+.35 = 1.4 vs food .7+.3+.45+.25 = 1.7 ✗; u3 ✓
    expect(s.meanProbabilityTop1).toBeCloseTo(2 / 3, 4);
  });

  it('share error: L1 between profile shares and the true mix, over users with both; absent without them', () => {
    expect(s.shareError).toBeUndefined();
    const withShares = scoreProfiles(
      [
        { userId: 'a', interests: ['x', 'y'], proportions: { x: 0.75, y: 0.25 } },
        { userId: 'b', interests: ['z'], proportions: { z: 1 } },
        { userId: 'c', interests: ['z'], proportions: { z: 1 } }, // no profile: not counted
      ],
      [
        { userId: 'a', ranked: ['x', 'w'], shares: { x: 0.5, w: 0.5 } }, // |.75-.5| + |.25-0| + |0-.5| = 1
        { userId: 'b', ranked: ['z'], shares: { z: 1 } }, // 0
      ],
      [],
    );
    expect(withShares.perUser.map((u) => u.shareError)).toEqual([1, 0, undefined]);
    expect(withShares.shareError).toBe(0.5);
  });
});
