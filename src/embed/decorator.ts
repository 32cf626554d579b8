import type { Embedder } from './types.js';

/** An embedder in front of another (a cache): its identity, readiness and closing are the inner one's; only `embed` differs. */
export abstract class EmbedderDecorator implements Embedder {
  constructor(readonly inner: Embedder) {}

  get id(): string {
    return this.inner.id;
  }

  get dim(): number {
    return this.inner.dim;
  }

  ready(): Promise<void> {
    return this.inner.ready();
  }

  abstract embed(texts: readonly string[]): Promise<Float32Array[]>;

  close(): Promise<void> {
    return this.inner.close();
  }
}
