/**
 * User-level aggregations of per-comment predictions, side by side (pure; issue #19).
 *
 * A profile's first interest comes from one way of pooling a user's per-comment classifier outputs.
 * This module computes the candidates from the same inputs — each comment's probabilities, its
 * embedding and its time — so `portrait evaluate-profiles` can report them beside the pipeline's
 * own profile and the best can be chosen on evidence:
 *
 * - `mean`         decayed mean of the probabilities (the profile without unmixing);
 * - `unmix`        that mean unmixed with the classifier's held-out confusion (src/profile/unmix.ts);
 * - `logsum`       decayed sum of log-probabilities, softmaxed (naive Bayes: every comment is
 *                  evidence about one topic of the user);
 * - `centroid`     the classifier applied to the user's decayed mean embedding;
 * - `confidence`   the mean weighted by each comment's top probability;
 * - `temperature`  the mean of per-comment probabilities sharpened by a temperature T < 1
 *                  (p^(1/T), renormalised; T → 0 is a majority vote, T = 1 the mean);
 * - `majority`     the decayed share of comments whose top label is each label.
 *
 * Every aggregation gives a distribution over labels; its top label is the user's first interest
 * and its top probability the user-level confidence that calibration (ECE) checks.
 */
import { decayFactor } from '../profile/decay.js';
import { unmixShares, type LabelConfusion } from '../profile/unmix.js';

export interface UserComment {
  probs: Readonly<Record<string, number>>;
  embedding?: Float32Array | undefined;
  ts: number;
}

export type Distribution = Record<string, number>;

export interface AggregationContext {
  halfLifeMs: number;
  /** the classifier, for `centroid` */
  predict?: ((vectors: readonly Float32Array[]) => Record<string, number>[]) | undefined;
  /** the classifier's held-out confusion, for `unmix` */
  unmix?: { confusion: LabelConfusion; prior: number } | undefined;
}

export type Aggregation = (comments: readonly UserComment[], ctx: AggregationContext) => Distribution | undefined;

/** Floor of a probability before its log: a label a comment gives no mass keeps a finite penalty. */
export const LOG_FLOOR = 1e-4;

/** Decay weights of the comments at the newest comment's time (finalize's view at refTime). */
function weights(comments: readonly UserComment[], halfLifeMs: number): number[] {
  let ref = -Infinity;
  for (const c of comments) ref = Math.max(ref, c.ts);
  return comments.map((c) => decayFactor(c.ts, ref, halfLifeMs));
}

function normalise(d: Distribution): Distribution | undefined {
  let total = 0;
  for (const v of Object.values(d)) total += v;
  if (!(total > 0)) return undefined;
  const out: Distribution = {};
  for (const [k, v] of Object.entries(d)) out[k] = v / total;
  return out;
}

function softmax(scores: Distribution): Distribution | undefined {
  const vals = Object.values(scores);
  if (vals.length === 0) return undefined;
  const max = Math.max(...vals);
  const out: Distribution = {};
  for (const [k, v] of Object.entries(scores)) out[k] = Math.exp(v - max);
  return normalise(out);
}

function labelsOf(comments: readonly UserComment[]): string[] {
  const s = new Set<string>();
  for (const c of comments) for (const l of Object.keys(c.probs)) s.add(l);
  return [...s].sort();
}

function weightedMean(comments: readonly UserComment[], w: readonly number[], transform: (p: Readonly<Record<string, number>>) => Readonly<Record<string, number>>, extra: (c: UserComment) => number = () => 1): Distribution | undefined {
  const sum: Distribution = {};
  comments.forEach((c, i) => {
    const p = transform(c.probs);
    const wi = w[i]! * extra(c);
    for (const [l, v] of Object.entries(p)) sum[l] = (sum[l] ?? 0) + wi * v;
  });
  return normalise(sum);
}

const maxProb = (p: Readonly<Record<string, number>>) => Math.max(0, ...Object.values(p));

/** p^(1/t) renormalised: t < 1 sharpens each comment's distribution. */
export function sharpen(p: Readonly<Record<string, number>>, t: number): Record<string, number> {
  const out: Record<string, number> = {};
  let total = 0;
  const m = maxProb(p);
  if (!(m > 0)) return { ...p };
  for (const [l, v] of Object.entries(p)) {
    const x = (v / m) ** (1 / t);
    out[l] = x;
    total += x;
  }
  for (const l of Object.keys(out)) out[l] = out[l]! / total;
  return out;
}

export const AGGREGATIONS: Record<string, Aggregation> = {
  mean: (cs, ctx) => weightedMean(cs, weights(cs, ctx.halfLifeMs), (p) => p),
  unmix: (cs, ctx) => {
    if (!ctx.unmix) return undefined;
    const w = weights(cs, ctx.halfLifeMs);
    const sums: Record<string, number> = {};
    let W = 0;
    cs.forEach((c, i) => {
      W += w[i]!;
      for (const [l, v] of Object.entries(c.probs)) sums[l] = (sums[l] ?? 0) + w[i]! * v;
    });
    const shares = unmixShares(sums, W, ctx.unmix.confusion, { prior: ctx.unmix.prior });
    if (!shares) return undefined;
    const out: Distribution = {};
    ctx.unmix.confusion.labels.forEach((l, i) => (out[l] = shares[i]!));
    return normalise(out);
  },
  logsum: (cs, ctx) => {
    const w = weights(cs, ctx.halfLifeMs);
    const labels = labelsOf(cs);
    const scores: Distribution = {};
    for (const l of labels) scores[l] = 0;
    cs.forEach((c, i) => {
      for (const l of labels) scores[l] = scores[l]! + w[i]! * Math.log(Math.max(c.probs[l] ?? 0, LOG_FLOOR));
    });
    return softmax(scores);
  },
  centroid: (cs, ctx) => {
    if (!ctx.predict || cs.some((c) => !c.embedding)) return undefined;
    const w = weights(cs, ctx.halfLifeMs);
    const dim = cs[0]!.embedding!.length;
    const sum = new Float64Array(dim);
    cs.forEach((c, i) => {
      for (let j = 0; j < dim; j++) sum[j] = sum[j]! + w[i]! * c.embedding![j]!;
    });
    let n2 = 0;
    for (let j = 0; j < dim; j++) n2 += sum[j]! * sum[j]!;
    const v = new Float32Array(dim);
    const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
    for (let j = 0; j < dim; j++) v[j] = sum[j]! * inv;
    return normalise({ ...ctx.predict([v])[0]! });
  },
  confidence: (cs, ctx) =>
    weightedMean(
      cs,
      weights(cs, ctx.halfLifeMs),
      (p) => p,
      (c) => maxProb(c.probs),
    ),
  'temperature 0.5': (cs, ctx) => weightedMean(cs, weights(cs, ctx.halfLifeMs), (p) => sharpen(p, 0.5)),
  'temperature 0.25': (cs, ctx) => weightedMean(cs, weights(cs, ctx.halfLifeMs), (p) => sharpen(p, 0.25)),
  majority: (cs, ctx) =>
    weightedMean(cs, weights(cs, ctx.halfLifeMs), (p) => {
      let best = '';
      let bv = -Infinity;
      for (const [l, v] of Object.entries(p)) if (v > bv || (v === bv && l < best)) [best, bv] = [l, v];
      return { [best]: 1 };
    }),
};

/** Labels of a distribution, best first (ties by label, so the order is stable). */
export function rankedLabels(d: Readonly<Distribution>): string[] {
  return Object.entries(d)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([l]) => l);
}

export interface UserLevelTruth {
  userId: string;
  /** the user's majority topic */
  majority: string;
  /** the user's topics (majority first), for top-3 recall */
  topics: readonly string[];
}

export interface UserLevelScore {
  users: number;
  top1: number;
  top3Recall: number;
  /** expected calibration error of the top probability, 10 equal-width bins */
  ece: number;
  /** mean top probability (what the aggregation claims) beside top1 (what it achieves) */
  meanConfidence: number;
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** Expected calibration error: Σ_bins |accuracy − mean confidence| × share of users in the bin. */
export function expectedCalibrationError(items: readonly { confidence: number; correct: boolean }[], bins = 10): number {
  if (items.length === 0) return 0;
  const acc = new Array<number>(bins).fill(0);
  const conf = new Array<number>(bins).fill(0);
  const n = new Array<number>(bins).fill(0);
  for (const { confidence, correct } of items) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(confidence * bins)));
    n[b]!++;
    conf[b]! += confidence;
    if (correct) acc[b]!++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (n[b]! > 0) ece += (n[b]! / items.length) * Math.abs(acc[b]! / n[b]! - conf[b]! / n[b]!);
  return ece;
}

/** A user's labels best first, and the confidence claimed for the first. */
export interface RankedAnswer {
  ranked: readonly string[];
  confidence: number;
}

/** A distribution as a ranked answer: its labels best first, its top probability. */
export function answerOf(d: Readonly<Distribution>): RankedAnswer {
  const ranked = rankedLabels(d);
  return { ranked, confidence: ranked[0] === undefined ? 0 : d[ranked[0]]! };
}

/** Score answers (by user id) against the truth; a user without one counts as a miss at confidence 0. */
export function scoreUserLevel(truth: readonly UserLevelTruth[], answers: ReadonlyMap<string, RankedAnswer | undefined>): UserLevelScore {
  let hit = 0;
  let recall = 0;
  let confSum = 0;
  const cal: { confidence: number; correct: boolean }[] = [];
  for (const u of truth) {
    const a = answers.get(u.userId);
    const ranked = a?.ranked ?? [];
    const correct = ranked[0] === u.majority;
    const confidence = a?.confidence ?? 0;
    if (correct) hit++;
    const top3 = ranked.slice(0, 3);
    recall += u.topics.length === 0 ? 0 : u.topics.filter((t) => top3.includes(t)).length / u.topics.length;
    confSum += confidence;
    cal.push({ confidence, correct });
  }
  const n = Math.max(1, truth.length);
  return { users: truth.length, top1: r4(hit / n), top3Recall: r4(recall / n), ece: r4(expectedCalibrationError(cal)), meanConfidence: r4(confSum / n) };
}

/** Every aggregation of every user, scored. */
export function compareAggregations(truth: readonly UserLevelTruth[], comments: ReadonlyMap<string, readonly UserComment[]>, ctx: AggregationContext, names: readonly string[] = Object.keys(AGGREGATIONS)): Record<string, UserLevelScore> {
  const out: Record<string, UserLevelScore> = {};
  for (const name of names) {
    const agg = AGGREGATIONS[name];
    if (!agg) throw new RangeError(`no aggregation named ${JSON.stringify(name)}`);
    const answers = new Map<string, RankedAnswer | undefined>();
    for (const u of truth) {
      const cs = comments.get(u.userId) ?? [];
      const d = cs.length > 0 ? agg(cs, ctx) : undefined;
      answers.set(u.userId, d ? answerOf(d) : undefined);
    }
    if ([...answers.values()].every((a) => a === undefined)) continue; // not applicable (no confusion, no classifier)
    out[name] = scoreUserLevel(truth, answers);
  }
  return out;
}
