/**
 * Pure: what one batch does to one user, given their stored state and erasure suppression.
 *
 * Items come in partition order. A forget item erases everything before it: the plan says to
 * record a suppression (event time and offset of the forget) and delete the user's keys; only the
 * comments after the last forget of the batch are folded, into a fresh state. Comments that an
 * existing suppression covers (older event time, or an offset before an earlier forget) are
 * dropped, so a replay of older events cannot bring an erased profile back.
 */
import type { ProfileParams } from '../profile/index.js';
import type { LoadedUser, StoredProfile, Suppression } from '../store/index.js';
import { foldUserEvents, tpKey, type FoldResult, type UserEvent } from './fold.js';

export interface ForgetItem {
  topic: string;
  topicId?: string | undefined;
  partition: number;
  offset: number;
  eventId: string;
  ts: number;
}

export type UserItem = { kind: 'comment'; event: UserEvent } | { kind: 'forget'; forget: ForgetItem };

export interface UserPlan {
  /** erase first (suppression to record, the forget event's id for the receipt) */
  forget?: { suppression: Suppression; eventId: string };
  /** the state the fold started from (null after an erasure) */
  base: StoredProfile | null;
  fold: FoldResult;
  /** comments dropped because an erasure covers them */
  suppressed: number;
  /** the erasure suppression in force after this plan (the stored one, merged with this batch's forgets) */
  suppression: Suppression | null;
}

/**
 * Whether an erasure covers an event: its event time is at or before the forget's, or its offset is
 * before the forget's in the same incarnation of the same partition. Offsets of a suppression recorded
 * before incarnations were (key without a topic ID) still apply to events of a known incarnation.
 */
export function isSuppressed(s: Suppression | null, e: { topic: string; topicId?: string | undefined; partition: number; offset: number; ts: number }): boolean {
  if (!s) return false;
  if (e.ts <= s.ts) return true;
  const first = s.offsets[tpKey(e.topic, e.partition, e.topicId)] ?? (e.topicId ? s.offsets[tpKey(e.topic, e.partition)] : undefined);
  return first !== undefined && e.offset < first;
}

export function mergeSuppression(a: Suppression | null, b: Suppression): Suppression {
  if (!a) return b;
  const offsets = { ...a.offsets };
  for (const [tp, o] of Object.entries(b.offsets)) offsets[tp] = Math.max(offsets[tp] ?? 0, o);
  return { ts: Math.max(a.ts, b.ts), offsets };
}

/** @param window event ids remembered per user for de-duplication (fold.ts; 0 = by offset only) */
export function planUser(items: readonly UserItem[], loaded: LoadedUser, params: ProfileParams, dim: number, window?: number): UserPlan {
  let lastForget = -1;
  items.forEach((it, i) => {
    if (it.kind === 'forget') lastForget = i;
  });
  let suppression = loaded.suppression;
  let base = loaded.profile;
  let forget: UserPlan['forget'];
  if (lastForget >= 0) {
    let own: Suppression | null = null;
    for (const it of items.slice(0, lastForget + 1)) {
      if (it.kind !== 'forget') continue;
      const f = it.forget;
      own = mergeSuppression(own, { ts: f.ts, offsets: { [tpKey(f.topic, f.partition, f.topicId)]: f.offset + 1 } });
    }
    const f = (items[lastForget] as { kind: 'forget'; forget: ForgetItem }).forget;
    suppression = mergeSuppression(suppression, own!);
    forget = { suppression, eventId: f.eventId };
    base = null;
  }
  const comments: UserEvent[] = [];
  let suppressed = 0;
  for (const it of items.slice(lastForget + 1)) {
    if (it.kind !== 'comment') continue;
    if (isSuppressed(suppression, { ...it.event, ts: it.event.observation.ts })) suppressed++;
    else comments.push(it.event);
  }
  // comments before the last forget are erased with it
  suppressed += items.slice(0, Math.max(0, lastForget)).filter((it) => it.kind === 'comment').length;
  const fold = foldUserEvents(base, comments, params, dim, window);
  return { ...(forget ? { forget } : {}), base, fold, suppressed, suppression };
}
