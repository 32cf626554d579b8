/**
 * Profile events as the bench sees them: the value bytes of the events a run published (read back
 * from its profiles topic), and the cost of encoding one (buildProfileEvent + serializeProfileEvent,
 * the processor's hot path) for each centroid encoding, timed over the run's own profiles.
 */
import { centroidOf, decodeProfileEvent, readCentroid, type ProfileView } from '../../src/events/index.js';
import { buildProfileEvent, type EventCentroid, serializeProfileEvent } from '../../src/pipeline/profile-event.js';
import type { DerivedProfile } from '../../src/profile/index.js';
import { percentile } from './stack.js';

export interface ProfileEventSizes {
  /** profile events read (tombstones excluded) */
  events: number;
  /** their record value sizes, bytes */
  valueBytes: { p50: number; p90: number; max: number };
  /** events per schemaVersion */
  schemaVersions: Record<string, number>;
}

export interface EncodeCost {
  /** distinct profiles timed (the latest event of each user) */
  profiles: number;
  /**
   * µs per event for build + serialize (the processor's hot path), and for JSON.parse + readCentroid
   * (what the similar-users index's follower does with each event: `parseUs`), best of `rounds`
   * rounds; bytes of the value, p50 / max
   */
  byEncoding: Record<EventCentroid, { usPerEvent: number; parseUs: number; bytes: { p50: number; max: number } }>;
}

export function sizes(values: readonly Buffer[]): ProfileEventSizes {
  const bytes = values.map((v) => v.length);
  const versions: Record<string, number> = {};
  for (const v of values) {
    const m = /"schemaVersion":(\d+)/.exec(v.subarray(0, 40).toString('utf8'));
    const k = m?.[1] ?? '?';
    versions[k] = (versions[k] ?? 0) + 1;
  }
  return { events: values.length, valueBytes: { p50: percentile(bytes, 50), p90: percentile(bytes, 90), max: percentile(bytes, 100) }, schemaVersions: versions };
}

/**
 * The derived profile an event was built from, up to the event's rounding (version 2: scores to 4
 * significant digits, shares to 4 decimals, so a version 1 event re-encoded from it is a little
 * shorter than one from the unrounded profile) and, for version 2, the centroid's quantisation.
 */
function derivedOf(e: ProfileView): { derived: DerivedProfile; args: Omit<Parameters<typeof buildProfileEvent>[0], 'derived' | 'centroid'> } | undefined {
  const centroid = centroidOf(e);
  if (!centroid) return undefined;
  return {
    derived: {
      count: e.commentCount,
      firstSeen: Date.parse(e.firstSeen),
      lastSeen: Date.parse(e.lastSeen),
      interests: e.interests,
      centroid: Array.from(centroid),
      topTerms: e.topTerms,
      evidence: e.evidence,
    },
    args: { userId: e.userId, version: e.version, updatedAt: Date.parse(e.updatedAt), embedder: e.embedder, classifier: e.classifier, causedBy: e.causedBy, namespace: e.namespace },
  };
}

/**
 * Time buildProfileEvent + serializeProfileEvent per event for each centroid encoding over the
 * latest profile of each user in `values` (the run's own profiles: real interests, terms, evidence
 * and centroids). Encodings alternate round by round; the best round of each counts.
 */
export function encodeCost(values: readonly Buffer[], rounds = 7): EncodeCost {
  const latest = new Map<string, ProfileView>();
  for (const v of values) {
    const d = decodeProfileEvent(v);
    if (d.ok && d.event && (latest.get(d.event.userId)?.version ?? 0) < d.event.version) latest.set(d.event.userId, d.event);
  }
  const inputs = [...latest.values()].map(derivedOf).filter((x) => x !== undefined);
  const modes: EventCentroid[] = ['decimal', 'compact', 'none'];
  const best = Object.fromEntries(modes.map((m) => [m, Infinity])) as Record<EventCentroid, number>;
  const bestParse = Object.fromEntries(modes.map((m) => [m, Infinity])) as Record<EventCentroid, number>;
  const bytes = Object.fromEntries(modes.map((m) => [m, [] as number[]])) as Record<EventCentroid, number[]>;
  const written = Object.fromEntries(modes.map((m) => [m, [] as string[]])) as Record<EventCentroid, string[]>;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    for (const mode of modes) {
      const t0 = performance.now();
      for (const { derived, args } of inputs) {
        const json = serializeProfileEvent(buildProfileEvent({ ...args, derived, centroid: mode }));
        sink += json.length;
        if (r === 0) {
          bytes[mode].push(Buffer.byteLength(json));
          written[mode].push(json);
        }
      }
      best[mode] = Math.min(best[mode], performance.now() - t0);
      const t1 = performance.now();
      for (const json of written[mode]) {
        const v = JSON.parse(json) as { centroid?: unknown; embedder: { dim: number } };
        sink += readCentroid(v.centroid, v.embedder.dim)?.length ?? 0;
      }
      bestParse[mode] = Math.min(bestParse[mode], performance.now() - t1);
    }
  }
  if (sink < 0) throw new Error('unreachable'); // keeps the loop's work observable
  const n = Math.max(1, inputs.length);
  const us = (ms: number) => Math.round((ms * 1000 * 10) / n) / 10;
  return {
    profiles: inputs.length,
    byEncoding: Object.fromEntries(modes.map((m) => [m, { usPerEvent: us(best[m]), parseUs: us(bestParse[m]), bytes: { p50: percentile(bytes[m], 50), max: percentile(bytes[m], 100) } }])) as EncodeCost['byEncoding'],
  };
}
