/**
 * Consumer lag per partition: every ~5 s, the topic's end offsets (`KafkaAdmin.topicOffsets`) minus
 * the group's committed offsets (`KafkaAdmin.committedOffsets`). A partition the group never
 * committed counts from its low watermark (the processor starts from the beginning).
 */
import type { KafkaAdmin } from '../kafka/types.js';
import type { PartitionLag } from './snapshot.js';

export interface TopicEnds {
  partition: number;
  high: string | number;
  low: string | number;
}

export interface CommittedOffset {
  partition: number;
  /** negative: none committed */
  offset: string | number;
}

/** Pure: lag per partition, sorted by partition. */
export function computeLag(topic: string, ends: readonly TopicEnds[], committed: readonly CommittedOffset[]): PartitionLag[] {
  const byPartition = new Map(committed.map((c) => [c.partition, Number(c.offset)]));
  return ends
    .map((e) => {
      const end = Number(e.high);
      const c = byPartition.get(e.partition) ?? -1;
      const from = c >= 0 ? c : Number(e.low);
      return { topic, partition: e.partition, end, committed: c, lag: Math.max(0, end - from) };
    })
    .sort((a, b) => a.partition - b.partition);
}

export type LagAdmin = Pick<KafkaAdmin, 'topicOffsets' | 'committedOffsets'>;

/** One lag measurement of a group over some topics. */
export async function fetchLag(admin: LagAdmin, groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
  const committed = await Promise.all(topics.map((topic) => admin.committedOffsets(groupId, topic)));
  const out: PartitionLag[] = [];
  for (const [i, topic] of topics.entries()) {
    const ends = (await admin.topicOffsets(topic)).map((o) => ({ partition: o.partition, high: o.end, low: o.start }));
    const c = [...(committed[i] ?? [])].map(([partition, offset]) => ({ partition, offset: offset ?? -1 }));
    out.push(...computeLag(topic, ends, c));
  }
  return out;
}

/** A group's lag on one topic summed over the partitions, and the sum of the end offsets (the records ever written). */
export async function groupLag(admin: LagAdmin, groupId: string, topic: string): Promise<{ lag: number; end: number }> {
  const rows = await fetchLag(admin, groupId, [topic]);
  return { lag: rows.reduce((n, r) => n + r.lag, 0), end: rows.reduce((n, r) => n + r.end, 0) };
}

export interface LagPollerOptions {
  groupId: string;
  topics: readonly string[];
  intervalMs?: number;
  onLag: (rows: PartitionLag[]) => void;
  onError?: (err: unknown) => void;
}

/** Polls the lag in the background (the timer does not keep the process alive); one poll at a time. */
export class LagPoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  latest: PartitionLag[] | undefined;

  constructor(
    private readonly admin: LagAdmin,
    private readonly opts: LagPollerOptions,
  ) {}

  /** Poll now, then every intervalMs. The admin must be connected. */
  start(): void {
    if (this.timer) return;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.opts.intervalMs ?? 5000);
    this.timer.unref();
  }

  poll(): Promise<void> {
    this.running ??= (async () => {
      try {
        this.latest = await fetchLag(this.admin, this.opts.groupId, this.opts.topics);
        this.opts.onLag(this.latest);
      } catch (err) {
        this.opts.onError?.(err);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Stop polling and wait for a poll in flight (the admin stays connected: its owner closes it). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
