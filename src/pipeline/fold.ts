/**
 * Pure: fold one user's new events of a batch into their stored state, at most once.
 *
 * An event counts only if
 * - its offset is at or above the next offset recorded for its topic-partition in the user's own
 *   state: whatever a redelivery (crash, rebalance, replay into the same namespace) brings again is
 *   skipped; and
 * - its `eventId` is not among the user's last `window` folded event ids: the same event produced
 *   twice (a producer retry without idempotence, an upstream replay) sits at two offsets and is
 *   still counted once.
 * The store's compare-and-set on the version makes the read-fold-write atomic (see
 * src/store/lua/apply-profile-2.lua).
 */
import { createHash } from 'node:crypto';
import { emptyState, update, type AggregateState, type Observation, type ProfileParams } from '../profile/index.js';
import type { StoredProfile } from '../store/index.js';

export interface UserEvent {
  topic: string;
  partition: number;
  offset: number;
  observation: Observation;
}

export interface FoldResult {
  state: AggregateState;
  applied: Record<string, number>;
  /** event ids folded in by this call, in order */
  eventIds: string[];
  /** events skipped because their offset was already applied (a redelivery) */
  duplicates: number;
  /** events skipped because their event id was folded in before, at another offset (a repeat) */
  repeats: number;
  /** the user's recent event-id digests after this fold, oldest first, concatenated (as stored; `decodeRecent`) */
  recent: string;
}

/** Characters of one event-id digest: 48 bits of sha256, so a false match is ~window / 2^48. */
export const ID_DIGEST_CHARS = 12;

/** Default number of recent event ids kept per user (events.dedupeWindow). */
export const DEFAULT_DEDUPE_WINDOW = 32;

export function tpKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/** The digest of an event id kept in the user's recent ids. */
export function idDigest(eventId: string): string {
  return createHash('sha256').update(eventId, 'utf8').digest('hex').slice(0, ID_DIGEST_CHARS);
}

/** Split the stored encoding (digests concatenated, oldest first) into digests; anything malformed is dropped. */
export function decodeRecent(recent: string | undefined): string[] {
  if (!recent || recent.length % ID_DIGEST_CHARS !== 0 || !/^[0-9a-f]*$/.test(recent)) return [];
  const out: string[] = [];
  for (let i = 0; i < recent.length; i += ID_DIGEST_CHARS) out.push(recent.slice(i, i + ID_DIGEST_CHARS));
  return out;
}

/**
 * @param window event ids remembered per user (0 = de-duplicate by offset only)
 */
export function foldUserEvents(stored: StoredProfile | null, events: readonly UserEvent[], params: ProfileParams, dim: number, window = DEFAULT_DEDUPE_WINDOW): FoldResult {
  let state = stored?.state ?? emptyState(dim);
  const applied: Record<string, number> = { ...(stored?.applied ?? {}) };
  const eventIds: string[] = [];
  const recent = window > 0 ? decodeRecent(stored?.recent) : [];
  const seen = new Set(recent);
  let duplicates = 0;
  let repeats = 0;
  for (const e of events) {
    const tp = tpKey(e.topic, e.partition);
    const next = applied[tp] ?? 0;
    if (e.offset < next) {
      duplicates++;
      continue;
    }
    if (window > 0) {
      const digest = idDigest(e.observation.eventId);
      if (seen.has(digest)) {
        repeats++;
        continue;
      }
      seen.add(digest);
      recent.push(digest);
    }
    state = update(state, e.observation, params);
    applied[tp] = e.offset + 1;
    eventIds.push(e.observation.eventId);
  }
  return { state, applied, eventIds, duplicates, repeats, recent: recent.slice(Math.max(0, recent.length - window)).join('') };
}
