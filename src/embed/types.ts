/** Turns texts into L2-normalised vectors. Implementations may batch, cache and run off-thread. */
export interface Embedder {
  /** Stable identity of the model, e.g. "BAAI/bge-small-zh-v1.5@q8/cls": part of cache keys and of profiles. */
  readonly id: string;
  /** Vector dimension; known after `ready()`. */
  readonly dim: number;
  ready(): Promise<void>;
  /** One vector per text, in input order. Texts must already be preprocessed (lowercased, redacted). */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

export interface EmbedderOptions {
  model: string;
  modelDir: string;
  dtype: string;
  pooling: 'cls' | 'mean';
  allowRemote: boolean;
  threads: number;
  batchSize: number;
  /** nice value (0-19) of the inference thread and its onnxruntime pool; 0 = normal priority. Default 5. */
  nice?: number;
}

/** Messages between the main thread and the inference worker. */
export type WorkerRequest = { type: 'init'; options: EmbedderOptions } | { type: 'embed'; id: number; texts: string[] };

export type WorkerResponse = { type: 'ready'; dim: number } | { type: 'result'; id: number; dim: number; data: Float32Array } | { type: 'error'; id: number | null; message: string; code?: string };
