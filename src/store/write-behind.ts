/**
 * Redis writes nobody waits for (the shared embedding cache's entries), held back so that they
 * ride in the round trip of the next write somebody does wait for: the profile store flushes the
 * queue in the same tick as its compare-and-set, and ioredis's auto-pipelining sends both in one
 * socket write. A write queued when no profile write follows (a batch of duplicates only, a
 * command that embeds without storing) goes out after `maxDelayMs` on its own.
 *
 * Nothing here is acknowledged to anyone: a write lost in a crash is a cache miss later.
 */
export class WriteBehind {
  private queue: Array<() => Promise<unknown>> = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly maxDelayMs = 100) {}

  /** Queue a write; its promise settles when the write has been sent and answered. */
  add<T>(write: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => write().then(resolve, reject));
      this.timer ??= setTimeout(() => this.flush(), this.maxDelayMs);
      this.timer.unref?.();
    });
  }

  /** Send everything queued, now (synchronously issues the commands, so they join this tick's pipeline). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const q = this.queue;
    if (q.length === 0) return;
    this.queue = [];
    for (const w of q) void w();
  }

  get pending(): number {
    return this.queue.length;
  }
}
