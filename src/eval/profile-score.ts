/**
 * Scoring user profiles against simulated users' latent interests (pure). Beside the profiles,
 * the same classifier's per-comment predictions give two baselines: per-comment accuracy, and
 * two simple user-level aggregations of them (majority vote of the labels, mean of the
 * probabilities), so the profile's own aggregation can be judged against both.
 */
import { topLabel } from '../train/metrics.js';

export interface UserTruth {
  userId: string;
  /** Latent interests, main first. */
  interests: readonly string[];
  /** Share of the user's comments on each label (sums to 1), when known. */
  proportions?: Readonly<Record<string, number>>;
}

export interface ProfileView {
  userId: string;
  /** Interests as the profile ranks them (best first). */
  ranked: readonly string[];
  /** The profile's share per listed interest. */
  shares?: Readonly<Record<string, number>>;
}

export interface CommentPrediction {
  userId: string;
  truth: string;
  probs: Readonly<Record<string, number>>;
}

export interface UserScore {
  userId: string;
  interests: string[];
  profileTop: string[];
  top1: boolean;
  top3Recall: number;
  /** L1 distance between the profile's shares and the user's proportions (0-2), when both are known. */
  shareError?: number;
}

export interface ProfileScores {
  users: number;
  /** Users that have a profile (the others count as misses). */
  profiled: number;
  /** Share of users whose profile's first interest is their main interest. */
  top1: number;
  /** Mean over users of |profile top 3 ∩ latent interests| / |latent interests|. */
  top3Recall: number;
  perComment: { comments: number; accuracy: number };
  /** Users whose most frequent per-comment label is the main interest (ties: first seen). */
  majorityVoteTop1: number;
  /** Users whose highest mean per-comment probability is the main interest (no decay). */
  meanProbabilityTop1: number;
  /** top1 minus per-comment accuracy. */
  gain: number;
  /**
   * Mean over users of Σ_label |profile share − share of the user's comments| (0 = exact, 2 = disjoint);
   * labels the profile does not list count as share 0. Only when truth proportions and shares are given.
   */
  shareError?: number;
  perUser: UserScore[];
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

function argmaxRecord(r: Map<string, number>): string | undefined {
  let best: string | undefined;
  let bv = -Infinity;
  for (const [k, v] of r) {
    if (v > bv) {
      best = k;
      bv = v;
    }
  }
  return best;
}

function l1(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): number {
  let s = 0;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) s += Math.abs((a[k] ?? 0) - (b[k] ?? 0));
  return s;
}

export function scoreProfiles(truth: readonly UserTruth[], profiles: readonly ProfileView[], comments: readonly CommentPrediction[]): ProfileScores {
  const byUser = new Map(profiles.map((p) => [p.userId, p]));
  const perUser: UserScore[] = truth.map((u) => {
    const top = (byUser.get(u.userId)?.ranked ?? []).slice(0, 3);
    const hit = u.interests.filter((l) => top.includes(l)).length;
    const shares = byUser.get(u.userId)?.shares;
    const err = u.proportions && shares ? l1(u.proportions, shares) : undefined;
    return { userId: u.userId, interests: [...u.interests], profileTop: [...top], top1: top[0] === u.interests[0], top3Recall: u.interests.length === 0 ? 0 : hit / u.interests.length, ...(err !== undefined ? { shareError: err } : {}) };
  });
  const errors = perUser.flatMap((u) => (u.shareError !== undefined ? [u.shareError] : []));

  let correct = 0;
  const votes = new Map<string, Map<string, number>>();
  const sums = new Map<string, Map<string, number>>();
  for (const c of comments) {
    const pred = topLabel(c.probs);
    if (pred === c.truth) correct++;
    const v = votes.get(c.userId) ?? new Map<string, number>();
    v.set(pred, (v.get(pred) ?? 0) + 1);
    votes.set(c.userId, v);
    const s = sums.get(c.userId) ?? new Map<string, number>();
    for (const [l, p] of Object.entries(c.probs)) s.set(l, (s.get(l) ?? 0) + p);
    sums.set(c.userId, s);
  }
  const n = Math.max(1, truth.length);
  const share = (f: (u: UserTruth) => boolean) => r4(truth.filter(f).length / n);
  const top1 = share((u) => perUser.find((p) => p.userId === u.userId)!.top1);
  const perCommentAccuracy = comments.length === 0 ? 0 : r4(correct / comments.length);
  return {
    users: truth.length,
    profiled: truth.filter((u) => byUser.has(u.userId)).length,
    top1,
    top3Recall: r4(perUser.reduce((s, u) => s + u.top3Recall, 0) / n),
    perComment: { comments: comments.length, accuracy: perCommentAccuracy },
    majorityVoteTop1: share((u) => argmaxRecord(votes.get(u.userId) ?? new Map()) === u.interests[0]),
    meanProbabilityTop1: share((u) => argmaxRecord(sums.get(u.userId) ?? new Map()) === u.interests[0]),
    gain: r4(top1 - perCommentAccuracy),
    ...(errors.length > 0 ? { shareError: r4(errors.reduce((a, b) => a + b, 0) / errors.length) } : {}),
    perUser,
  };
}
