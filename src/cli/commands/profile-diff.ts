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
