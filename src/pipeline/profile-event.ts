/** Pure: the profile event a recommender receives (docs/events.md), built from the derived profile. */
import { roundCentroid } from '../events/profile-event.js';
import type { DerivedProfile } from '../profile/index.js';
import { PortraitError } from '../util/errors.js';

export const PROFILE_SCHEMA_VERSION = 1;

export interface ProfileEventOut {
  schemaVersion: 1;
  userId: string;
  version: number;
  updatedAt: string;
  firstSeen: string;
  lastSeen: string;
  commentCount: number;
  interests: { label: string; score: number; share: number; confidence: number }[];
  centroid: number[];
  topTerms: { term: string; score: number }[];
  evidence: Record<string, string[]>;
  embedder: { id: string; dim: number };
  classifier: { kind: 'zero-shot' | 'rf' | 'linear'; version: string };
  causedBy: string[];
  namespace: string;
}

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
}): ProfileEventOut {
  const d = args.derived;
  return {
    schemaVersion: PROFILE_SCHEMA_VERSION,
    userId: args.userId,
    version: args.version,
    updatedAt: new Date(args.updatedAt).toISOString(),
    firstSeen: new Date(d.firstSeen).toISOString(),
    lastSeen: new Date(d.lastSeen).toISOString(),
    commentCount: d.count,
    interests: d.interests.map((i) => ({ label: i.label, score: round(i.score, 6), share: round(i.share, 6), confidence: round(i.confidence, 6) })),
    centroid: roundCentroid(d.centroid),
    topTerms: d.topTerms.map((t) => ({ term: t.term, score: round(t.score, 6) })),
    evidence: d.evidence,
    embedder: args.embedder,
    classifier: args.classifier,
    causedBy: args.causedBy,
    namespace: args.namespace,
  };
}

/**
 * The record value of a profile event built by buildProfileEvent, for the hot path. The event's
 * shape is fixed by its type; what the type cannot promise is checked here, cheaply: every number
 * finite (JSON would turn NaN into null), the centroid as long as the embedder's dimension, at
 * least one causing event. The full schema (ProfileEvent in src/events/schema.ts, ~3x the cost of
 * serialising) is what the unit and fuzz tests hold every built event to.
 */
export function serializeProfileEvent(e: ProfileEventOut): string {
  const bad = (what: string) => new PortraitError('PROFILE_INVALID', `built an invalid profile event for ${JSON.stringify(e.userId)}: ${what}`);
  if (e.centroid.length !== e.embedder.dim) throw bad(`centroid has ${e.centroid.length} numbers, embedder.dim is ${e.embedder.dim}`);
  for (let i = 0; i < e.centroid.length; i++) if (!Number.isFinite(e.centroid[i])) throw bad(`centroid[${i}] is not finite`);
  for (const i of e.interests) if (!(Number.isFinite(i.score) && Number.isFinite(i.share) && Number.isFinite(i.confidence))) throw bad(`interest ${JSON.stringify(i.label)} has a non-finite number`);
  for (const t of e.topTerms) if (!Number.isFinite(t.score)) throw bad(`term score of ${JSON.stringify(t.term)} is not finite`);
  if (!Number.isSafeInteger(e.version) || e.version < 1 || !Number.isSafeInteger(e.commentCount)) throw bad('version and commentCount must be integers (version >= 1)');
  if (e.causedBy.length === 0) throw bad('causedBy is empty');
  return JSON.stringify(e);
}
