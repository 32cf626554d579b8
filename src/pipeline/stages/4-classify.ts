/** Stage 4: label probabilities for every comment of the batch from the classifier in force (src/classify/). */
import { isForget, type Embedded, type Labelled, type Stage } from '../stage.js';

export function classifyStage(): Stage<Embedded, Labelled> {
  return {
    name: 'classify',
    run(items, { classifier }) {
      const comments = items.filter((i) => !isForget(i)) as Exclude<Embedded, { event: { type: 'forget' } }>[];
      const probs = classifier.predict(
        comments.map((c) => c.vector),
        comments.map((c) => c.lang),
      );
      let next = 0;
      return { out: items.map((i) => (isForget(i) ? i : { rec: i.rec, event: i.event, terms: i.terms, lang: i.lang, vector: i.vector, probs: probs[next++]! })) };
    },
  };
}
