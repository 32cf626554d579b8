/**
 * The consume → process → publish → commit loop. An offset is committed only after the batch's
 * effect is in Redis and its profile events and dead letters are acknowledged by the broker
 * (acks = all, idempotent producer); the commit itself is sent in the background (committer.ts), so
 * the partition's next chunk and the next fetch do not wait for its round trip. A retriable failure (Redis or Kafka down, the embedding worker
 * restarting) retries the same records, heartbeating meanwhile; anything else stops the consumer
 * without committing, so the records are processed again after a restart. A member that keeps
 * failing for `releaseAfterMs` (its Redis unreachable while the others' is not) leaves the group so
 * the others take over its partitions, and rejoins once its dependencies answer (release()).
 */
import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsumeLoop, HandlerOutput, InRecord, OutRecord, RecordHandler, RunnerHooks, RunnerOptions } from './types.js';

export type { ChunkGuard, FaultPoint, RunnerHooks, RunnerOptions } from './types.js';
import { kafkaErrorType } from './ask-again.js';
import { BackgroundCommitter } from './committer.js';
import { expectComplete, partitionRecorder, type Placements } from './complete-send.js';
import { type ChunkStage, StallWatch } from './stall.js';
import { classifyError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';

/**
 * Errors that mean the group is changing under this member (kafkajs's own `isRebalancing`, and a
 * member the coordinator forgot): kafkajs recovers from them only when they reach it (it finds the
 * coordinator again and rejoins), so a chunk that meets one is given up, uncommitted, not retried.
 * Retrying it kept a member whose group coordinator had died failing "This is not the correct
 * coordinator for this group" forever (reliability/replicated-kafka.test.ts).
 */
const REBALANCE_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);
export function isRebalanceError(err: unknown): boolean {
  return REBALANCE_ERRORS.has(kafkaErrorType(err));
}

/**
 * A chunk in one stage, or a consumer loop with no fetch, for this long is said at warn level
 * (stall.ts): well past every timeout of the calls a stage makes, so it is a hang, not a slow call.
 */
const STALL_WARN_MS = 60_000;

/**
 * kafkajs's rebalance timeout (its default: Portrait does not set it): how long a join of the group
 * may take before the silence of the coordinator counts (see rejoin()).
 */
const REBALANCE_TIMEOUT_MS = 60_000;

/**
 * How long past the session timeout the coordinator may stay silent before the runner joins again
 * (rejoin()). The consumer recovers from most coordinator losses by itself: kafkajs's retries, then
 * a crash the CRASH handler restarts (seen 9-18 s after a SIGKILL); the rejoin is for when it does
 * not, and must not stop that restart's join midway (kafkajs's stop() does not stop a join, which
 * would then run beside the rejoin's: two members in one process), so it waits well past it.
 */
const SILENCE_GRACE_MS = 30_000;

/** kafkajs's wait before a restart after a crash (its `retry.initialRetryTime` default), when the crash names none. */
const CRASH_RESTART_MS = 300;

/** How often assigned partitions are checked even when they bring no records (a lost state is rebuilt on idle partitions too). */
const SWEEP_INTERVAL_MS = 5000;

/** kafkajs headers as Portrait's: a header sent more than once keeps its first value. */
export function headersOf(h: IHeaders | undefined): Record<string, Buffer | string | undefined> {
  const out: Record<string, Buffer | string | undefined> = {};
  for (const [k, v] of Object.entries(h ?? {})) out[k] = Array.isArray(v) ? v[0] : v;
  return out;
}

function toMessage(r: OutRecord): Message {
  return { key: r.key, value: r.value, ...(r.headers ? { headers: r.headers } : {}), ...(r.partition !== undefined ? { partition: r.partition } : {}) };
}

/**
 * Partitions processed at the same time unless the caller says otherwise. One at a time leaves the
 * model idle while a chunk waits on Redis, the producer's acks and the offset commit, and makes
 * the partitions of one fetch wait in line (at half load, p99 latency was ~1 s with 1 and ~0.1-0.2 s
 * with 3; docs/performance.md). Six rather than three: the embedding worker takes the requests
 * queued while it was busy together, so more partitions in flight make fuller, better padded model
 * calls and leave it waiting less. Drain, same machine, alternating: 681 vs 570 and 734 vs 542
 * events/s, 1,577 vs 1,714 and 1,535 vs 1,626 ms of CPU per 1,000 events (6 vs 3; run F). Inference stays serial in the embedding worker, so this does not
 * oversubscribe the cores; order within a partition (and so per user) is unchanged.
 */
export const DEFAULT_PARTITIONS_CONCURRENTLY = 6;

/** Rounds of publishing again what the store moved on from, per chunk (confirm). */
const MAX_CONFIRM_ROUNDS = 5;

/** Stay well under the broker's default 1 MiB record-batch limit in one produce request. */
const MAX_SEND_BYTES = 768 * 1024;

const sizeOf = (r: OutRecord) => (r.value?.length ?? 0) + (r.key?.length ?? 0) + Object.entries(r.headers ?? {}).reduce((n, [k, v]) => n + k.length + v.length, 0);

/** Split outgoing records into produce requests of bounded size, keeping each topic's order. */
export function sendGroups(items: { topic: string; r: OutRecord }[]): { topic: string; messages: Message[] }[][] {
  const groups: { topic: string; messages: Message[] }[][] = [];
  let current = new Map<string, Message[]>();
  let bytes = 0;
  const flush = () => {
    if (current.size > 0) groups.push([...current].map(([topic, messages]) => ({ topic, messages })));
    current = new Map();
    bytes = 0;
  };
  for (const { topic, r } of items) {
    const n = sizeOf(r);
    if (bytes > 0 && bytes + n > MAX_SEND_BYTES) flush();
    const list = current.get(topic) ?? [];
    list.push(toMessage(r));
    current.set(topic, list);
    bytes += n;
  }
  flush();
  return groups;
}

export class CommentsRunner<O extends HandlerOutput = HandlerOutput> implements ConsumeLoop {
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private stopping = false;
  private chunksProcessed = 0;
  private committer: BackgroundCommitter | undefined;
  /** eachBatch calls running, and who waits for there to be none (stop) */
  private active = 0;
  private idle: Array<() => void> = [];
  /** Resolves when the consumer has stopped for good (stop() or a non-retriable failure). */
  readonly done: Promise<Error | undefined>;
  /** With `stopAt`: resolves when every partition has reached its stop offset. */
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;
  private readonly pendingPartitions = new Set<number>();
  /** partitions of the comments topic assigned to this member, and the next offset after the last chunk processed of each */
  private assigned = new Set<number>();
  private readonly positions = new Map<number, number>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private resolveDone!: (e: Error | undefined) => void;
  /** since when chunks have failed without one going through (undefined: the last one went through) */
  private failingSince: number | undefined;
  /** out of the group after failing too long, until the dependencies answer (release()) */
  private releasing = false;
  /** retriable crashes kafkajs announced: the runner restarts them itself (see `restartOnFailure` in start()) */
  private readonly restartable = new WeakSet<Error>();
  /** crashes kafkajs announced so far (a run that crashed in its join has not rejoined) */
  private crashes = 0;
  private runConsumer: (() => Promise<void>) | undefined;
  private readonly stalls = new StallWatch(STALL_WARN_MS);
  /** the partition each message sent went to (complete-send.ts) */
  private readonly placements: Placements = new WeakMap();
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly handler: RecordHandler<O>,
    private readonly opts: RunnerOptions,
    private readonly log: Logger,
    private readonly hooks: RunnerHooks<O> = {},
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    for (const [partition, end] of opts.stopAt ?? []) if (end > (opts.startAt?.get(partition) ?? 0)) this.pendingPartitions.add(partition);
    if (opts.stopAt && this.pendingPartitions.size === 0) this.resolveFinished();
  }

  /** Drop records at or past the stop offset; note partitions that are done. */
  private bounded(partition: number, msgs: KafkaMessage[]): KafkaMessage[] {
    const end = this.opts.stopAt?.get(partition);
    if (end === undefined) return this.opts.stopAt ? [] : msgs;
    return msgs.filter((m) => Number(m.offset) < end);
  }

  private markProgress(topic: string, partition: number, nextOffset: number): void {
    const end = this.opts.stopAt?.get(partition);
    if (end === undefined || nextOffset < end || !this.pendingPartitions.has(partition)) return;
    this.pendingPartitions.delete(partition);
    this.consumer?.pause([{ topic, partitions: [partition] }]);
    if (this.pendingPartitions.size === 0) this.resolveFinished();
  }

  async start(): Promise<void> {
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false, createPartitioner: partitionRecorder(this.placements) });
    await producer.connect();
    this.producer = producer;
    const consumer = this.kafka.consumer({
      groupId: this.opts.groupId,
      sessionTimeout: this.opts.sessionTimeoutMs,
      heartbeatInterval: this.opts.heartbeatIntervalMs,
      maxBytesPerPartition: this.opts.maxBytesPerPartition,
      // a bounded run (a replay) stops once every partition reached its end: a disconnect waits for
      // the fetch in flight, which an idle broker holds for up to this long (kafkajs default 5 s)
      ...(this.opts.stopAt ? { maxWaitTimeInMs: 250 } : {}),
      allowAutoTopicCreation: false,
      retry: {
        retries: 8,
        // kafkajs restarts a crashed consumer by itself, from a timer that bypasses run()'s "already
        // running" check: a runner this one had stopped could crash on its way out and be restarted
        // beside the new one (two members in one process, pushing each other out every session
        // timeout: docs/reliability.md F7). It never restarts now; the CRASH handler below restarts
        // through restartConsumer(), one restart at a time, and only run() starts a member.
        restartOnFailure: async (err: Error) => {
          this.restartable.add(err);
          return false;
        },
      },
    });
    this.consumer = consumer;
    const guard = this.hooks.guard;
    this.committer = new BackgroundCommitter(
      async (offsets) => {
        this.stalls.commitStarted();
        try {
          // the namespace's checkpoints first: the state's record of progress is never behind the group's
          if (guard)
            await guard
              .flush()
              .catch((err: unknown) =>
                this.log.warn({ err: (err as Error)?.message ?? String(err) }, 'could not write the namespace checkpoints before the offset commit; a new owner of the partition re-reads from the older checkpoint (no double count)'),
              );
          await consumer.commitOffsets(offsets);
        } finally {
          this.stalls.commitEnded();
        }
      },
      // superseded by the partition's next commit, or left to its next owner after a rebalance;
      // replayed records are skipped by the per-user applied offsets
      (err, offsets) => this.log.warn({ err: (err as Error)?.message ?? String(err), offsets }, 'offset commit failed; a later commit or the next owner covers it'),
    );
    consumer.on(consumer.events.CRASH, (e) => {
      const { error } = e.payload;
      this.crashes++;
      if (this.stopping) return;
      if (!this.restartable.has(error)) {
        this.log.error({ err: error }, 'consumer crashed and will not restart');
        this.resolveDone(error);
        return;
      }
      // kafkajs has stopped and disconnected the consumer: run it again after kafkajs's retry time.
      // A crash during a restart under way (a rejoin, a release) is left to that restart.
      const retryMs = (error as { retryTime?: number }).retryTime || CRASH_RESTART_MS;
      this.stalls.joining();
      void this.restartConsumer({
        leaving: () => this.log.warn({ err: error.message, retryMs, groupId: this.opts.groupId }, 'consumer crashed on a retriable error: joining the group again'),
        outside: () => sleep(retryMs),
        rejoined: () => this.log.info({ groupId: this.opts.groupId }, 'joined the consumer group again after a crash'),
        failure: 'could not restart the consumer after a crash',
      });
    });
    consumer.on(consumer.events.FETCH_START, () => this.stalls.fetched());
    consumer.on(consumer.events.HEARTBEAT, () => this.stalls.heartbeat());
    consumer.on(consumer.events.REBALANCING, () => this.stalls.joining());
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.stalls.heartbeat();
      this.assigned = new Set(e.payload.memberAssignment[this.opts.commentsTopic] ?? []);
      this.log.info({ groupId: e.payload.groupId, memberId: e.payload.memberId, topic: this.opts.commentsTopic, partitions: [...this.assigned].sort((a, b) => a - b) }, 'joined the consumer group');
      for (const p of [...this.positions.keys()]) if (!this.assigned.has(p)) this.positions.delete(p);
      void this.sweep();
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.opts.commentsTopic, fromBeginning: this.opts.fromBeginning });
    this.runConsumer = () =>
      consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently ?? DEFAULT_PARTITIONS_CONCURRENTLY,
        eachBatch: (payload) => this.eachBatch(payload),
      });
    this.stalls.joining();
    await this.runConsumer();
    this.stalls.fetched();
    this.stallTimer = setInterval(() => this.sayStalls(), 5000);
    this.stallTimer.unref();
    if (this.hooks.guard) {
      this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
      this.sweepTimer.unref();
    }
    this.log.info({ topic: this.opts.commentsTopic, groupId: this.opts.groupId }, 'processor consuming');
  }

  private async eachBatch(p: EachBatchPayload): Promise<void> {
    this.active++;
    try {
      await this.consumeBatch(p);
    } finally {
      if (--this.active === 0) for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private async consumeBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    const msgs = this.bounded(batch.partition, batch.messages);
    for (let i = 0; i < msgs.length; i += this.opts.maxBatchSize) {
      if (this.stopping || this.releasing || !p.isRunning() || p.isStale()) return;
      const chunk = msgs.slice(i, i + this.opts.maxBatchSize);
      const done = await this.processChunk(batch.topic, batch.partition, chunk, p);
      if (done === 'rewound') {
        await p.heartbeat();
        return;
      }
      if (!done) return;
      const last = chunk[chunk.length - 1]!;
      p.resolveOffset(last.offset);
      this.committer!.request({ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() });
      this.markProgress(batch.topic, batch.partition, Number(last.offset) + 1);
      this.stalls.enter(batch.partition, 'heartbeat', Number(chunk[0]!.offset));
      await p.heartbeat().finally(() => this.stalls.leave(batch.partition));
    }
    // records past the stop offset were left alone: this partition is done
    if (msgs.length < batch.messages.length) this.markProgress(batch.topic, batch.partition, Number.MAX_SAFE_INTEGER);
  }

  /** Say each chunk stuck in one stage, and a consumer loop that stopped fetching (StallWatch); rejoin when the coordinator fell silent. */
  private sayStalls(): void {
    if (!this.stopping && !this.releasing) {
      const silent = this.stalls.coordinatorSilent(this.opts.sessionTimeoutMs + SILENCE_GRACE_MS, REBALANCE_TIMEOUT_MS + 10_000);
      if (silent !== undefined) void this.rejoin(silent);
    }
    for (const s of this.stalls.overdue(!this.stopping && !this.releasing)) {
      if (s.stage === 'commit') this.log.warn({ forMs: s.forMs, groupId: this.opts.groupId }, 'an offset commit has been waiting for a long time: the commits after it wait behind it');
      else if (s.partition === undefined) this.log.warn({ forMs: s.forMs, groupId: this.opts.groupId, topic: this.opts.commentsTopic }, 'the consumer has started no fetch for a long time: a rebalance that long, or a hung consumer loop');
      else
        this.log.warn(
          { stage: s.stage, forMs: s.forMs, topic: this.opts.commentsTopic, partition: s.partition, firstOffset: s.firstOffset },
          `a chunk has been waiting in one stage (${s.stage}) for a long time: a hung call, or a dependency that neither answers nor fails`,
        );
    }
  }

  /** Let the guard check every assigned partition, records or not, and rewind those it says to. */
  private sweep(): Promise<void> {
    const guard = this.hooks.guard;
    if (!guard || this.stopping || this.sweeping || this.assigned.size === 0) return this.sweeping ?? Promise.resolve();
    const topic = this.opts.commentsTopic;
    const positions = new Map([...this.assigned].map((p) => [p, this.positions.get(p)]));
    this.sweeping = guard
      .sweep(topic, positions)
      .then((rewinds) => {
        for (const [partition, offset] of rewinds) {
          if (this.stopping || !this.assigned.has(partition)) continue;
          this.positions.delete(partition);
          this.consumer?.seek({ topic, partition, offset: String(offset) });
        }
      })
      .catch((err: unknown) => this.log.warn({ err: (err as Error)?.message ?? String(err) }, 'continuity check of the assigned partitions failed; retried in a few seconds'))
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  /** Process and publish one chunk, retrying retriable failures; false when the consumer stopped meanwhile, 'rewound' when the guard sent the partition back. */
  private async processChunk(topic: string, partition: number, chunk: KafkaMessage[], p: EachBatchPayload): Promise<boolean | 'rewound'> {
    try {
      return await this.tryChunk(topic, partition, chunk, p);
    } finally {
      this.stalls.leave(partition);
    }
  }

  private async tryChunk(topic: string, partition: number, chunk: KafkaMessage[], p: EachBatchPayload): Promise<boolean | 'rewound'> {
    const first = Number(chunk[0]!.offset);
    const stage = (s: ChunkStage) => this.stalls.enter(partition, s, first);
    const records: InRecord[] = chunk.map((m) => ({
      topic,
      partition,
      offset: Number(m.offset),
      key: m.key,
      value: m.value,
      headers: headersOf(m.headers),
      timestamp: Number(m.timestamp),
    }));
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now();
      try {
        const guard = this.hooks.guard;
        if (guard) {
          stage('continuity-check');
          const verdict = await guard.check(topic, partition, records[0]!.offset);
          if (!verdict.go) {
            this.positions.delete(partition);
            this.consumer!.seek({ topic, partition, offset: String(verdict.seekTo) });
            return 'rewound';
          }
          for (const r of records) r.topicId = verdict.topicId;
        }
        stage('handler');
        const out = await this.handler.process(records);
        const chunkNo = ++this.chunksProcessed;
        this.hooks.fault?.('after-store', { chunk: chunkNo, partition, firstOffset: records[0]!.offset, lastOffset: records[records.length - 1]!.offset });
        stage('heartbeat');
        await p.heartbeat();
        const tp = performance.now();
        stage('produce');
        const featuresTopic = this.opts.featuresTopic;
        const features = featuresTopic && out.features ? out.features.map((r) => ({ topic: featuresTopic, r })) : [];
        for (const topicMessages of this.opts.publish === false ? [] : sendGroups([...features, ...out.profiles.map((r) => ({ topic: this.opts.profilesTopic, r })), ...out.deadLetters.map((r) => ({ topic: this.opts.deadLetterTopic, r }))])) {
          await this.send(topicMessages);
        }
        stage('confirm');
        const republished = this.opts.publish === false ? 0 : await this.confirm(out.confirm, partition);
        this.hooks.fault?.('after-produce', { chunk: chunkNo, partition, firstOffset: records[0]!.offset, lastOffset: records[records.length - 1]!.offset });
        const t1 = performance.now();
        guard?.done(topic, partition, records[0]!.topicId, records[records.length - 1]!.offset + 1);
        this.positions.set(partition, records[records.length - 1]!.offset + 1);
        this.hooks.onBatch?.(out, { partition, lastOffset: records[records.length - 1]!.offset, ms: t1 - t0, topic, produceMs: t1 - tp, republished });
        this.failingSince = undefined;
        return true;
      } catch (err) {
        if (isRebalanceError(err)) {
          this.log.info({ err: (err as Error).message, topic, partition }, 'the group is changing: the chunk is left uncommitted to whoever the group assigns the partition next');
          return false;
        }
        if (!classifyError(err).retriable) throw err;
        this.hooks.onRetry?.(err, attempt);
        this.log.warn({ err: (err as Error).message, attempt, topic, partition }, 'batch failed; retrying the same records');
        // what leaving the group is for: this member cannot reach what the others can (its Redis).
        // Kafka failing is everyone's problem, and a member out of the group would only struggle
        // to rejoin: a Kafka failure starts the count again.
        if (classifyError(err).component === 'kafka') this.failingSince = undefined;
        else this.failingSince ??= Date.now();
        const release = this.opts.releaseAfterMs ?? 0;
        if (release > 0 && this.failingSince !== undefined && Date.now() - this.failingSince >= release) {
          void this.release();
          return false;
        }
        stage('retry-wait');
        const wait = Math.min(5000, 200 * 2 ** Math.min(attempt - 1, 5));
        const until = Date.now() + wait;
        while (Date.now() < until) {
          if (this.stopping || this.releasing || !p.isRunning() || p.isStale()) return false;
          await sleep(Math.min(500, until - Date.now()));
          // a rebalance (or a coordinator gone) reaches kafkajs only through its own loop: give up here
          if (
            await p.heartbeat().then(
              () => false,
              (e: unknown) => isRebalanceError(e),
            )
          )
            return false;
        }
      }
    }
  }

  /** One produce request, acks=all, acknowledged by every partition it wrote to (complete-send.ts). */
  private async send(topicMessages: { topic: string; messages: Message[] }[]): Promise<void> {
    expectComplete(topicMessages, await this.producer!.sendBatch({ acks: -1, topicMessages }), this.placements);
  }

  /**
   * Once a chunk's profiles are acknowledged: publish again what the handler says the store moved on
   * from (another instance wrote the same user meanwhile: src/pipeline/confirm.ts), and check those
   * in turn. Returns the records published again. After MAX_CONFIRM_ROUNDS the users still moving
   * are left to their writer, which checks its own publication the same way.
   */
  private async confirm(first: HandlerOutput['confirm'], partition: number): Promise<number> {
    let next = first;
    let republished = 0;
    for (let round = 1; next; round++) {
      if (round > MAX_CONFIRM_ROUNDS) {
        this.log.warn({ partition, rounds: MAX_CONFIRM_ROUNDS }, 'profiles kept changing while this processor confirmed its publication; their latest writer publishes them');
        break;
      }
      const again = await next();
      if (!again || again.profiles.length === 0) break;
      for (const topicMessages of sendGroups(again.profiles.map((r) => ({ topic: this.opts.profilesTopic, r })))) await this.send(topicMessages);
      republished += again.profiles.length;
      next = again.confirm;
    }
    return republished;
  }

  /**
   * No heartbeat has reached the group coordinator for longer than the session timeout: a live
   * coordinator has dropped this member already, and a dead one is never asked for again by
   * kafkajs, which keeps sending the offset fetches, commits and heartbeats to the node it found at
   * the join, silently fetching nothing (reliability/replicated-kafka.test.ts, the coordinator
   * SIGKILLed: docs/reliability.md F7). A new join finds the coordinator again.
   */
  private async rejoin(silentMs: number): Promise<void> {
    await this.restartConsumer({
      leaving: () =>
        this.log.warn(
          { silentMs, sessionTimeoutMs: this.opts.sessionTimeoutMs, groupId: this.opts.groupId },
          'no heartbeat has reached the consumer group coordinator for longer than the session timeout (the coordinator died or moved): joining the group again, which finds the coordinator',
        ),
      rejoined: () => this.log.info({ groupId: this.opts.groupId }, 'joined the consumer group again after its coordinator fell silent'),
      failure: 'could not rejoin the consumer group',
    });
  }

  /**
   * Out of the group after failing for releaseAfterMs: the rebalance hands this member's partitions
   * to the other members; once `healthy` says the dependencies answer (polled every second), it
   * joins again. Alone in the group, it only pauses.
   */
  private async release(): Promise<void> {
    let outFor = 0;
    await this.restartConsumer({
      leaving: () => {
        const failingMs = Date.now() - (this.failingSince ?? Date.now());
        this.log.warn({ failingMs, groupId: this.opts.groupId }, 'chunks have failed for too long (kafka.releaseAfterMs): leaving the consumer group so that the other members take over its partitions; rejoining once the dependencies answer');
        this.hooks.onRelease?.('released', failingMs);
      },
      outside: async () => {
        const healthy = this.hooks.healthy;
        if (!healthy) await sleep(this.opts.releaseAfterMs ?? 0);
        while (!this.stopping && healthy && !(await healthy().catch(() => false))) await sleep(1000);
        outFor = Date.now() - (this.failingSince ?? Date.now());
        this.failingSince = undefined;
      },
      rejoined: () => {
        this.log.info({ groupId: this.opts.groupId, outForMs: outFor }, 'the dependencies answer again: rejoined the consumer group');
        this.hooks.onRelease?.('rejoined', outFor);
      },
      failure: 'could not leave and rejoin the consumer group',
    });
  }

  /**
   * Stop the consumer (the chunks in flight give up, nothing of theirs committed; it leaves the
   * group), wait for `outside` (unless stopping meanwhile), then run it again: a new join. One at a
   * time (`releasing`), never while stopping; a failure to run again ends the runner. `releasing` is
   * cleared before the run and not touched after it: a crash of the join starts a restart of its
   * own (the CRASH handler), which this one must not mark as finished, nor announce as rejoined.
   */
  private async restartConsumer(how: { leaving: () => void; outside?: () => Promise<void>; rejoined: () => void; failure: string }): Promise<void> {
    if (this.releasing || this.stopping || !this.consumer || !this.runConsumer) return;
    this.releasing = true;
    how.leaving();
    const fail = (err: unknown) => {
      this.log.error({ err }, how.failure);
      this.resolveDone(err instanceof Error ? err : new Error(String(err)));
    };
    try {
      await this.consumer.stop();
      this.assigned.clear();
      this.positions.clear();
      await how.outside?.();
    } catch (err) {
      this.releasing = false;
      return fail(err);
    }
    this.releasing = false;
    if (this.stopping) return;
    this.stalls.joining();
    const crashes = this.crashes;
    try {
      await this.runConsumer();
      if (this.crashes === crashes) how.rejoined();
    } catch (err) {
      fail(err);
    }
  }

  /**
   * Finish the chunks in flight and commit them, then leave the group. New chunks are not started
   * once stopping (their records stay uncommitted for the next owner); kafkajs refuses commits once
   * its own stop has begun, so the committed offsets are flushed before it.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.stallTimer) clearInterval(this.stallTimer);
    await this.sweeping;
    while (this.active > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    await this.committer?.flush();
    await this.hooks.guard?.flush().catch((err: unknown) => this.log.warn({ err: (err as Error)?.message ?? String(err) }, 'could not write the namespace checkpoints on stop'));
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    this.resolveDone(undefined);
  }
}
