/**
 * A deliberately naive reference for the aggregate: recompute everything from the full list of
 * observations at once, T = max ts (or a later `asOf`), with the formulas of docs/profile.md written
 * out literally. No incremental state, no rescaling, no shared helpers with aggregate.ts: the property
 * tests check that the incremental fold agrees with this on generated data (the chronon habit).
 *
 * The term cap here is the ideal one: the maxTerms highest of the exact totals. The incremental state
 * agrees with it whenever its own cap never had to evict anything (see docs/profile.md).
 * Cost is O(n * everything); use it for tests and offline verification, not on the stream.
 */
import { USER_CONFIDENCE } from './confidence.js';
import type { AggregateState, DerivedProfile, Observation, ProfileParams } from './types.js';

function byCodeUnits(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function toRecord<V>(map: Map<string, V>): Record<string, V> {
  const rec = Object.create(null) as Record<string, V>;
  for (const [k, v] of map) rec[k] = v;
  return rec;
}

function argmax(probs: Readonly<Record<string, number>>): string | undefined {
  const candidates = Object.entries(probs).filter(([, p]) => p > 0);
  if (candidates.length === 0) return undefined;
  const best = Math.max(...candidates.map(([, p]) => p));
  return candidates
    .filter(([, p]) => p === best)
    .map(([label]) => label)
    .sort(byCodeUnits)[0];
}

/** The state the incremental fold should reach, computed directly. */
export function referenceState(observations: readonly Observation[], dim: number, params: ProfileParams, asOf?: number): AggregateState {
  const h = params.halfLifeMs;
  const T = Math.max(...observations.map((o) => o.ts), asOf ?? -Infinity);
  const weightOf = (o: Observation): number => (T === o.ts ? 1 : Math.pow(2, -(T - o.ts) / h));

  let weight = 0;
  const labels = new Map<string, number>();
  const terms = new Map<string, number>();
  const centroid = new Float64Array(dim);
  for (const o of observations) {
    const w = weightOf(o);
    weight += w;
    for (const [label, p] of Object.entries(o.probs)) labels.set(label, (labels.get(label) ?? 0) + p * w);
    for (const term of o.terms) terms.set(term, (terms.get(term) ?? 0) + w);
    for (let i = 0; i < dim; i++) centroid[i] = (centroid[i] ?? 0) + (o.embedding[i] ?? 0) * w;
  }
  for (const [k, v] of labels) if (!(v > 0)) labels.delete(k);
  for (const [k, v] of terms) if (!(v > 0)) terms.delete(k);
  const keptTerms = [...terms.entries()].sort((x, y) => (x[1] !== y[1] ? y[1] - x[1] : byCodeUnits(x[0], y[0]))).slice(0, params.maxTerms);

  const evidence = new Map<string, Array<{ commentId: string; ts: number }>>();
  for (const o of observations) {
    const label = argmax(o.probs);
    if (label === undefined) continue;
    evidence.set(label, [...(evidence.get(label) ?? []), { commentId: o.commentId, ts: o.ts }]);
  }
  for (const [label, list] of evidence) {
    list.sort((x, y) => (x.ts !== y.ts ? y.ts - x.ts : byCodeUnits(y.commentId, x.commentId)));
    const unique = list.filter((e, i) => list.findIndex((f) => f.commentId === e.commentId) === i);
    const kept = unique.slice(0, params.evidencePerLabel);
    if (kept.length > 0) evidence.set(label, kept);
    else evidence.delete(label);
  }

  const n = observations.length;
  return {
    count: n,
    firstSeen: n === 0 ? 0 : Math.min(...observations.map((o) => o.ts)),
    lastSeen: n === 0 ? 0 : Math.max(...observations.map((o) => o.ts)),
    refTime: T,
    weight,
    labels: toRecord(labels),
    centroid,
    terms: toRecord(new Map(keptTerms)),
    evidence: toRecord(evidence),
  };
}

/** The derived profile, computed directly from the observations. */
export function referenceProfile(observations: readonly Observation[], dim: number, params: ProfileParams, asOf?: number, classifierKind?: string): DerivedProfile {
  const s = referenceState(observations, dim, params, asOf);
  const labelList = Object.keys(s.labels).map((label) => ({ label, score: s.labels[label] ?? 0 }));
  labelList.sort((x, y) => (x.score !== y.score ? y.score - x.score : byCodeUnits(x.label, y.label)));
  const total = labelList.reduce((acc, x) => acc + x.score, 0);
  // confidence written out again from its formula (docs/profile.md), not through confidence.ts
  // (plain means; an uncalibrated zero-shot taxonomy's fit uses the lead over the second label instead of the share)
  const zeroShot = classifierKind === 'zero-shot';
  const { intercept, share: bShare, margin: bMargin, weight: bWeight } = zeroShot ? USER_CONFIDENCE.zeroShot : USER_CONFIDENCE.mean;
  const top = labelList.slice(0, params.topK);
  const first = top.length > 0 ? top[0]!.score / total : 0;
  const second = labelList.length > 1 ? labelList[1]!.score / total : 0;
  const clamp = (x: number) => Math.min(1 - 1e-6, Math.max(1e-6, x));
  const lead = zeroShot ? bMargin * Math.log(clamp(first) / Math.max(1e-6, Math.min(clamp(first), second))) : 0;
  const c1 = s.weight > 0 && first > 0 ? 1 / (1 + Math.exp(-(intercept + bShare * Math.log(clamp(first) / (1 - clamp(first))) + lead + bWeight * Math.log(s.weight)))) : 0;
  const interests = top.map(({ label, score }, i) => {
    const share = score / total;
    const confidence = i === 0 ? c1 : first < 1 ? Math.min(c1, ((1 - c1) * share) / (1 - first)) : 0;
    return { label, score, share, confidence };
  });

  const termList = Object.keys(s.terms).map((term) => ({ term, score: s.terms[term] ?? 0 }));
  termList.sort((x, y) => (x.score !== y.score ? y.score - x.score : byCodeUnits(x.term, y.term)));

  const norm = Math.sqrt(Array.from(s.centroid).reduce((acc, x) => acc + x * x, 0));
  const centroid = Array.from(s.centroid, (x) => (norm > 0 && x !== 0 ? x / norm : 0));

  const evidence: Record<string, string[]> = {};
  for (const { label } of interests) {
    Object.defineProperty(evidence, label, {
      value: (Object.hasOwn(s.evidence, label) ? (s.evidence[label] ?? []) : []).map((e) => e.commentId),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }

  return {
    count: s.count,
    firstSeen: s.firstSeen,
    lastSeen: s.lastSeen,
    interests,
    centroid,
    topTerms: termList.slice(0, params.topTerms),
    evidence,
  };
}
