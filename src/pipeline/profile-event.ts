/** Pure: the profile event a recommender receives (docs/events.md), built from the derived profile. */
import { roundCentroid } from '../events/profile-event.js';
import type { DerivedProfile } from '../profile/index.js';

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
  classifier: { kind: string; version: string };
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
  classifier: { kind: string; version: string };
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
