/**
 * Simulated forum authors for user-level evaluation (pure: no I/O, no clock, no Math.random).
 *
 * `src/sim/users.ts` draws tidy users (1-3 interests, 5-30 comments, the main one ≥ 60 %). Real
 * authors look different, and profile aggregations that win on tidy users need not win on them.
 * This simulation is built to match what real forum authors look like, with its parameters fixed
 * in AUTHOR_SIM before any aggregation was compared on it (issue #19; docs/models.md):
 *
 * - **posts per author**: a truncated power law on [1, 50], P(n) ∝ n^-1.5 — most authors write one
 *   or two posts, a few write dozens (median 2, mean ≈ 5.6);
 * - **one dominant topic plus a long tail**: the dominant topic's share is drawn from Beta(6, 2.5)
 *   (mean 0.71); every other post picks another topic with Zipf weights 1/r^1.2 over a random
 *   order of the remaining labels, so one or two secondary topics recur and the rest are rare;
 * - **topic drift over time**: a quarter of the authors drift into their dominant topic — its posts
 *   fall late in the author's span, the tail's early (times drawn from Beta(2, 1) and Beta(1, 2));
 *   the others are uniform over the span;
 * - **near-duplicate posts**: each post after an author's first repeats one of the author's earlier
 *   posts, lightly edited (a suffix such as " +1", "!!", " (reposted)"), with probability 0.08 —
 *   cross-posts and bumps.
 *
 * The truth of an author is the **majority topic** of their posts (ties: the dominant topic), as a
 * held-out set of real authors would score it; `topics` lists the labels with at least 15 % of the
 * posts, majority first (top-3 recall).
 */
import { PortraitError } from '../util/errors.js';
import { createRng, type Rng } from './random.js';
import { rowsByLabel, type SimCommentEvent, type Simulation, type SimRow, type SimUser } from './users.js';

export const AUTHOR_SIM = {
  minPosts: 1,
  maxPosts: 50,
  postsExponent: 1.5,
  dominantBeta: [6, 2.5] as const,
  tailZipf: 1.2,
  driftShare: 0.25,
  nearDuplicate: 0.08,
  /** a label is one of the author's topics (for top-3 recall) from this share of their posts up */
  topicShare: 0.15,
} as const;

const DUPLICATE_SUFFIXES = [' +1', '!!', ' (reposted)', ' …', '！', ' 顶', ' ^^', '.'];

export interface AuthorOptions {
  authors: number;
  seed: number;
  /** Epoch ms of the earliest possible post. */
  startTs: number;
  /** Post times fall in [startTs, startTs + spanMs). */
  spanMs: number;
  /** Author ids are `<prefix><number>` (default "a"). */
  userPrefix?: string;
  source?: string;
}

export interface SimAuthor extends SimUser {
  /** The majority topic: the truth a profile's first interest is scored against. */
  majority: string;
  /** The topic the author's posts were drawn around (usually the majority; not always for few posts). */
  dominant: string;
  drift: boolean;
  nearDuplicates: number;
}

export interface AuthorSimulation extends Simulation {
  users: SimAuthor[];
}

/** A Gamma(shape, 1) draw (Marsaglia and Tsang; shape ≥ 1 here). */
function gamma(rng: Rng, shape: number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      // a standard normal by Box-Muller
      const u1 = Math.max(rng.next(), 1e-12);
      x = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rng.next());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(Math.max(u, 1e-300)) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function beta(rng: Rng, a: number, b: number): number {
  const x = gamma(rng, a);
  return x / (x + gamma(rng, b));
}

/** An index drawn with probability proportional to `weights`. */
function weighted(rng: Rng, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let r = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i]!;
    if (r < 0) return i;
  }
  return weights.length - 1;
}

/** P(n) ∝ n^-exponent on [min, max]. */
export function postsWeights(min: number, max: number, exponent: number): number[] {
  return Array.from({ length: max - min + 1 }, (_, i) => (min + i) ** -exponent);
}

/** Simulate forum authors and their posts from labelled rows (same rows + same options = same output). */
export function simulateAuthors(rows: readonly SimRow[], opts: AuthorOptions): AuthorSimulation {
  if (rows.length === 0) throw new PortraitError('USAGE', 'no rows to simulate authors from');
  if (!Number.isSafeInteger(opts.authors) || opts.authors < 1) throw new PortraitError('USAGE', `authors must be an integer >= 1, got ${opts.authors}`);
  const P = AUTHOR_SIM;
  const rng = createRng(opts.seed);
  const { byLabel, labels } = rowsByLabel(rows);
  const draw = (label: string) => rng.pick(byLabel.get(label)!);
  const postsW = postsWeights(P.minPosts, P.maxPosts, P.postsExponent);
  const prefix = opts.userPrefix ?? 'a';
  const width = Math.max(4, String(opts.authors).length);

  interface Draft {
    ts: number;
    user: number;
    seq: number;
    row: SimRow;
    text: string;
  }
  const drafts: Draft[] = [];
  const users: SimAuthor[] = [];
  for (let u = 0; u < opts.authors; u++) {
    const n = P.minPosts + weighted(rng, postsW);
    const dominant = rng.pick(labels);
    const others = rng.shuffle(labels.filter((l) => l !== dominant));
    const tailW = others.map((_, r) => 1 / (r + 1) ** P.tailZipf);
    const share = beta(rng, P.dominantBeta[0], P.dominantBeta[1]);
    const drift = rng.next() < P.driftShare;
    const posts: { label: string; row: number; text: string; dup: boolean }[] = [];
    for (let i = 0; i < n; i++) {
      if (i > 0 && rng.next() < P.nearDuplicate) {
        const src = rng.pick(posts);
        posts.push({ label: src.label, row: src.row, text: `${src.text}${rng.pick(DUPLICATE_SUFFIXES)}`, dup: true });
        continue;
      }
      const label = others.length === 0 || rng.next() < share ? dominant : others[weighted(rng, tailW)]!;
      const row = draw(label);
      posts.push({ label, row, text: rows[row]!.text, dup: false });
    }
    // times: drifting authors write their dominant topic late and the tail early
    const times = posts.map((p) => {
      const x = drift ? (p.label === dominant ? beta(rng, 2, 1) : beta(rng, 1, 2)) : rng.next();
      return opts.startTs + Math.floor(x * opts.spanMs);
    });
    const order = posts.map((_, i) => i).sort((a, b) => times[a]! - times[b]! || a - b);
    const labelCounts: Record<string, number> = {};
    for (const p of posts) labelCounts[p.label] = (labelCounts[p.label] ?? 0) + 1;
    const ranked = Object.entries(labelCounts).sort((a, b) => b[1] - a[1] || (a[0] === dominant ? -1 : b[0] === dominant ? 1 : a[0] < b[0] ? -1 : 1));
    const majority = ranked[0]![0];
    const topics = ranked.filter(([, c], i) => i === 0 || c / n >= P.topicShare).map(([l]) => l);
    const userId = `${prefix}${String(u + 1).padStart(width, '0')}`;
    let last = -Infinity;
    order.forEach((i, seq) => {
      const ts = Math.max(times[i]!, last + 1); // strictly increasing per author
      last = ts;
      drafts.push({ ts, user: u, seq, row: rows[posts[i]!.row]!, text: posts[i]!.text });
    });
    users.push({ userId, interests: topics, comments: n, labelCounts, majority, dominant, drift, nearDuplicates: posts.filter((p) => p.dup).length });
  }

  drafts.sort((a, b) => a.ts - b.ts || a.user - b.user || a.seq - b.seq);
  const source = opts.source ?? 'portrait-sim-authors';
  const events = drafts.map((d, i): SimCommentEvent => {
    const k = i + 1;
    return {
      type: 'comment',
      schemaVersion: 1,
      eventId: `sima-${opts.seed}-${k}`,
      userId: users[d.user]!.userId,
      commentId: `c-${d.row.id}-${k}`,
      text: d.text,
      ts: d.ts,
      ...(d.row.lang ? { lang: d.row.lang } : {}),
      source,
      metadata: { simLabel: d.row.label, rowId: d.row.id },
    };
  });
  return { users, events };
}
