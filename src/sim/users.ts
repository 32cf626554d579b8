/**
 * Simulated users for demos, load tests and evaluation (pure: no I/O, no clock, no Math.random).
 *
 * Each user gets 1–3 latent interests (labels of the input rows, main interest first) and writes
 * comments drawn from rows of those labels only; the main interest gets at least `dominantShare`
 * of the user's comments. Timestamps increase per user and the events come back in global time
 * order, the way they would arrive on the comments topic. Same rows + same options = same output.
 * docs/data.md describes the model in prose.
 */
import { PortraitError } from '../util/errors.js';
import { createRng, type Rng } from './random.js';

export interface SimRow {
  id: string;
  text: string;
  label: string;
  lang?: string;
}

export type Range = number | readonly [number, number];

export interface SimOptions {
  /** How many users (at most `limit` when a limit is given). */
  users: number;
  /** Comments per user, drawn uniformly from [min, max]; ignored when `limit` is set. Default [5, 30]. */
  commentsPerUser?: Range;
  /** Latent interests per user, drawn uniformly from [min, max], capped by the number of labels. Default [1, 3]. */
  interestsPerUser?: Range;
  /** Exactly this many events in total, dealt round-robin over the users (the first users get the remainder). */
  limit?: number;
  seed: number;
  /** Epoch ms of the earliest possible comment. */
  startTs: number;
  /** Comment times are spread uniformly over [startTs, startTs + spanMs). */
  spanMs: number;
  /** The least share of a user's comments on the main interest (default 0.6); the rest is split over the others. */
  dominantShare?: number;
  /** `lang` for events whose row has none (rows' own `lang` wins); omitted when neither is set. */
  lang?: string;
  /** User ids are `<prefix><number>`, zero-padded to 4 digits or more (default "u": u0001). */
  userPrefix?: string;
  /** The event's `source` (default "portrait-sim"). */
  source?: string;
}

export interface SimUser {
  userId: string;
  /** Latent interests, main first; each has at least one comment. */
  interests: string[];
  comments: number;
  /** Comments per label. */
  labelCounts: Record<string, number>;
}

/** A comment event as on the comments topic (schemaVersion 1). */
export interface SimCommentEvent {
  type: 'comment';
  schemaVersion: 1;
  eventId: string;
  userId: string;
  commentId: string;
  text: string;
  /** Epoch ms. */
  ts: number;
  lang?: string;
  source: string;
  /** The row behind the comment: ground truth for evaluation, never read by the pipeline. */
  metadata: { simLabel: string; rowId: string };
}

export interface Simulation {
  users: SimUser[];
  events: SimCommentEvent[];
}

export const SIM_DEFAULTS = {
  commentsPerUser: [5, 30] as const,
  interestsPerUser: [1, 3] as const,
  dominantShare: 0.6,
  userPrefix: 'u',
  source: 'portrait-sim',
};

function usage(message: string): PortraitError {
  return new PortraitError('USAGE', message);
}

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min) throw usage(`${name} must be an integer >= ${min}, got ${v}`);
}

function toRange(name: string, r: Range, min: number): [number, number] {
  const [lo, hi] = typeof r === 'number' ? [r, r] : r;
  checkInt(`${name} (min)`, lo, min);
  checkInt(`${name} (max)`, hi, min);
  if (hi < lo) throw usage(`${name}: max ${hi} is below min ${lo}`);
  return [lo, hi];
}

/**
 * Split n comments over k interests: the main one gets max(ceil(n * share), ceil(n / k)), the others
 * share the rest evenly (earlier ones get the remainder). Interests left with 0 comments are dropped.
 */
export function allocate(n: number, k: number, share: number): number[] {
  if (n <= 0 || k <= 0) return [];
  if (k === 1) return [n];
  const main = Math.min(n, Math.max(Math.ceil(n * share - 1e-9), Math.ceil(n / k)));
  const rest = n - main;
  const others = Array.from({ length: k - 1 }, (_, i) => Math.floor(rest / (k - 1)) + (i < rest % (k - 1) ? 1 : 0));
  return [main, ...others].filter((c) => c > 0);
}

/** Draws rows of one label without repeats until the label's rows run out, then reshuffles. */
class Deck {
  private order: number[] = [];
  private pos = 0;
  constructor(
    private readonly rows: readonly number[],
    private readonly rng: Rng,
  ) {}
  draw(): number {
    if (this.pos >= this.order.length) {
      this.order = this.rng.shuffle([...this.rows]);
      this.pos = 0;
    }
    return this.order[this.pos++] as number;
  }
}

/** Row indices per label, and the labels sorted (so a simulation does not depend on the order labels first appear in the file). */
export function rowsByLabel(rows: readonly SimRow[]): { byLabel: Map<string, number[]>; labels: string[] } {
  const byLabel = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const list = byLabel.get(r.label);
    if (list) list.push(i);
    else byLabel.set(r.label, [i]);
  });
  return { byLabel, labels: [...byLabel.keys()].sort() };
}

/** Simulate users and their comment events from labelled rows. */
export function simulateUsers(rows: readonly SimRow[], opts: SimOptions): Simulation {
  if (rows.length === 0) throw usage('no rows to simulate users from');
  checkInt('users', opts.users, 1);
  if (opts.limit !== undefined) checkInt('limit', opts.limit, 1);
  if (!Number.isSafeInteger(opts.seed)) throw usage(`seed must be an integer, got ${opts.seed}`);
  if (!Number.isFinite(opts.startTs)) throw usage(`startTs must be epoch milliseconds, got ${opts.startTs}`);
  if (!Number.isFinite(opts.spanMs) || opts.spanMs < 1) throw usage(`spanMs must be >= 1, got ${opts.spanMs}`);
  const share = opts.dominantShare ?? SIM_DEFAULTS.dominantShare;
  if (!(share > 0 && share <= 1)) throw usage(`dominantShare must be in (0, 1], got ${share}`);
  const perUser = toRange('commentsPerUser', opts.commentsPerUser ?? SIM_DEFAULTS.commentsPerUser, 1);
  const [iMin, iMax] = toRange('interestsPerUser', opts.interestsPerUser ?? SIM_DEFAULTS.interestsPerUser, 1);
  const prefix = opts.userPrefix ?? SIM_DEFAULTS.userPrefix;
  const source = opts.source ?? SIM_DEFAULTS.source;

  const rng = createRng(opts.seed);
  const { byLabel, labels } = rowsByLabel(rows);
  const decks = new Map(labels.map((l) => [l, new Deck(byLabel.get(l) ?? [], rng)]));

  const nUsers = opts.limit === undefined ? opts.users : Math.min(opts.users, opts.limit);
  const counts = opts.limit === undefined ? Array.from({ length: nUsers }, () => rng.int(perUser[0], perUser[1])) : Array.from({ length: nUsers }, (_, i) => Math.floor(opts.limit! / nUsers) + (i < opts.limit! % nUsers ? 1 : 0));
  const width = Math.max(4, String(nUsers).length);

  interface Draft {
    ts: number;
    user: number;
    seq: number;
    row: SimRow;
  }
  const drafts: Draft[] = [];
  const users: SimUser[] = [];

  for (let u = 0; u < nUsers; u++) {
    const userId = `${prefix}${String(u + 1).padStart(width, '0')}`;
    const n = counts[u] ?? 0;
    const k = Math.min(rng.int(Math.min(iMin, labels.length), Math.min(iMax, labels.length)), labels.length);
    const chosen = rng.shuffle([...labels]).slice(0, k);
    const alloc = allocate(n, k, share);
    const interests = chosen.slice(0, alloc.length);

    // The sequence of labels this user writes about, in a random order.
    const seqLabels = rng.shuffle(interests.flatMap((l, i) => Array<string>(alloc[i] ?? 0).fill(l)));
    // Increasing times within the span (ties nudged by 1 ms so they stay strictly increasing).
    const times = Array.from({ length: n }, () => opts.startTs + Math.floor(rng.next() * opts.spanMs)).sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) if (times[i]! <= times[i - 1]!) times[i] = times[i - 1]! + 1;

    const labelCounts: Record<string, number> = {};
    seqLabels.forEach((label, seq) => {
      const row = rows[decks.get(label)!.draw()]!;
      labelCounts[label] = (labelCounts[label] ?? 0) + 1;
      drafts.push({ ts: times[seq]!, user: u, seq, row });
    });
    users.push({ userId, interests, comments: n, labelCounts });
  }

  drafts.sort((a, b) => a.ts - b.ts || a.user - b.user || a.seq - b.seq);
  const events = drafts.map((d, i): SimCommentEvent => {
    const n = i + 1;
    const lang = d.row.lang ?? opts.lang;
    return {
      type: 'comment',
      schemaVersion: 1,
      eventId: `sim-${opts.seed}-${n}`,
      userId: users[d.user]!.userId,
      commentId: `c-${d.row.id}-${n}`,
      text: d.row.text,
      ts: d.ts,
      ...(lang ? { lang } : {}),
      source,
      metadata: { simLabel: d.row.label, rowId: d.row.id },
    };
  });
  return { users, events };
}
