/**
 * After publishing: each user's last record on the profiles topic must be what the store holds.
 *
 * One instance publishes a user's profile events in version order, but two can write the same user
 * (a producer that spread the user over partitions, docs/events.md "Partitioning"; a rebalance), and
 * their produce requests reach the broker in any order: instance A writes version 5, B writes 6 and
 * publishes it, then A's 5 arrives. The compacted topic would keep 5, or a profile after an erasure's
 * tombstone. So once a chunk's records are acknowledged, the processor reads back each user it
 * published (version and write token) and, where the store moved on, publishes the stored profile
 * again, or a tombstone where the profile was erased, then checks those in turn (the runner,
 * src/kafka/runner.ts). Whichever instance wrote last published after its write, so every stale record
 * is followed by a current one: the topic's last record per user is the store's state.
 */
import type { Republish } from '../kafka/types.js';
import type { ProfileStore, StoredHead } from '../store/index.js';
import type { OutRecord, PublishedHead } from './stage.js';

/** What to publish again for one user, given what was published last and what is stored now; undefined = nothing. */
export function correction(published: PublishedHead, stored: StoredHead | null): 'tombstone' | 'stored' | undefined {
  if (published === null) return stored === null ? undefined : 'stored';
  if (stored === null) return 'tombstone';
  return stored.version === published.version && stored.token === published.token ? undefined : 'stored';
}

export interface Confirmation {
  /** records to publish again, in the order given */
  profiles: OutRecord[];
  /** what they publish, per user: to be confirmed in turn */
  heads: Map<string, PublishedHead>;
}

/**
 * The records that make each user's last published profile the stored one, or undefined when every
 * user's is already. Two round trips at most: versions and tokens of all, then the profiles of those
 * to publish again (read with their version and token in one step, so what is published is what is confirmed next).
 */
export async function confirmPublished(store: Pick<ProfileStore, 'heads'>, published: ReadonlyMap<string, PublishedHead>): Promise<Confirmation | undefined> {
  if (published.size === 0) return undefined;
  const now = await store.heads([...published.keys()], false);
  const again: string[] = [];
  const profiles: OutRecord[] = [];
  const heads = new Map<string, PublishedHead>();
  for (const [userId, head] of published) {
    const fix = correction(head, now.get(userId) ?? null);
    if (fix === 'stored') again.push(userId);
    else if (fix === 'tombstone') {
      profiles.push({ key: userId, value: null });
      heads.set(userId, null);
    }
  }
  if (again.length > 0) {
    const stored = await store.heads(again, true);
    for (const userId of again) {
      const s = stored.get(userId) ?? null;
      profiles.push({ key: userId, value: s?.profile ?? null });
      heads.set(userId, s ? { version: s.version, token: s.token } : null);
    }
  }
  return profiles.length > 0 ? { profiles, heads } : undefined;
}

/** The check to run once `published` is acknowledged, and after each correction in turn (HandlerOutput.confirm). */
export function confirmer(store: Pick<ProfileStore, 'heads'>, published: ReadonlyMap<string, PublishedHead>): (() => Promise<Republish | undefined>) | undefined {
  if (published.size === 0) return undefined;
  return async () => {
    const c = await confirmPublished(store, published);
    return c && { profiles: c.profiles, confirm: confirmer(store, c.heads) };
  };
}
