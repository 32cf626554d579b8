/**
 * Mergeable, time-decayed aggregate of one user's comments (the chronon habit: state + update +
 * merge + finalize, tested against the naive reference in reference.ts). Pure: every function
 * returns a new state and never mutates its inputs. Formulas: docs/profile.md.
 */
import { PortraitError } from '../util/errors.js';
import { decayFactor } from './decay.js';
import { argmaxLabel, capRecord, newestEvidence, nullRecord, own, ranked } from './order.js';
import { assertParams } from './params.js';
import { confidenceFitFor, confidences } from './confidence.js';
import { unmixShares, type LabelConfusion } from './unmix.js';
import type { AggregateState, DerivedProfile, EvidenceEntry, Interest, Observation, ProfileParams } from './types.js';

/** The identity of merge: nothing seen, refTime = -Infinity. */
export function emptyState(dim: number): AggregateState {
  if (!(Number.isSafeInteger(dim) && dim >= 0)) throw new RangeError(`profile: dimension must be an integer >= 0, got ${dim}`);
  return {
    count: 0,
    firstSeen: 0,
    lastSeen: 0,
    refTime: -Infinity,
    weight: 0,
    labels: nullRecord(),
    centroid: new Float64Array(dim),
    terms: nullRecord(),
    evidence: nullRecord(),
  };
}

/**
 * Why the observation cannot be folded into a state of dimension `dim`, or undefined if it can.
 * Callers that prefer a typed rejection to an exception check this first.
 */
export function observationProblem(obs: Observation, dim: number): string | undefined {
  if (typeof obs.ts !== 'number' || !Number.isFinite(obs.ts)) return `ts must be a finite number, got ${String(obs.ts)}`;
  if (typeof obs.commentId !== 'string') return 'commentId must be a string';
  if (obs.embedding.length !== dim) return `embedding has dimension ${obs.embedding.length}, state has ${dim}`;
  for (let i = 0; i < dim; i++) {
    if (!Number.isFinite(obs.embedding[i])) return `embedding[${i}] is not a finite number`;
  }
  for (const label of Object.keys(obs.probs)) {
    const p = obs.probs[label];
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0) return `probability of ${JSON.stringify(label)} must be finite and >= 0`;
  }
  for (const term of obs.terms) if (typeof term !== 'string') return 'terms must be strings';
  return undefined;
}

function assertObservation(obs: Observation, dim: number): void {
  const problem = observationProblem(obs, dim);
  if (problem === undefined) return;
  const details = { eventId: obs.eventId, commentId: obs.commentId };
  if (typeof obs.ts !== 'number' || !Number.isFinite(obs.ts)) {
    throw new PortraitError('REJECT_BAD_TIMESTAMP', `profile: ${problem}`, { details });
  }
  throw new RangeError(`profile: invalid observation ${JSON.stringify(obs.eventId)}: ${problem}`);
}

function assertSameDim(a: AggregateState, b: AggregateState): void {
  if (a.centroid.length !== b.centroid.length) {
    throw new RangeError(`profile: cannot merge states of dimension ${a.centroid.length} and ${b.centroid.length}`);
  }
}

function scaledRecord(rec: Readonly<Record<string, number>>, f: number): Record<string, number> {
  const out = nullRecord<number>();
  if (f === 0) return out;
  for (const k of Object.keys(rec)) {
    const v = (rec[k] as number) * f;
    if (v > 0) out[k] = v; // drop entries that underflowed to 0
  }
  return out;
}

function addTo(rec: Record<string, number>, key: string, amount: number): void {
  if (amount > 0) rec[key] = (own(rec, key) ?? 0) + amount;
}

/** A fresh copy of `state` expressed at max(state.refTime, t). The working copy of every operation. */
function copyAt(state: AggregateState, t: number, halfLifeMs: number): AggregateState {
  const refTime = Math.max(state.refTime, t);
  const f = decayFactor(state.refTime, refTime, halfLifeMs);
  const centroid = new Float64Array(state.centroid.length);
  if (f === 1) centroid.set(state.centroid);
  else if (f > 0) for (let i = 0; i < centroid.length; i++) centroid[i] = (state.centroid[i] as number) * f;
  const evidence = nullRecord<EvidenceEntry[]>();
  for (const label of Object.keys(state.evidence)) {
    evidence[label] = (state.evidence[label] as EvidenceEntry[]).map((e) => ({ commentId: e.commentId, ts: e.ts }));
  }
  return {
    count: state.count,
    firstSeen: state.firstSeen,
    lastSeen: state.lastSeen,
    refTime,
    weight: state.weight * f,
    labels: scaledRecord(state.labels, f),
    centroid,
    terms: scaledRecord(state.terms, f),
    evidence,
  };
}

/** Keep the newest K per label and drop labels left without evidence. */
function trimEvidence(evidence: Record<string, EvidenceEntry[]>, k: number): Record<string, EvidenceEntry[]> {
  const out = nullRecord<EvidenceEntry[]>();
  for (const label of Object.keys(evidence)) {
    const kept = newestEvidence(evidence[label] as EvidenceEntry[], k);
    if (kept.length > 0) out[label] = kept;
  }
  return out;
}

/** Fold one observation in. Later events first carry the state forward; earlier ones are decayed. */
export function update(state: AggregateState, obs: Observation, params: ProfileParams): AggregateState {
  assertParams(params);
  assertObservation(obs, state.centroid.length);
  const next = copyAt(state, obs.ts, params.halfLifeMs);
  const f = decayFactor(obs.ts, next.refTime, params.halfLifeMs);

  next.count = state.count + 1;
  next.firstSeen = state.count === 0 ? obs.ts : Math.min(state.firstSeen, obs.ts);
  next.lastSeen = state.count === 0 ? obs.ts : Math.max(state.lastSeen, obs.ts);

  if (f > 0) {
    next.weight += f;
    for (const label of Object.keys(obs.probs)) addTo(next.labels, label, (obs.probs[label] as number) * f);
    for (let i = 0; i < next.centroid.length; i++) next.centroid[i] = (next.centroid[i] as number) + (obs.embedding[i] as number) * f;
    const occurrences = new Map<string, number>();
    for (const term of obs.terms) occurrences.set(term, (occurrences.get(term) ?? 0) + 1);
    for (const [term, n] of occurrences) addTo(next.terms, term, n * f);
  }
  next.terms = capRecord(next.terms, params.maxTerms);

  const top = argmaxLabel(obs.probs);
  if (top !== undefined) {
    const list = own(next.evidence, top) ?? [];
    next.evidence[top] = [...list, { commentId: obs.commentId, ts: obs.ts }];
  }
  next.evidence = trimEvidence(next.evidence, params.evidencePerLabel);
  return next;
}

/** Combine two states (e.g. two partitions of one user's history). Commutative and associative. */
export function merge(a: AggregateState, b: AggregateState, params: ProfileParams): AggregateState {
  assertParams(params);
  assertSameDim(a, b);
  const next = copyAt(a, b.refTime, params.halfLifeMs);
  const f = decayFactor(b.refTime, next.refTime, params.halfLifeMs);

  next.count = a.count + b.count;
  next.firstSeen = a.count === 0 ? b.firstSeen : b.count === 0 ? a.firstSeen : Math.min(a.firstSeen, b.firstSeen);
  next.lastSeen = a.count === 0 ? b.lastSeen : b.count === 0 ? a.lastSeen : Math.max(a.lastSeen, b.lastSeen);

  if (f > 0) {
    next.weight += b.weight * f;
    for (const label of Object.keys(b.labels)) addTo(next.labels, label, (b.labels[label] as number) * f);
    for (let i = 0; i < next.centroid.length; i++) next.centroid[i] = (next.centroid[i] as number) + (b.centroid[i] as number) * f;
    for (const term of Object.keys(b.terms)) addTo(next.terms, term, (b.terms[term] as number) * f);
  }
  next.terms = capRecord(next.terms, params.maxTerms);

  for (const label of Object.keys(b.evidence)) {
    next.evidence[label] = [...(own(next.evidence, label) ?? []), ...(b.evidence[label] as EvidenceEntry[])];
  }
  next.evidence = trimEvidence(next.evidence, params.evidencePerLabel);
  return next;
}

/**
 * Express the state at a later time t (e.g. "now" before finalize, so scores and confidence fade
 * for users who went quiet). A t at or before refTime returns an unchanged copy: decay never runs
 * backwards, which could overflow. count, firstSeen and lastSeen never change.
 */
export function decayTo(state: AggregateState, t: number, params: ProfileParams): AggregateState {
  assertParams(params);
  if (!Number.isFinite(t)) throw new RangeError(`profile: decayTo needs a finite time, got ${t}`);
  return copyAt(state, t, params.halfLifeMs);
}

/** Unit vector in the direction of v (scaled first, so tiny or huge components neither underflow nor overflow). */
function normalised(v: Float64Array): number[] {
  const n = v.length;
  const out = new Array<number>(n);
  let max = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(v[i]!);
    if (a > max) max = a;
  }
  if (!(max > 0 && Number.isFinite(max))) return out.fill(0);
  // scaled by the largest magnitude first, so neither the squares nor their sum can overflow
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const x = v[i]! / max;
    sumSq += x * x;
  }
  const norm = Math.sqrt(sumSq);
  for (let i = 0; i < n; i++) {
    const x = v[i]!;
    out[i] = x === 0 ? 0 : x / max / norm;
  }
  return out;
}

/**
 * How finalize turns label scores into interests beyond the plain mean: with the classifier's
 * held-out confusion, the mean of the user's per-comment probabilities is unmixed into shares of
 * the user's comments per label (src/profile/unmix.ts).
 */
export interface FinalizeOptions {
  unmix?: { confusion: LabelConfusion; prior: number } | undefined;
  /** The kind of classifier the profile's labels came from: which confidence fit applies (confidence.ts). */
  classifierKind?: string | undefined;
}

/** Label scores as finalize ranks them: the stored decayed sums, or the unmixed shares × weight (and which). */
function interestScores(state: AggregateState, o: FinalizeOptions): { scores: Record<string, number>; unmixed: boolean } {
  if (!o.unmix) return { scores: state.labels, unmixed: false };
  const shares = unmixShares(state.labels, state.weight, o.unmix.confusion, { prior: o.unmix.prior });
  if (!shares) return { scores: state.labels, unmixed: false }; // labels of another classifier, or nothing yet
  const out = nullRecord<number>();
  o.unmix.confusion.labels.forEach((label, i) => {
    const v = shares[i]! * state.weight;
    if (v > 0) out[label] = v;
  });
  return { scores: out, unmixed: true };
}

/** The profile a recommender receives, as of the state's refTime. */
export function finalize(state: AggregateState, params: ProfileParams, o: FinalizeOptions = {}): DerivedProfile {
  assertParams(params);
  const { scores, unmixed } = interestScores(state, o);
  const labels = ranked(scores).filter(([, score]) => score > 0);
  let total = 0;
  for (const [, score] of labels) total += score;
  const top = labels.slice(0, params.topK);
  const shares = top.map(([, score]) => (total > 0 ? Math.min(1, score / total) : 0));
  // calibrated at user level: the probability that the label is the user's main topic (confidence.ts)
  const second = labels[1] && total > 0 ? labels[1][1] / total : 0;
  const conf = confidences(shares, state.weight, confidenceFitFor(unmixed, o.classifierKind), second);
  const interests: Interest[] = top.map(([label, score], i) => ({ label, score, share: shares[i]!, confidence: Math.min(1, Math.max(0, conf[i]!)) }));
  const evidence = Object.fromEntries(interests.map(({ label }) => [label, (own(state.evidence, label) ?? []).slice(0, params.evidencePerLabel).map((e) => e.commentId)]));
  const topTerms = ranked(state.terms)
    .filter(([, score]) => score > 0)
    .slice(0, params.topTerms)
    .map(([term, score]) => ({ term, score }));

  return {
    count: state.count,
    firstSeen: state.firstSeen,
    lastSeen: state.lastSeen,
    interests,
    centroid: normalised(state.centroid),
    topTerms,
    evidence,
  };
}
