/**
 * Pure: fold one user's new events of a batch into their stored state, at most once.
 *
 * An event counts only if
 * - its offset is at or above the next offset recorded for its topic-partition in the user's own
 *   state: whatever a redelivery (crash, rebalance, replay into the same namespace) brings again is
 *   skipped. Offsets are compared within one incarnation of the topic only (its topic ID): an event
 *   of a recreated topic is never skipped because of the old topic's offsets, which are dropped; and
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
  /** the topic's ID (KIP-516) when the broker gives one: offsets are compared within one incarnation only */
  topicId?: string | undefined;
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
  /** applied offsets of an older incarnation of a topic dropped by this call (the topic was recreated) */
  staleIncarnations: number;
  /** events skipped because their event id was folded in before, at another offset (a repeat) */
  repeats: number;
  /** the user's recent event-id digests after this fold, oldest first, concatenated (as stored; `decodeRecent`) */
  recent: string;
}

/** Characters of one event-id digest: 48 bits of sha256, so a false match is ~window / 2^48. */
export const ID_DIGEST_CHARS = 12;

/** Default number of recent event ids kept per user (events.dedupeWindow). */
export const DEFAULT_DEDUPE_WINDOW = 32;

/**
 * The key of a topic-partition in a user's applied offsets and in an erasure's suppression offsets:
 * `topic@<topicId>:partition` when the topic's ID is known, `topic:partition` otherwise (a broker
 * without topic IDs, or state written before Portrait recorded them). Topic names cannot hold '@'
 * or ':', so the key is unambiguous.
 */
export function tpKey(topic: string, partition: number, topicId?: string): string {
  return topicId ? `${topic}@${topicId}:${partition}` : `${topic}:${partition}`;
}

/**
 * The partitions of `topic` in a user's applied offsets, ascending: of its incarnation `topicId` when
 * known (else the keys without an ID). More than one means the user's events came from several
 * partitions: a producer that does not key by murmur2 (docs/events.md, "Partitioning").
 */
export function partitionsOf(applied: Readonly<Record<string, number>>, topic: string, topicId?: string): number[] {
  const prefix = topicId ? `${topic}@${topicId}:` : `${topic}:`;
  const out: number[] = [];
  for (const key of Object.keys(applied)) {
    if (!key.startsWith(prefix)) continue;
    const p = key.slice(prefix.length);
    if (/^\d+$/.test(p)) out.push(Number(p));
  }
  return out.sort((a, b) => a - b);
}

/**
 * Make `applied` speak of the incarnation `topicId` of `topic` (mutates it): offsets recorded for
 * another incarnation of the topic are dropped (the topic was deleted and created again, or mirrored:
 * its offsets start again and mean nothing next to the old ones), and offsets recorded without an ID
 * (before Portrait recorded incarnations) are adopted as this incarnation's. Returns how many
 * entries of another incarnation were dropped.
 */
export function alignIncarnation(applied: Record<string, number>, topic: string, topicId: string): number {
  let dropped = 0;
  const legacy = `${topic}:`;
  const qualified = `${topic}@`;
  const current = `${topic}@${topicId}:`;
  for (const key of Object.keys(applied)) {
    if (key.startsWith(current)) continue;
    if (key.startsWith(qualified)) {
      delete applied[key];
      dropped++;
    } else if (key.startsWith(legacy) && /^\d+$/.test(key.slice(legacy.length))) {
      const next = applied[key]!;
      delete applied[key];
      const adopted = `${current}${key.slice(legacy.length)}`;
      applied[adopted] = Math.max(applied[adopted] ?? 0, next);
    }
  }
  return dropped;
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
  let staleIncarnations = 0;
  const aligned = new Set<string>();
  for (const e of events) {
    if (e.topicId && !aligned.has(e.topic)) {
      aligned.add(e.topic);
      staleIncarnations += alignIncarnation(applied, e.topic, e.topicId);
    }
    const tp = tpKey(e.topic, e.partition, e.topicId);
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
  return { state, applied, eventIds, duplicates, repeats, staleIncarnations, recent: recent.slice(Math.max(0, recent.length - window)).join('') };
}
