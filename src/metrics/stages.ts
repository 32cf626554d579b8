/**
 * The stages a batch's wall time is split into, for the per-stage latency histograms (the
 * processor's `BatchOutput.timings`, plus the runner's produce time).
 */
/** decode = decode + validate + preprocess (the processor's `timings.decode`); produce = sendBatch until acked */
export const STAGES = ['decode', 'embed', 'classify', 'store', 'produce'] as const;
export type Stage = (typeof STAGES)[number];
export type StageDurations = Partial<Record<Stage, number>>;
