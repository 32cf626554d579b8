/**
 * Offset commits off the processing path. The runner used to await each chunk's offset commit (a
 * broker round trip) before its partition could take the next chunk and before kafkajs could fetch
 * again; at low load that round trip was a fixed part of every comment's latency.
 *
 * Commits here are requested (`request`) and sent in the background: one OffsetCommit request at a
 * time, carrying the newest requested offset of every partition that has one; requests made while
 * one is in flight are coalesced into the next. Offsets of a partition therefore reach the broker in
 * increasing order and never go backwards.
 *
 * Why it is safe: an offset is requested only after its chunk's effect is in Redis and its profile
 * events are acknowledged, exactly as before; what changes is that the commit may land a few
 * milliseconds later. A crash in that window replays records whose effect is already stored, and
 * the per-user applied offsets (src/store/lua/apply-profile-2.lua) skip them: no double count.
 * A failed commit is logged and left to the next one, which carries a later offset of the same
 * partition (or, after a rebalance, to the partition's new owner). `flush()` waits until every
 * requested offset has been sent: the runner calls it before leaving the group.
 */
export interface OffsetToCommit {
  topic: string;
  partition: number;
  /** The next offset to consume (last processed + 1), as kafkajs wants it. */
  offset: string;
}

export type CommitFn = (offsets: OffsetToCommit[]) => Promise<void>;

export class BackgroundCommitter {
  private readonly pending = new Map<string, OffsetToCommit>();
  private inFlight: Promise<void> | undefined;
  private failures = 0;

  constructor(
    private readonly commit: CommitFn,
    private readonly onError: (err: unknown, offsets: OffsetToCommit[]) => void,
  ) {}

  /** Ask for `offset` to be committed; returns at once. A later request for the same partition replaces an unsent one. */
  request(o: OffsetToCommit): void {
    const key = `${o.topic}\u0000${o.partition}`;
    const prev = this.pending.get(key);
    if (prev && BigInt(prev.offset) > BigInt(o.offset)) return; // never backwards
    this.pending.set(key, o);
    if (!this.inFlight) this.inFlight = this.drain();
  }

  /** Commits that failed since the start (each was superseded or left to the partition's next owner). */
  get failed(): number {
    return this.failures;
  }

  /** Resolves when nothing requested is left unsent (a failure counts as sent: it was logged). */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.size > 0) {
        const batch = [...this.pending.values()];
        this.pending.clear();
        try {
          await this.commit(batch);
        } catch (err) {
          this.failures++;
          this.onError(err, batch);
        }
      }
    } finally {
      this.inFlight = undefined;
    }
  }
}
