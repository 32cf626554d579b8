/**
 * Pure: fold one user's new events of a batch into their stored state, at most once.
 *
 * An event counts only if its offset is at or above the next offset recorded for its
 * topic-partition in the user's own state; whatever a redelivery (crash, rebalance, replay into the
 * same namespace) brings again is skipped. The store's compare-and-set on the version makes the
 * read-fold-write atomic (see src/store/lua/apply-profile-2.lua).
 */
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
  /** events skipped because they were already applied */
  duplicates: number;
}

export function tpKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

export function foldUserEvents(stored: StoredProfile | null, events: readonly UserEvent[], params: ProfileParams, dim: number): FoldResult {
  let state = stored?.state ?? emptyState(dim);
  const applied: Record<string, number> = { ...(stored?.applied ?? {}) };
  const eventIds: string[] = [];
  let duplicates = 0;
  for (const e of events) {
    const tp = tpKey(e.topic, e.partition);
    const next = applied[tp] ?? 0;
    if (e.offset < next) {
      duplicates++;
      continue;
    }
    state = update(state, e.observation, params);
    applied[tp] = e.offset + 1;
    eventIds.push(e.observation.eventId);
  }
  return { state, applied, eventIds, duplicates };
}
