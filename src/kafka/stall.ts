/**
 * Where the consumer loop is, and since when: each chunk in flight is in one stage (the continuity
 * check, the handler, the produce, the confirm, a wait before a retry), the offset commit in flight
 * holds back the ones after it, and kafkajs's fetch loop starts a fetch at least every maxWaitTime
 * while it runs. Every call Portrait makes has a timeout
 * or a retry that logs, so a chunk in one stage, or a loop with no fetch, for far longer than those
 * allow is a hang that would otherwise be silent: the runner says which stage it is, once.
 */

export type ChunkStage = 'continuity-check' | 'handler' | 'heartbeat' | 'produce' | 'confirm' | 'retry-wait';

export interface Stall {
  /** the partition whose chunk is stuck; undefined: the fetch loop */
  partition?: number;
  stage: ChunkStage | 'fetch' | 'commit';
  firstOffset?: number;
  forMs: number;
}

interface At {
  stage: ChunkStage;
  since: number;
  firstOffset: number;
  said: boolean;
}

export class StallWatch {
  private readonly at = new Map<number, At>();
  private lastFetch: number;
  private fetchSaid = false;
  private commit: { since: number; said: boolean } | undefined;
  /** when the group coordinator last answered (a heartbeat, a join), and whether a join is under way */
  private lastHeartbeat: number;
  private joiningSince: number | undefined;

  constructor(
    private readonly afterMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.lastFetch = clock();
    this.lastHeartbeat = clock();
  }

  /** The group coordinator answered: a heartbeat went through, or a join completed. */
  heartbeat(): void {
    this.lastHeartbeat = this.clock();
    this.joiningSince = undefined;
  }

  /** A join of the group began (its requests wait for every member, up to the rebalance timeout). */
  joining(): void {
    this.joiningSince = this.clock();
  }

  /**
   * How long no heartbeat has reached the group coordinator, when that is longer than `limitMs`
   * (the session timeout, after which a live coordinator has dropped this member anyway); undefined
   * otherwise, or while a join is under way for less than `joinLimitMs`.
   */
  coordinatorSilent(limitMs: number, joinLimitMs: number): number | undefined {
    const now = this.clock();
    if (this.joiningSince !== undefined && now - this.joiningSince < joinLimitMs) return undefined;
    const silent = now - Math.max(this.lastHeartbeat, this.joiningSince ?? 0);
    return silent > limitMs ? silent : undefined;
  }

  /** The chunk of `partition` starting at `firstOffset` entered `stage`. */
  enter(partition: number, stage: ChunkStage, firstOffset: number): void {
    const cur = this.at.get(partition);
    if (cur?.stage === stage && cur.firstOffset === firstOffset) return;
    this.at.set(partition, { stage, since: this.clock(), firstOffset, said: false });
  }

  /** The chunk of `partition` is done (processed, given up or rewound). */
  leave(partition: number): void {
    this.at.delete(partition);
  }

  /** kafkajs began a fetch. */
  fetched(): void {
    this.lastFetch = this.clock();
    this.fetchSaid = false;
  }

  /** An offset commit was sent (the background committer sends one at a time: later ones queue behind it). */
  commitStarted(): void {
    this.commit = { since: this.clock(), said: false };
  }

  /** The offset commit in flight settled. */
  commitEnded(): void {
    this.commit = undefined;
  }

  /** Stages held longer than `afterMs`, each said once; `loopExpected` false (stopping, out of the group) leaves the fetch loop alone. */
  overdue(loopExpected = true): Stall[] {
    const now = this.clock();
    const out: Stall[] = [];
    for (const [partition, a] of this.at) {
      if (a.said || now - a.since < this.afterMs) continue;
      a.said = true;
      out.push({ partition, stage: a.stage, firstOffset: a.firstOffset, forMs: now - a.since });
    }
    if (this.commit && !this.commit.said && now - this.commit.since >= this.afterMs) {
      this.commit.said = true;
      out.push({ stage: 'commit', forMs: now - this.commit.since });
    }
    // a fetcher waits for the chunks it handed out: only a loop with none in flight is stuck itself
    if (loopExpected && this.at.size === 0 && !this.fetchSaid && now - this.lastFetch >= this.afterMs) {
      this.fetchSaid = true;
      out.push({ stage: 'fetch', forMs: now - this.lastFetch });
    }
    return out;
  }
}
