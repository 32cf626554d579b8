/** Stage 2: a comment's text normalised, PII redacted, lowercased, cut into chunks of the model's size and segmented into terms (src/text/); an empty result is rejected. */
import { isRejection, preprocess, type PreprocessOptions } from '../../text/index.js';
import type { Rejection } from '../../util/errors.js';
import { isForget, type Decoded, type InRecord, type Prepared, type Stage } from '../stage.js';

export function preprocessStage(opts: PreprocessOptions): Stage<Decoded, Prepared> {
  return {
    name: 'preprocess',
    run(items) {
      const out: Prepared[] = [];
      const rejected: { rec: InRecord; rejection: Rejection }[] = [];
      for (const item of items) {
        if (isForget(item)) {
          out.push(item);
          continue;
        }
        const p = preprocess(item.event.text, opts);
        if (isRejection(p)) rejected.push({ rec: item.rec, rejection: p });
        else out.push({ ...item, text: p.text, chunks: p.chunks, terms: p.tokens, lang: p.lang });
      }
      return { out, rejected };
    },
  };
}
