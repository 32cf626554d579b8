/**
 * `portrait replay`: rebuild profiles from the comments topic into a fresh namespace with its own
 * consumer group while the live group keeps running. Nothing is published: the rebuilt namespace
 * becomes visible with `portrait namespace activate`.
 */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { dropReplayGroup, startReplay } from '../../../consumers/replay.js';
import { Parts } from '../../app/parts.js';
import type { BatchOutput } from '../../pipeline/stage.js';
import { featuresTopic, loadConfig, type Config } from '../../config/index.js';
import { SharedCachedEmbedder } from '../../embed/shared-cache.js';
import type { Embedder } from '../../embed/types.js';
import { checkNamespace, missingHistory, type NamespaceSpan } from '../../store/namespaces.js';
import { createLogger } from '../../util/logger.js';
import { createProgress } from '../../util/progress.js';
import { intOption, parseTime } from '../options.js';
import { printJson, usage } from '../output.js';
import { diffProfiles, type ProfileDiff } from './profile-diff.js';

export interface ReplayOptions {
  from: string;
  to?: string;
  into?: string;
  dryRun?: boolean;
  diff?: number;
  force?: boolean;
  quiet?: boolean;
  /** 'features': the feature log first (no model call), then the comments after it; 'comments': the comments only. Default: features when kafka.featureLog is on */
  source?: 'features' | 'comments';
}

export interface ReplaySummary {
  namespace: string;
  groupId: string;
  source: 'features' | 'comments';
  /** with source features: the feature-log records read (and folded), and the seconds from its first batch to its end; `events` counts them with the comments after the log */
  fromLog?: { records: number; applied: number; seconds: number };
  resumed: boolean;
  events: number;
  applied: number;
  rejected: number;
  users: number;
  /** wall time, start-up (model load, consumer group join) included */
  seconds: number;
  eventsPerSecond: number;
  /** from the first batch's start to the end: the rebuild's throughput without the fixed start-up cost */
  processingSeconds: number;
  processingEventsPerSecond: number;
  /** chunks processed, and the time spent in them (summed over the partitions processed at once) */
  batches: number;
  batchSeconds: number;
  embedCache?: { hits: number; misses: number };
  /** per partition, the event times of the comments this run folded (ISO-8601; none: the partition brought nothing new) */
  partitions: { partition: number; folded: number; from?: string; to?: string }[];
  /**
   * The history the rebuilt namespace covers next to the live one's (oldest firstSeen, newest
   * lastSeen, profiles); `partial`: it covers less (namespace activate refuses it without
   * --accept-partial). Absent after a dry run (its namespace is dropped).
   */
  coverage?: { rebuilt: SpanJson; live: SpanJson; partial: boolean };
  diff?: ProfileDiff[];
}

export interface SpanJson {
  namespace: string;
  profiles: number;
  oldestFirstSeen: string | null;
  newestLastSeen: string | null;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
export function spanJson(s: NamespaceSpan): SpanJson {
  return { namespace: s.namespace, profiles: s.profiles, oldestFirstSeen: iso(s.oldestFirstSeen), newestLastSeen: iso(s.newestLastSeen) };
}

function timeOf(v: string, flag: string): number {
  const t = parseTime(v);
  if (!Number.isFinite(t)) throw usage(`${flag} must be 'earliest', an ISO-8601 time or epoch ms; got ${JSON.stringify(v)}`);
  return t;
}

/** Hits and misses of the shared Redis embedding cache in the embedder chain (model calls = misses). */
function sharedCacheStats(e: Embedder): { hits: number; misses: number } | undefined {
  for (let cur: Embedder | undefined = e; cur; cur = (cur as { inner?: Embedder }).inner) {
    if (cur instanceof SharedCachedEmbedder) return { hits: cur.stats.hits, misses: cur.stats.misses };
  }
  return undefined;
}

/** "namespace x: 12 profiles, comments from … to …" */
export function spanText(s: SpanJson): string {
  return `namespace ${s.namespace}: ${s.profiles} profiles${s.oldestFirstSeen ? `, comments from ${s.oldestFirstSeen} to ${s.newestLastSeen}` : ''}`;
}

/**
 * After a rebuild from the feature log: the replay group goes on in the comments topic where the log
 * ended in each partition (the highest source offset read + 1), or at the partition's earliest offset
 * when the log held nothing of it; never back from where the group already is.
 */
async function startCommentsAfterLog(parts: Parts, groupId: string, ends: ReadonlyMap<number, number>): Promise<void> {
  const topic = parts.cfg.kafka.topics.comments;
  const admin = parts.kafka.admin();
  await admin.connect();
  try {
    const [ranges, committed] = await Promise.all([admin.topicOffsets(topic), admin.committedOffsets(groupId, topic)]);
    const at = new Map(ranges.map((r) => [r.partition, Math.min(r.end, Math.max(r.start, ends.get(r.partition) ?? r.start, committed.get(r.partition) ?? 0))]));
    await admin.setGroupOffsets(groupId, topic, at);
  } finally {
    await admin.disconnect();
  }
}

export function replayGroupId(cfg: Pick<Config, 'kafka'>, ns: string): string {
  return `${cfg.kafka.groupId}-replay-${ns}`;
}

export async function runReplay(cfg: Readonly<Config>, o: ReplayOptions): Promise<ReplaySummary> {
  const log = createLogger(cfg.log.level === 'info' ? 'warn' : cfg.log.level);
  if (o.dryRun && o.into) throw usage('--dry-run builds a temporary namespace of its own; do not pass --into with it');
  if (!o.dryRun && !o.into) throw usage('--into <namespace> is required (or --dry-run)');
  const ns = checkNamespace(o.dryRun ? `dryrun-${randomBytes(4).toString('hex')}` : o.into!);
  const parts = new Parts(cfg, log, { redis: { maxRetriesPerRequest: 2 }, kafkaClientIdSuffix: '-replay' });
  try {
    const namespaces = parts.namespaces();
    const active = await namespaces.active();
    if (ns === active && !o.force) throw usage(`namespace ${ns} is the active one; replay into a fresh namespace and activate it (or pass --force)`);
    const groupId = replayGroupId(cfg, ns);
    const source = o.source ?? (cfg.kafka.featureLog ? 'features' : 'comments');
    if (source === 'features' && (o.from !== 'earliest' || o.to !== undefined)) throw usage('a rebuild from the feature log reads it whole: give --from earliest without --to, or --source comments');
    // an earlier run of this rebuild that got past the log (its group has offsets on the comments topic) resumes on the comments
    let logDone = false;
    if (source === 'features') {
      const admin = parts.kafka.admin();
      await admin.connect();
      try {
        if (!(await admin.listTopics()).includes(featuresTopic(cfg))) throw usage(`there is no feature log (topic ${featuresTopic(cfg)}): a processor with kafka.featureLog on creates it; rebuild from the comments with --source comments`);
        logDone = [...(await admin.committedOffsets(groupId, cfg.kafka.topics.comments)).values()].some((v) => v !== undefined);
      } finally {
        await admin.disconnect();
      }
    }
    let applied = 0;
    let rejected = 0;
    const users = new Set<string>();
    let progress: ReturnType<typeof createProgress> | undefined;
    let firstBatchAt: number | undefined;
    let batches = 0;
    let batchMs = 0;
    const spans = new Map<number, { folded: number; from: number; to: number }>();
    // records read (the offset span over-counts a compacted feature log: the cleaner leaves gaps)
    let read = 0;
    const hooks = {
      onBatch: (out: BatchOutput, info: { partition: number; ms: number }) => {
        firstBatchAt ??= Date.now() - info.ms;
        batches++;
        batchMs += info.ms;
        read += out.stats.records;
        applied += out.stats.applied;
        const s = spans.get(info.partition) ?? { folded: 0, from: Number.POSITIVE_INFINITY, to: Number.NEGATIVE_INFINITY };
        for (const ts of out.folded.eventTs) {
          s.folded++;
          if (ts < s.from) s.from = ts;
          if (ts > s.to) s.to = ts;
        }
        spans.set(info.partition, s);
        rejected += Object.values(out.stats.rejected).reduce((a, b) => a + b, 0);
        for (const r of out.profiles) if (typeof r.key === 'string') users.add(r.key);
      },
      onProgress: (done: number) => progress?.update(done),
    };
    const pass = async (from: 'earliest' | number, src: 'features' | 'comments') => {
      const r = await startReplay(parts, { namespace: ns, groupId, from, to: o.to ? timeOf(o.to, '--to') : undefined, source: src }, hooks);
      progress = createProgress({ total: r.total, label: `replay${src === 'features' ? ' (feature log)' : ''} → ${ns}`, enabled: !o.quiet });
      try {
        await r.finished;
      } finally {
        progress.stop();
      }
      return r;
    };
    let fromLog: ReplaySummary['fromLog'];
    let logPass: Awaited<ReturnType<typeof startReplay>> | undefined;
    if (source === 'features' && !logDone) {
      // the log first; then the comments topic from where the log ends (comments the log does not hold: not yet
      // written to it, forgets, rejected records, or all of a partition the log has nothing of)
      logPass = await pass('earliest', 'features');
      fromLog = { records: read, applied, seconds: Math.round((Date.now() - (firstBatchAt ?? logPass.plannedAt)) / 10) / 100 };
      const ends = logPass.processor.featureFlow!.sourceEnds;
      await logPass.processor.stop();
      await startCommentsAfterLog(parts, groupId, ends);
    }
    const replay = await pass(o.from === 'earliest' ? 'earliest' : timeOf(o.from, '--from'), 'comments');
    const { processor: proc } = replay;
    const total = read;
    const resumed = (logPass ?? replay).resumed;
    // timed from the processor's start, as before the replay consumer existed (setting the group's offsets joins the group first)
    const t0 = (logPass ?? replay).plannedAt;
    const t1 = Date.now();
    const seconds = (t1 - t0) / 1000;
    const processing = (t1 - (firstBatchAt ?? t0)) / 1000;
    const cache = sharedCacheStats(proc.embedder);
    const summary: ReplaySummary = {
      namespace: ns,
      groupId,
      source,
      ...(fromLog ? { fromLog } : {}),
      resumed,
      events: total,
      applied,
      rejected,
      users: users.size,
      seconds: Math.round(seconds * 100) / 100,
      eventsPerSecond: Math.round((total / Math.max(seconds, 1e-3)) * 10) / 10,
      processingSeconds: Math.round(processing * 100) / 100,
      processingEventsPerSecond: Math.round((total / Math.max(processing, 1e-3)) * 10) / 10,
      batches,
      batchSeconds: Math.round(batchMs) / 1000,
      ...(cache ? { embedCache: { hits: cache.hits, misses: cache.misses } } : {}),
      partitions: [...replay.stopAt.keys()]
        .sort((a, b) => a - b)
        .map((partition) => {
          const s = spans.get(partition);
          return s && s.folded > 0 ? { partition, folded: s.folded, from: new Date(s.from).toISOString(), to: new Date(s.to).toISOString() } : { partition, folded: 0 };
        }),
    };
    if (!o.dryRun) {
      const [rebuilt, live] = await Promise.all([namespaces.span(ns), namespaces.span(active)]);
      summary.coverage = { rebuilt: spanJson(rebuilt), live: spanJson(live), partial: missingHistory(rebuilt, live) !== undefined };
    }
    if (o.dryRun) {
      const sample = [...users].sort().slice(0, o.diff ?? 5);
      const live = await parts.store(active);
      summary.diff = await Promise.all(sample.map(async (u) => diffProfiles(u, await live.getProfile(u), await proc.store.getProfile(u))));
    }
    await proc.stop();
    if (o.dryRun) {
      await namespaces.drop(ns);
      await dropReplayGroup(parts, groupId);
    }
    return summary;
  } finally {
    await parts.close();
  }
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('rebuild profiles from the comments topic into a fresh namespace (own consumer group, nothing published) while the live processor keeps running')
    .requiredOption('--from <earliest|time>', "where to start: 'earliest' or an ISO-8601 time")
    .option('--to <time>', 'stop at this ISO-8601 time (default: the end of the topic when the replay starts)')
    .option('--into <namespace>', 'the namespace to build (then: portrait namespace activate <namespace>)')
    .option('--dry-run', 'build into a temporary namespace, print how sample profiles would change, drop it')
    .option('--diff <n>', 'with --dry-run: how many sample profiles to compare', intOption('--diff', 0), 5)
    .option('--force', 'allow replaying into the active namespace (idempotent, but not a rebuild)')
    .option(
      '--source <features|comments>',
      'features: the feature log (no model call, history beyond the comments topic retention), then the comments after it; comments: the comments topic only (a new embedding model needs the text). Default: features when kafka.featureLog is on',
    )
    .option('--json', 'print the summary as JSON')
    .action(async (opts: { from: string; to?: string; into?: string; dryRun?: boolean; diff: number; force?: boolean; json?: boolean; source?: string }) => {
      const cfg = loadConfig();
      if (opts.source !== undefined && opts.source !== 'features' && opts.source !== 'comments') throw usage(`--source must be features or comments, got ${JSON.stringify(opts.source)}`);
      const { source, ...rest } = opts;
      const s = await runReplay(cfg, { ...rest, quiet: opts.json ?? false, ...(source ? { source } : {}) });
      if (opts.json) return printJson(s);
      process.stdout.write(
        `${s.resumed ? 'resumed and ' : ''}replayed ${s.events} events${s.fromLog ? ` (${s.fromLog.records} from the feature log, ${s.events - s.fromLog.records} from the comments after it)` : ''} into namespace ${s.namespace} in ${s.seconds} s (${s.eventsPerSecond} events/s): ${s.applied} applied, ${s.rejected} rejected, ${s.users} users` +
          (s.embedCache ? `; embedding cache ${s.embedCache.hits} hits / ${s.embedCache.misses} misses` : '') +
          '\n',
      );
      for (const p of s.partitions) process.stdout.write(`  partition ${p.partition}: ${p.folded > 0 ? `${p.folded} comments folded, event times ${p.from} → ${p.to}` : 'nothing new folded'}\n`);
      if (s.coverage) {
        const c = s.coverage;
        process.stdout.write(`  ${spanText(c.rebuilt)}\n  live ${spanText(c.live)}\n`);
        if (c.partial) {
          process.stdout.write(
            `warning: namespace ${s.namespace} covers less history than the live namespace ${c.live.namespace} (oldest comment ${c.rebuilt.oldestFirstSeen ?? 'none'} against ${c.live.oldestFirstSeen}): the comments topic no longer holds the older comments (docs/operations.md, "Retention"). portrait namespace activate refuses it unless given --accept-partial\n`,
          );
        }
      }
      for (const d of s.diff ?? []) process.stdout.write(`${d.summary}\n`);
      if (!opts.dryRun) process.stdout.write(`next: portrait namespace activate ${s.namespace}${s.coverage?.partial ? ' --accept-partial' : ''}\n`);
    });
}
