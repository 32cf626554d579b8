/**
 * Stage 3: every comment of the batch embedded in one call (batched, off the main thread, cached:
 * src/embed/). A long comment comes as several chunks; they go into the same call as the rest of
 * the batch, and their vectors are pooled into the comment's one (src/embed/pool.ts).
 */
import { embedChunked } from '../../embed/pool.js';
import type { Embedder } from '../../embed/types.js';
import { isForget, type Embedded, type Prepared, type Stage } from '../stage.js';

export function embedStage(embedder: Embedder): Stage<Prepared, Embedded> {
  return {
    name: 'embed',
    async run(items) {
      const comments = items.filter((i) => !isForget(i)) as Exclude<Prepared, { event: { type: 'forget' } }>[];
      const vectors = await embedChunked(
        embedder,
        comments.map((c) => c.chunks),
      );
      let next = 0;
      return { out: items.map((i) => (isForget(i) ? i : { ...i, vector: vectors[next++]! })) as Embedded[] };
    },
  };
}
