/** Pure: the profile event a recommender receives (docs/events.md), built from the derived profile. */
import { int8Centroid, PROFILE_SCHEMA_VERSION, roundCentroid, type Int8Centroid } from '../events/index.js';
import type { DerivedProfile } from '../profile/index.js';
import { PortraitError } from '../util/errors.js';

export { PROFILE_SCHEMA_VERSION };

/**
 * How the centroid travels (profile.eventCentroid): `compact` (the default) writes schemaVersion 2
 * with the centroid as int8 and its scale in base64 (~0.75 KB at 512 dimensions); `decimal` writes
 * schemaVersion 1, the centroid as 6-decimal numbers (~4.8 KB), for consumers that read only
 * version 1 while they migrate; `none` writes schemaVersion 2 without a centroid.
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
  interests: { label: string; score: number; share: number; confidence: number }[];
  topTerms: { term: string; score: number }[];
  evidence: Record<string, string[]>;
  embedder: { id: string; dim: number };
  classifier: { kind: 'zero-shot' | 'rf' | 'linear'; version: string };
  causedBy: string[];
  namespace: string;
}

export type ProfileEventOut = (ProfileEventFields & { schemaVersion: 1; centroid: number[] }) | (ProfileEventFields & { schemaVersion: 2; centroid?: Int8Centroid });

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
    interests: d.interests.map((i) => ({ label: i.label, score: round(i.score, 6), share: round(i.share, 6), confidence: round(i.confidence, 6) })),
  };
  const tail = {
    topTerms: d.topTerms.map((t) => ({ term: t.term, score: round(t.score, 6) })),
    evidence: d.evidence,
    embedder: args.embedder,
    classifier: args.classifier,
    causedBy: args.causedBy,
    namespace: args.namespace,
  };
  if (mode === 'decimal') return { schemaVersion: 1, ...head, centroid: roundCentroid(d.centroid), ...tail };
  if (mode === 'none') return { schemaVersion: PROFILE_SCHEMA_VERSION, ...head, ...tail };
  return { schemaVersion: PROFILE_SCHEMA_VERSION, ...head, centroid: int8Centroid(d.centroid), ...tail };
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
  for (const i of e.interests) if (!(Number.isFinite(i.score) && Number.isFinite(i.share) && Number.isFinite(i.confidence))) throw bad(`interest ${JSON.stringify(i.label)} has a non-finite number`);
  for (const t of e.topTerms) if (!Number.isFinite(t.score)) throw bad(`term score of ${JSON.stringify(t.term)} is not finite`);
  if (!Number.isSafeInteger(e.version) || e.version < 1 || !Number.isSafeInteger(e.commentCount)) throw bad('version and commentCount must be integers (version >= 1)');
  if (e.causedBy.length === 0) throw bad('causedBy is empty');
  return JSON.stringify(e);
}
