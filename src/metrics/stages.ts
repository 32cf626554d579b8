/**
 * The stages a batch's wall time is split into, for the per-stage latency histograms: the comment
 * flow's stages (src/pipeline/stage.ts StageName, the flow's `BatchOutput.timings`), then produce
 * (sendBatch until acked, timed by the runner).
 */
export const STAGES = ['decode', 'preprocess', 'embed', 'classify', 'store', 'produce'] as const;
export type Stage = (typeof STAGES)[number];
export type StageDurations = Partial<Record<Stage, number>>;
