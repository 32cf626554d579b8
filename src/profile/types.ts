/**
 * Types of the profile maths. Everything in src/profile is pure: no I/O, no clock, no randomness.
 * The formulas are written down in docs/profile.md.
 */

export interface ProfileParams {
  /** Exponential decay half-life in ms, measured in EVENT time (never wall-clock). Finite, > 0. */
  halfLifeMs: number;
  /** Cap on stored decayed term counts: keep the highest, ties by term (code-unit order). Integer >= 0. */
  maxTerms: number;
  /** K: newest K comment ids kept per (argmax) label. Integer >= 0. */
  evidencePerLabel: number;
  /** Number of interests in the derived profile. Integer >= 0. */
  topK: number;
  /** Number of terms in the derived profile. Integer >= 0. */
  topTerms: number;
}

/** One processed comment. */
export interface Observation {
  eventId: string;
  commentId: string;
  /** Event time, epoch ms. Must be finite. */
  ts: number;
  /** label -> probability (sums to ~1). Values must be finite and >= 0. */
  probs: Readonly<Record<string, number>>;
  /** L2-normalised embedding of dimension D (the state's centroid length). */
  embedding: ArrayLike<number>;
  /** Preprocessed tokens; repeats count as repeats. */
  terms: readonly string[];
}

export interface EvidenceEntry {
  commentId: string;
  ts: number;
}

/**
 * Mergeable aggregate of one user's observations. All decayed quantities are expressed at refTime.
 *
 * The records (labels, terms, evidence) are created without a prototype, so a user who writes the
 * word "__proto__" or "constructor" is just a user with an odd vocabulary.
 *
 * An empty state has count 0, firstSeen = lastSeen = 0 (meaningless while count is 0) and
 * refTime = -Infinity (the maximum of no timestamps), so that it is the identity of merge.
 */
export interface AggregateState {
  count: number;
  firstSeen: number;
  lastSeen: number;
  /** max event ts folded in, or a later time set by decayTo; -Infinity for the empty state */
  refTime: number;
  /** decayed number of comments: sum of 2^(-(refTime - ts)/h) */
  weight: number;
  /** decayed sum of probabilities per label; labels whose sum is 0 are absent */
  labels: Record<string, number>;
  /** decayed sum of embeddings (not normalised), length D */
  centroid: Float64Array;
  /** decayed term counts, at most maxTerms entries; terms whose count is 0 are absent */
  terms: Record<string, number>;
  /** per argmax label, newest K by ts (ties: larger commentId first), newest first; no empty arrays */
  evidence: Record<string, EvidenceEntry[]>;
}

export interface Interest {
  label: string;
  /**
   * decayed number of the user's comments on the label at refTime: the decayed sum of its
   * probabilities, or, when the classifier's confusion is known, the unmixed share × weight
   */
  score: number;
  /** score / sum of all label scores (not only the top K) */
  share: number;
  /** the probability that this label is the user's main topic, calibrated at user level (confidence.ts), in [0, 1] */
  confidence: number;
}

export interface DerivedProfile {
  count: number;
  firstSeen: number;
  lastSeen: number;
  /** top K labels by score (ties: label ascending); labels with score 0 are never listed */
  interests: Interest[];
  /** normalised decayed centroid (unit length; all zeros if it is the zero vector) */
  centroid: number[];
  /** top terms by decayed count (ties: term ascending); terms with count 0 are never listed */
  topTerms: Array<{ term: string; score: number }>;
  /** newest-first comment ids for each derived interest ([] if the label was never an argmax) */
  evidence: Record<string, string[]>;
}
