/** What a training run is asked for (shared by the procedures in train.ts and the cross-validation workers of cv-pool.ts). */
import type { ForestOptions } from './forest-train.js';
import type { LinearOptions } from './linear-train.js';

export const TRAIN_KINDS = ['rf', 'linear', 'auto'] as const;
export type TrainKind = (typeof TRAIN_KINDS)[number];
export type ModelKind = Exclude<TrainKind, 'auto'>;

export interface TrainOptions {
  kind: TrainKind;
  embedder: { id: string; dim: number };
  seed: number;
  /** Folds for 'auto' when it cross-validates the forest too (default 3). */
  folds?: number;
  forest?: Partial<ForestOptions>;
  linear?: Partial<LinearOptions>;
  /** Finer label per row, for the linear head (see linear-train.ts). */
  fine?: readonly string[] | undefined;
  createdAt?: string;
  /** Progress messages ("cv rf fold 2/3", ...). */
  onProgress?: (message: string) => void;
  /** Progress counters of the long phases (cross-validation folds, the linear head's path, calibration and refit), e.g. bars on stderr. */
  progress?: PhaseProgress;
}

/** Called when a phase starts, with its most units of work; returns the phase's counter. */
export type PhaseProgress = (phase: string, total: number) => { update(done: number): void; stop(): void };
