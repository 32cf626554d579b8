/** Pure: the summary of one profile version kept in a user's history list (~300 bytes, no text). */
import type { ProfileView } from './schema.js';

export interface HistoryEntry {
  version: number;
  updatedAt: string;
  commentCount: number;
  /** top interests of this version */
  interests: { label: string; score: number; share: number }[];
  topTerms: string[];
  classifier: { kind: string; version: string };
  embedder: string;
}

export const HISTORY_INTERESTS = 5;
export const HISTORY_TERMS = 5;

/** From a profile as readers see it (profileView: interests and topTerms as objects, whichever schemaVersion). */
export function historyEntry(e: Pick<ProfileView, 'version' | 'updatedAt' | 'commentCount' | 'interests' | 'topTerms' | 'classifier' | 'embedder'>): HistoryEntry {
  return {
    version: e.version,
    updatedAt: e.updatedAt,
    commentCount: e.commentCount,
    interests: e.interests.slice(0, HISTORY_INTERESTS).map((i) => ({ label: i.label, score: i.score, share: i.share })),
    topTerms: e.topTerms.slice(0, HISTORY_TERMS).map((t) => t.term),
    classifier: { kind: e.classifier.kind, version: e.classifier.version },
    embedder: e.embedder.id,
  };
}
