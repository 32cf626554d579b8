/** Pure: how one user's profile would change (replay --dry-run --diff). */
import { profileView } from '../../events/profile-event.js';

export interface ProfileDiff {
  userId: string;
  before: { commentCount: number; interests: string[] } | null;
  after: { commentCount: number; interests: string[] } | null;
  changed: boolean;
  summary: string;
}

interface ProfileLike {
  commentCount: number;
  interests: { label: string; share: number }[];
}

function view(p: unknown): { commentCount: number; interests: string[] } | null {
  if (p === null || typeof p !== 'object') return null;
  const q = profileView(p) as ProfileLike;
  return { commentCount: q.commentCount, interests: q.interests.map((i) => `${i.label} ${(i.share * 100).toFixed(0)}%`) };
}

export function diffProfiles(userId: string, before: unknown, after: unknown): ProfileDiff {
  const b = view(before);
  const a = view(after);
  const changed = JSON.stringify(b) !== JSON.stringify(a);
  const fmt = (v: typeof a) => (v ? `${v.commentCount} comments: ${v.interests.join(', ') || '—'}` : 'no profile');
  return { userId, before: b, after: a, changed, summary: `  ${userId}: ${changed ? `${fmt(b)}  →  ${fmt(a)}` : `unchanged (${fmt(a)})`}` };
}

interface ProfileFull {
  commentCount: number;
  firstSeen: string;
  lastSeen: string;
  interests: { label: string; share: number }[];
  topTerms: { term: string }[];
}

/**
 * Where a rebuilt profile differs from the live one, or undefined when it does not: the comment
 * count, first and last seen, the interests in order with shares within `shareTolerance` (a rebuild
 * folds the same int8 vectors; float32 rounding moves a share by ~1e-7), and the top terms in order.
 */
export function profileMismatch(live: unknown, rebuilt: unknown, shareTolerance = 1e-4): string | undefined {
  if (live === null || rebuilt === null || typeof live !== 'object' || typeof rebuilt !== 'object') return live === rebuilt ? undefined : `${live ? 'live' : 'rebuilt'} profile only`;
  const [a, b] = [profileView(live) as ProfileFull, profileView(rebuilt) as ProfileFull];
  if (a.commentCount !== b.commentCount) return `commentCount ${a.commentCount} live, ${b.commentCount} rebuilt`;
  if (a.firstSeen !== b.firstSeen || a.lastSeen !== b.lastSeen) return `seen ${a.firstSeen}..${a.lastSeen} live, ${b.firstSeen}..${b.lastSeen} rebuilt`;
  const labels = (p: ProfileFull) => p.interests.map((i) => i.label).join(',');
  if (labels(a) !== labels(b)) return `interests ${labels(a)} live, ${labels(b)} rebuilt`;
  const far = a.interests.findIndex((i, k) => Math.abs(i.share - b.interests[k]!.share) > shareTolerance);
  if (far >= 0) return `share of ${a.interests[far]!.label} ${a.interests[far]!.share} live, ${b.interests[far]!.share} rebuilt`;
  const terms = (p: ProfileFull) => p.topTerms.map((t) => t.term).join(',');
  if (terms(a) !== terms(b)) return `top terms ${terms(a)} live, ${terms(b)} rebuilt`;
  return undefined;
}
