/**
 * `portrait evaluate-profiles` without the command line: simulate users from labelled rows
 * (src/sim/users.ts), stream their comments through the REAL pipeline — a fresh comments topic,
 * a processor with its own consumer group, namespace and profiles topic — wait until it has
 * committed everything, read the profile events back from Kafka, and score them
 * (src/eval/profile-score.ts). Everything it created is deleted afterwards.
 */
import type { Classifier } from '../classify/types.js';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';
import { projectPath } from '../config/index.js';
import { embedChunked } from '../embed/pool.js';
import type { Embedder } from '../embed/types.js';
import { Parts } from '../app/parts.js';
import { profileView } from '../events/profile-event.js';
import { readToEnd } from '../kafka/read-to-end.js';
import type { KafkaAdmin, KafkaClient } from '../kafka/types.js';
import { groupLag } from '../metrics/lag.js';
import { labelMap, loadTaxonomy } from '../classify/taxonomy.js';
import { simulateAuthors } from '../sim/authors.js';
import { simulateUsers, SIM_DEFAULTS, type Simulation } from '../sim/users.js';
import type { LabelConfusion } from '../profile/unmix.js';
import { profileParams } from '../profile/params.js';
import { isRejection, preprocess } from '../text/index.js';
import { PortraitError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { readDataset, rowsOfSplit, type DatasetFields } from './dataset.js';
import { taxonomyFor } from './evaluate-run.js';
import { scoreProfiles, type ProfileScores } from './profile-score.js';
import { compareAggregations, scoreUserLevel, type RankedAnswer, type UserComment, type UserLevelScore, type UserLevelTruth } from './user-aggregations.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** What the runner needs from consumers/comments.ts (passed in, so src/ does not import the composition root). */
export interface ProcessorHandle {
  classifier(): { kind: string; version: string; confusion?: unknown; predict: Classifier['predict'] };
  stop(): Promise<void>;
}
export type StartProcessorFn = (cfg: Readonly<Config>, log: Logger, opts: { parts: Parts; embedder: Embedder; namespace: string; groupId: string; fromBeginning: boolean }) => Promise<ProcessorHandle>;

/**
 * Who the simulated users are: `authors` (src/sim/authors.ts: shaped like forum authors, 1-50 posts,
 * one dominant topic and a long tail, drift, near-duplicates; truth = the majority topic) or `tidy`
 * (src/sim/users.ts: 1-3 latent interests, 5-30 comments, the main one at least 60 %).
 */
export type Population = 'authors' | 'tidy';

export interface ProfilesRunOptions {
  data: string;
  population?: Population;
  fields?: Partial<DatasetFields>;
  /** Rows the comments are drawn from (default 'test'; 'all' = every row). */
  split?: string;
  users: number;
  comments?: [number, number];
  interests?: [number, number];
  seed: number;
  model?: string;
  zeroShot?: boolean;
  taxonomy?: string;
  /** Seconds to wait for the processor to catch up. */
  timeoutSeconds?: number;
}

export interface ProfilesSummary extends ProfileScores {
  /** Name of the run's topics (<run>-comments, ...), consumer group and namespace, all deleted afterwards. */
  run: string;
  file: string;
  split: string;
  classifier: { kind: string; version: string };
  /** Whether profiles were unmixed with the classifier's confusion (a trained head's, or a zero-shot calibration's). */
  unmixed: boolean;
  seconds: number;
  /** Data labels the classifier does not have (scored as misses): another label space. */
  unmatchedLabels?: string[];
  population: Population;
  /**
   * User level, against each user's majority topic: the pipeline's profile (its first interest and
   * that interest's `confidence`) and every aggregation of src/eval/user-aggregations.ts computed
   * from the same per-comment predictions; for all users and for those with at least 3 comments.
   */
  userLevel: { all: UserLevelTable; atLeast3: UserLevelTable };
}

export interface UserLevelTable {
  users: number;
  profile: UserLevelScore;
  aggregations: Record<string, UserLevelScore>;
}

async function waitCaughtUp(admin: KafkaAdmin, groupId: string, topic: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { lag } = await groupLag(admin, groupId, topic);
    if (lag === 0) return;
    if (Date.now() > deadline) throw new PortraitError('KAFKA_UNAVAILABLE', `the processor still had ${lag} comments to go after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

/** The last profile event of every user in `topic` (highest version wins). */
type Interests = Array<{ label: string; share: number; confidence: number }>;

async function latestProfiles(kafka: KafkaClient, admin: KafkaAdmin, topic: string): Promise<Map<string, { version: number; interests: Interests }>> {
  const out = new Map<string, { version: number; interests: Interests }>();
  await readToEnd(
    kafka,
    admin,
    topic,
    (r) => {
      if (!r.value) return;
      const p = profileView(JSON.parse(r.value.toString()) as unknown) as { userId: string; version: number; interests: Interests };
      const seen = out.get(p.userId);
      if (!seen || p.version > seen.version) out.set(p.userId, { version: p.version, interests: p.interests });
    },
    'portrait-eval-reader',
  );
  return out;
}

export async function runEvaluateProfiles(o: ProfilesRunOptions, cfg: Readonly<Config>, embedder: Embedder, start: StartProcessorFn, log: Logger): Promise<ProfilesSummary> {
  const started = Date.now();
  if (o.model !== undefined && o.zeroShot) throw new PortraitError('USAGE', 'give --model or --zero-shot, not both');
  const split = o.split ?? 'test';
  const all = readDataset(o.data, o.fields);
  const rows = split === 'all' ? all : rowsOfSplit(all, split);
  if (rows.length === 0) throw new PortraitError('USAGE', `no rows of split "${split}" in ${o.data}; use --split all`);
  const population = o.population ?? 'authors';
  const simRows = rows.map((r) => ({ id: `line-${r.line}`, text: r.text, label: r.label }));
  // authors write over 90 days (three profile half-lives at the default); tidy users over a week
  const spanMs = (population === 'authors' ? 90 : 7) * 86_400_000;
  const sim: Simulation =
    population === 'authors'
      ? simulateAuthors(simRows, { authors: o.users, seed: o.seed, startTs: Date.now() - spanMs, spanMs, userPrefix: 'eval-a' })
      : simulateUsers(simRows, {
          users: o.users,
          commentsPerUser: o.comments ?? [...SIM_DEFAULTS.commentsPerUser],
          interestsPerUser: o.interests ?? [...SIM_DEFAULTS.interestsPerUser],
          seed: o.seed,
          startTs: Date.now() - spanMs,
          spanMs,
          userPrefix: 'eval-u',
        });

  // a run of its own: topics, group and namespace nobody else uses
  const run = `portrait-eval-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const topics = { comments: `${run}-comments`, profiles: `${run}-profiles`, deadLetter: `${run}-comments.dlq`, features: `${run}-comments.features` };
  const taxonomyFile = o.zeroShot ? (o.taxonomy ?? taxonomyFor(o.data, cfg.classifier.taxonomy)) : undefined;
  const classifier: Partial<Config['classifier']> = o.model !== undefined ? { kind: 'artifact', artifact: projectPath(o.model), registry: false } : taxonomyFile ? { kind: 'zero-shot', taxonomy: taxonomyFile, registry: false } : {};
  const runCfg: Readonly<Config> = Object.freeze({
    ...cfg,
    // no feature log: a scoring run has nothing to rebuild
    kafka: { ...cfg.kafka, topics, featureLog: false, partitions: Math.min(cfg.kafka.partitions, 3), groupId: run },
    classifier: { ...cfg.classifier, ...classifier },
  });
  const parts = new Parts(runCfg, log, { kafkaClientIdSuffix: '-eval' });
  const { kafka } = parts;
  const admin = kafka.admin();
  await admin.connect();
  let proc: ProcessorHandle | undefined;
  try {
    proc = await start(runCfg, log, { parts, embedder, namespace: run, groupId: run, fromBeginning: true });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let i = 0; i < sim.events.length; i += 500) {
        await producer.send(
          topics.comments,
          sim.events.slice(i, i + 500).map((e) => ({ key: e.userId, value: JSON.stringify(e) })),
        );
      }
    } finally {
      await producer.disconnect();
    }
    await waitCaughtUp(admin, run, topics.comments, (o.timeoutSeconds ?? 600) * 1000);
    const clf = proc.classifier();
    const profiles = await latestProfiles(kafka, admin, topics.profiles);

    // the truth in the classifier's label space (zero-shot: taxonomy ids through aliases)
    const map = taxonomyFile ? labelMap(loadTaxonomy(taxonomyFile)) : undefined;
    const toLabel = (l: string) => map?.get(l) ?? l;
    // per-comment predictions of the same classifier on the same (cached) embeddings
    const textOpts = cfg.text;
    const kept = sim.events.flatMap((e) => {
      const p = preprocess(e.text, textOpts);
      return isRejection(p) ? [] : [{ e, chunks: p.chunks, lang: p.lang }];
    });
    const vectors = await embedChunked(
      embedder,
      kept.map((k) => k.chunks),
    );
    const probs = clf.predict(
      vectors,
      kept.map((k) => k.lang),
    );
    const scores = scoreProfiles(
      sim.users.map((u) => ({
        userId: u.userId,
        interests: u.interests.map(toLabel),
        proportions: Object.fromEntries(Object.entries(u.labelCounts).map(([l, n]) => [toLabel(l), n / u.comments])),
      })),
      [...profiles.entries()].map(([userId, p]) => ({ userId, ranked: p.interests.map((i) => i.label), shares: Object.fromEntries(p.interests.map((i) => [i.label, i.share])) })),
      kept.map((k, i) => ({ userId: k.e.userId, truth: toLabel(k.e.metadata.simLabel), probs: probs[i]! })),
    );
    const userLevel = scoreUserLevels(
      sim.users.map((u) => ({ userId: u.userId, majority: toLabel(u.interests[0]!), topics: u.interests.map(toLabel), comments: u.comments })),
      profiles,
      kept.map((k, i) => ({ userId: k.e.userId, comment: { probs: probs[i]!, embedding: vectors[i], ts: k.e.ts } })),
      {
        halfLifeMs: profileParams(runCfg).halfLifeMs,
        predict: (v) => clf.predict(v),
        unmix: runCfg.profile.unmix && clf.confusion ? { confusion: clf.confusion as LabelConfusion, prior: runCfg.profile.unmixPrior } : undefined,
      },
    );
    const known = new Set(Object.keys(probs[0] ?? {}));
    const unmatched = [...new Set(rows.map((r) => toLabel(r.label)))].filter((l) => known.size > 0 && !known.has(l)).sort();
    return {
      run,
      file: o.data,
      split,
      classifier: { kind: clf.kind, version: clf.version },
      unmixed: runCfg.profile.unmix && clf.confusion !== undefined,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      ...scores,
      ...(unmatched.length > 0 ? { unmatchedLabels: unmatched } : {}),
      population,
      userLevel,
    };
  } finally {
    await proc?.stop().catch((err: unknown) => log.warn({ err }, 'evaluate-profiles: stopping the processor failed'));
    await admin.deleteTopics([topics.comments, topics.profiles, topics.deadLetter]).catch((err: unknown) => log.warn({ err }, 'evaluate-profiles: could not delete its topics'));
    await admin.deleteGroups([run]).catch(() => {});
    await admin.disconnect();
    await parts
      .namespaces()
      .drop(run)
      .catch((err: unknown) => log.warn({ err }, 'evaluate-profiles: could not delete its Redis keys'));
    await parts.close();
  }
}

/** The pipeline's profiles and every aggregation, scored at user level (all users, and those with ≥ 3 comments). */
function scoreUserLevels(
  truth: readonly (UserLevelTruth & { comments: number })[],
  profiles: ReadonlyMap<string, { interests: Interests }>,
  comments: readonly { userId: string; comment: UserComment }[],
  ctx: Parameters<typeof compareAggregations>[2],
): { all: UserLevelTable; atLeast3: UserLevelTable } {
  const byUser = new Map<string, UserComment[]>();
  for (const { userId, comment } of comments) {
    const list = byUser.get(userId);
    if (list) list.push(comment);
    else byUser.set(userId, [comment]);
  }
  // the profile as a recommender reads it: its interests in order, and its first interest's confidence
  const profileAnswers = new Map<string, RankedAnswer>();
  for (const [userId, p] of profiles) {
    if (p.interests.length > 0) profileAnswers.set(userId, { ranked: p.interests.map((i) => i.label), confidence: p.interests[0]!.confidence });
  }
  const table = (users: readonly UserLevelTruth[]): UserLevelTable => ({
    users: users.length,
    profile: scoreUserLevel(users, profileAnswers),
    aggregations: compareAggregations(users, byUser, ctx),
  });
  return { all: table(truth), atLeast3: table(truth.filter((u) => u.comments >= 3)) };
}
