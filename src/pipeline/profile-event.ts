/** Pure: the profile event a recommender receives (docs/events.md), built from the derived profile. */
import { int8Centroid, interestTuple, PROFILE_SCHEMA_VERSION, roundCentroid, topTermTuple, type Int8Centroid, type InterestTuple, type TopTermTuple } from '../events/index.js';
import type { DerivedProfile } from '../profile/index.js';
import { PortraitError } from '../util/errors.js';

export { PROFILE_SCHEMA_VERSION };

/**
 * How the centroid travels (profile.eventCentroid): `compact` (the default) writes schemaVersion 2
 * with the centroid as int8 and its scale in base64 (~0.75 KB at 512 dimensions); `decimal` writes
 * schemaVersion 1, the centroid as 6-decimal numbers (~4.8 KB), for consumers that read only
 * version 1 while they migrate; `none` writes schemaVersion 2 without a centroid. Version 2 also
 * writes interests and top terms as arrays, rounded for the wire (docs/events.md); version 1 stays
 * as it was, objects with 6 decimals.
 */
export type EventCentroid = 'compact' | 'decimal' | 'none';
export const EVENT_CENTROIDS: readonly EventCentroid[] = ['compact', 'decimal', 'none'];

interface ProfileEventFields {
  userId: string;
  version: number;
  updatedAt: string;
  firstSeen: string;
  lastSeen: string;
  commentCount: number;
  evidence: Record<string, string[]>;
  embedder: { id: string; dim: number };
  classifier: { kind: 'zero-shot' | 'rf' | 'linear'; version: string };
  causedBy: string[];
  namespace: string;
}

interface V1Lists {
  interests: { label: string; score: number; share: number; confidence: number }[];
  topTerms: { term: string; score: number }[];
}

interface V2Lists {
  interests: InterestTuple[];
  topTerms: TopTermTuple[];
}

export type ProfileEventOut = (ProfileEventFields & V1Lists & { schemaVersion: 1; centroid: number[] }) | (ProfileEventFields & V2Lists & { schemaVersion: 2; centroid?: Int8Centroid });

const round = (x: number, digits: number) => roundCentroid([x], digits)[0]!;

export function buildProfileEvent(args: {
  userId: string;
  version: number;
  updatedAt: number;
  derived: DerivedProfile;
  embedder: { id: string; dim: number };
  classifier: { kind: 'zero-shot' | 'rf' | 'linear'; version: string };
  causedBy: string[];
  namespace: string;
  /** default 'compact' */
  centroid?: EventCentroid;
}): ProfileEventOut {
  const d = args.derived;
  const mode = args.centroid ?? 'compact';
  // key order as in version 1 (centroid after interests), so the two versions read alike
  const head = {
    userId: args.userId,
    version: args.version,
    updatedAt: new Date(args.updatedAt).toISOString(),
    firstSeen: new Date(d.firstSeen).toISOString(),
    lastSeen: new Date(d.lastSeen).toISOString(),
    commentCount: d.count,
  };
  const tail = {
    evidence: d.evidence,
    embedder: args.embedder,
    classifier: args.classifier,
    causedBy: args.causedBy,
    namespace: args.namespace,
  };
  if (mode === 'decimal') {
    const interests = d.interests.map((i) => ({ label: i.label, score: round(i.score, 6), share: round(i.share, 6), confidence: round(i.confidence, 6) }));
    const topTerms = d.topTerms.map((t) => ({ term: t.term, score: round(t.score, 6) }));
    return { schemaVersion: 1, ...head, interests, centroid: roundCentroid(d.centroid), topTerms, ...tail };
  }
  const interests = d.interests.map(interestTuple);
  const topTerms = d.topTerms.map(topTermTuple);
  if (mode === 'none') return { schemaVersion: PROFILE_SCHEMA_VERSION, ...head, interests, topTerms, ...tail };
  return { schemaVersion: PROFILE_SCHEMA_VERSION, ...head, interests, centroid: int8Centroid(d.centroid), topTerms, ...tail };
}

/** Base64 characters of n bytes (padded). */
const base64Length = (n: number) => 4 * Math.ceil(n / 3);

/**
 * The record value of a profile event built by buildProfileEvent, for the hot path. The event's
 * shape is fixed by its type; what the type cannot promise is checked here, cheaply: every number
 * finite (JSON would turn NaN into null; a non-finite centroid component makes a non-finite int8
 * scale), the centroid as long as the embedder's dimension, at least one causing event. The full
 * schema (ProfileEvent in src/events/schema.ts, ~3x the cost of serialising) is what the unit and
 * fuzz tests hold every built event to.
 */
export function serializeProfileEvent(e: ProfileEventOut): string {
  const bad = (what: string) => new PortraitError('PROFILE_INVALID', `built an invalid profile event for ${JSON.stringify(e.userId)}: ${what}`);
  if (e.schemaVersion === 1) {
    if (e.centroid.length !== e.embedder.dim) throw bad(`centroid has ${e.centroid.length} numbers, embedder.dim is ${e.embedder.dim}`);
    for (let i = 0; i < e.centroid.length; i++) if (!Number.isFinite(e.centroid[i])) throw bad(`centroid[${i}] is not finite`);
  } else if (e.centroid) {
    if (!(Number.isFinite(e.centroid.scale) && e.centroid.scale > 0)) throw bad('centroid is not finite (its int8 scale is not a positive number)');
    if (e.centroid.data.length !== base64Length(e.embedder.dim)) throw bad(`centroid has ${e.centroid.data.length} base64 characters, embedder.dim ${e.embedder.dim} needs ${base64Length(e.embedder.dim)}`);
  }
  if (e.schemaVersion === 1) {
    for (const i of e.interests) if (!(Number.isFinite(i.score) && Number.isFinite(i.share) && Number.isFinite(i.confidence))) throw bad(`interest ${JSON.stringify(i.label)} has a non-finite number`);
    for (const t of e.topTerms) if (!Number.isFinite(t.score)) throw bad(`term score of ${JSON.stringify(t.term)} is not finite`);
  } else {
    for (const i of e.interests) if (!(Number.isFinite(i[1]) && Number.isFinite(i[2]) && Number.isFinite(i[3]))) throw bad(`interest ${JSON.stringify(i[0])} has a non-finite number`);
    for (const t of e.topTerms) if (!Number.isFinite(t[1])) throw bad(`term score of ${JSON.stringify(t[0])} is not finite`);
  }
  if (!Number.isSafeInteger(e.version) || e.version < 1 || !Number.isSafeInteger(e.commentCount)) throw bad('version and commentCount must be integers (version >= 1)');
  if (e.causedBy.length === 0) throw bad('causedBy is empty');
  return JSON.stringify(e);
}
