/**
 * Per-stage wall time of one batch, for the per-stage latency histograms. Pure (no prom-client), so
 * the processor and the runner can use it without depending on the metrics registry:
 *
 *   const t = new StageTimer();
 *   ...decode + preprocess...   t.lap('decode');
 *   ...embed...                 t.lap('embed');
 *   ...classify...              t.lap('classify');
 *   ...load, fold, CAS write... t.lap('store');
 *   return { ..., timings: t.ms };
 */
/** the comment flow's stages (src/pipeline/stage.ts StageName), then produce = sendBatch until acked */
export const STAGES = ['decode', 'preprocess', 'embed', 'classify', 'store', 'produce'] as const;
export type Stage = (typeof STAGES)[number];
export type StageDurations = Partial<Record<Stage, number>>;

export class StageTimer {
  /** milliseconds per stage (laps of the same stage add up) */
  readonly ms: StageDurations = {};
  private last: number;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.last = now();
  }

  /** Attribute the time since the previous lap (or since construction or `skip`) to `stage`; returns it. */
  lap(stage: Stage): number {
    const t = this.now();
    const d = Math.max(0, t - this.last);
    this.ms[stage] = (this.ms[stage] ?? 0) + d;
    this.last = t;
    return d;
  }

  /** Restart the clock without attributing the time since the previous lap to any stage. */
  skip(): void {
    this.last = this.now();
  }

  /** Run `fn` and attribute its duration to `stage` (the time before it is skipped, not attributed). */
  async time<T>(stage: Stage, fn: () => Promise<T> | T): Promise<T> {
    this.skip();
    try {
      return await fn();
    } finally {
      this.lap(stage);
    }
  }
}
