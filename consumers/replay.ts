/**
 * The replay consumer: the comment consumer (comments.ts) run over a bounded range of the comments
 * topic, into one namespace, with a consumer group of its own and nothing published. It starts
 * where its group left off (a resumed rebuild) or where it is told, stops at the end offsets it
 * found at start, and resolves `finished` once every partition got there.
 */
import type { Parts } from '../src/app/parts.js';
import { featuresTopic } from '../src/config/index.js';
import type { PartitionOffsets } from '../src/kafka/types.js';
import type { RunnerHooks } from '../src/kafka/types.js';
import type { BatchOutput } from '../src/pipeline/stage.js';
import { startProcessor, type Processor } from './comments.js';

export interface ReplayRange {
  namespace: string;
  groupId: string;
  /** 'earliest' or epoch ms: where a replay that has not started yet begins */
  from: 'earliest' | number;
  /** epoch ms: stop at the first offset at or after it (default: the end of each partition now) */
  to?: number | undefined;
  /** read the comments topic (default) or the feature log (kafka.topics.features) */
  source?: 'comments' | 'features';
}

export interface Replay {
  processor: Processor;
  /** per partition, where it started and the first offset not replayed */
  start: PartitionOffsets;
  stopAt: PartitionOffsets;
  /** records in the range */
  total: number;
  /** the group had committed offsets: this run carries on an earlier one */
  resumed: boolean;
  /** Date.now() once the range was planned (group offsets set), before the processor started */
  plannedAt: number;
  /** resolves when every partition reached its stop offset; rejects if the consumer stopped on an error first */
  finished: Promise<void>;
}

/** The range each partition is replayed over: resumed from the group's committed offsets, or set from `from`. */
async function plan(parts: Parts, range: ReplayRange): Promise<{ start: PartitionOffsets; stopAt: PartitionOffsets; resumed: boolean }> {
  const topic = range.source === 'features' ? featuresTopic(parts.cfg) : parts.cfg.kafka.topics.comments;
  const admin = parts.kafka.admin();
  await admin.connect();
  try {
    const ranges = await admin.topicOffsets(topic);
    const low: PartitionOffsets = new Map(ranges.map((r) => [r.partition, r.start]));
    const committed = await admin.committedOffsets(range.groupId, topic);
    const stopAt = range.to !== undefined ? await admin.offsetsAtTime(topic, range.to) : new Map(ranges.map((r) => [r.partition, r.end]));
    if ([...committed.values()].some((v) => v !== undefined)) {
      return { start: new Map([...stopAt.keys()].map((p) => [p, committed.get(p) ?? low.get(p) ?? 0])), stopAt, resumed: true };
    }
    const start = range.from === 'earliest' ? low : await admin.offsetsAtTime(topic, range.from);
    await admin.setGroupOffsets(range.groupId, topic, start);
    return { start, stopAt, resumed: false };
  } finally {
    await admin.disconnect();
  }
}

export interface ReplayHooks extends RunnerHooks<BatchOutput> {
  /** after each batch: records replayed so far, of `total` */
  onProgress?: (done: number, total: number) => void;
}

export async function startReplay(parts: Parts, range: ReplayRange, hooks: ReplayHooks = {}): Promise<Replay> {
  const { start, stopAt, resumed } = await plan(parts, range);
  const plannedAt = Date.now();
  const total = [...stopAt].reduce((n, [p, end]) => n + Math.max(0, end - (start.get(p) ?? 0)), 0);
  const done = new Map<number, number>();
  const { onProgress, ...runnerHooks } = hooks;
  const processor = await startProcessor(parts.cfg, parts.log, {
    parts,
    namespace: range.namespace,
    groupId: range.groupId,
    publish: false,
    maxBatchSize: parts.cfg.kafka.replayMaxBatchSize,
    ...(range.source === 'features' ? { source: 'features' as const } : {}),
    stopAt,
    startAt: start,
    hooks: {
      ...runnerHooks,
      onBatch: (out, info) => {
        done.set(info.partition, info.lastOffset + 1 - (start.get(info.partition) ?? 0));
        hooks.onBatch?.(out, info);
        onProgress?.(
          [...done.values()].reduce((a, b) => a + b, 0),
          total,
        );
      },
    },
  });
  const finished = Promise.race([processor.runner.finished, processor.runner.done.then((e) => Promise.reject(e ?? new Error('replay consumer stopped')))]);
  return { processor, start, stopAt, total, resumed, plannedAt, finished };
}

/** Forget a replay's consumer group (after a dry run). */
export async function dropReplayGroup(parts: Parts, groupId: string): Promise<void> {
  const admin = parts.kafka.admin();
  await admin.connect();
  await admin.deleteGroups([groupId]).catch(() => {});
  await admin.disconnect();
}
