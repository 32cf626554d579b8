/**
 * The bench's comments: real texts from the shared data sets, Chinese and English, never repeated
 * within a run (so the embedding caches stay cold), in a fixed deterministic order.
 *
 * Order: 1 Chinese text for every 3 English ones. The Chinese texts are sib200_zh (news sentences)
 * and csl_titles_zh (paper titles), the English ones clinc150_en (assistant queries) and sib200_en,
 * each pair spread evenly over the stream, so any prefix of the stream has the same mix (and the
 * ceiling, measured on a prefix, sees what the pipeline sees). Texts are de-duplicated on what the
 * embedder sees (the preprocessed text), so a cache hit cannot come from a duplicate in the data.
 */
import { readLabelledRows } from '../../src/sim/jsonl.js';
import { isRejection, preprocess } from '../../src/text/index.js';

export interface BenchText {
  id: string;
  text: string;
  label: string;
  lang: 'zh' | 'en';
  /** what the pipeline embeds (normalised, redacted, lowercased, capped) */
  prepared: string;
}

const ZH_FILES = ['data/sib200_zh.jsonl', 'data/csl_titles_zh.jsonl'];
const EN_FILES = ['data/clinc150_en.jsonl', 'data/sib200_en.jsonl'];
/** text.maxChars of config/default.yaml; every bench text is shorter (the longest: 368), so `prepared` is its one chunk */
const MAX_CHARS = 512;

function pool(files: string[], lang: 'zh' | 'en', seen: Set<string>): BenchText[] {
  const lists = files.map((f) => {
    const out: BenchText[] = [];
    for (const r of readLabelledRows(f)) {
      const p = preprocess(r.text, { maxChars: MAX_CHARS });
      if (isRejection(p) || seen.has(p.text)) continue;
      seen.add(p.text);
      out.push({ id: r.id, text: r.text, label: r.label, lang, prepared: p.text });
    }
    return out;
  });
  // spread every file evenly over the pool (item i of a file of n sits at (i + 0.5) / n)
  return lists
    .flatMap((l, f) => l.map((t, i) => ({ t, key: (i + 0.5) / l.length, f })))
    .sort((a, b) => a.key - b.key || a.f - b.f)
    .map((x) => x.t);
}

let cached: BenchText[] | undefined;

/** Every unique bench text, in stream order (about 14,000). */
export function corpus(): BenchText[] {
  if (cached) return cached;
  const seen = new Set<string>();
  const zh = pool(ZH_FILES, 'zh', seen);
  const en = pool(EN_FILES, 'en', seen);
  const out: BenchText[] = [];
  let z = 0;
  let e = 0;
  while (z < zh.length && e < en.length) {
    out.push(zh[z++]!);
    for (let k = 0; k < 3 && e < en.length; k++) out.push(en[e++]!);
  }
  cached = out;
  return out;
}

/** The first n texts of the stream (throws when the data sets hold fewer unique texts). */
export function texts(n: number, offset = 0): BenchText[] {
  const all = corpus();
  if (offset + n > all.length) throw new Error(`the data sets hold ${all.length} unique texts; asked for ${n} from ${offset}`);
  return all.slice(offset, offset + n);
}

/** Labelled rows disjoint from the stream's first `skip` texts (classifier training for the baseline). */
export function trainingRows(n: number, skipFromEnd = true): BenchText[] {
  const all = corpus();
  return skipFromEnd ? all.slice(all.length - n) : all.slice(0, n);
}
