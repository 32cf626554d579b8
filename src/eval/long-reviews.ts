/**
 * Long "reviews" for measuring what chunking gains (docs/text.md, "Long comments"): built from
 * labelled sentences (SIB-200 test rows) so that the first text.maxChars characters carry little of
 * the topic, as in a real long review that opens with an introduction.
 *
 * Each review has a topic label L and a target length drawn uniformly from [minChars, maxChars].
 * It starts with an opening of at least `openingChars` characters, then sentences of label L (drawn
 * without replacement until the label's pool is used up, then reshuffled) until the target length.
 * Kinds of opening:
 *   filler — generic sentences written here (below), about nothing in particular, the way many
 *            reviews start ("I have been meaning to write this for a while.");
 *   other  — sentences of the other labels, each drawn from a label other than L (a digression);
 *   none   — no opening: a control, where truncation already sees the topic.
 * The label is L, which holds the majority of the characters in every review (checked). Pure and
 * deterministic: the same rows and seed give the same reviews.
 */
import { createRng, type Rng } from '../sim/random.js';

export type OpeningKind = 'filler' | 'other' | 'none';

export interface SourceRow {
  id: string;
  text: string;
  label: string;
}

export interface LongReview {
  id: string;
  text: string;
  label: string;
  /** the opening kind; also the row's split, so `--split filler` scores one kind */
  split: OpeningKind;
  /** characters of the opening (0 for none) */
  openingChars: number;
  /** ids of the source sentences, in order (the opening's filler sentences as filler/<n>) */
  sources: string[];
}

export interface LongReviewOptions {
  lang: 'en' | 'zh';
  seed: number;
  /** reviews per label and opening kind */
  perLabel: number;
  kinds: readonly OpeningKind[];
  minChars: number;
  maxChars: number;
  /** the opening is at least this long (past text.maxChars, 512, so a cut sees nothing else) */
  openingChars: number;
}

export const LONG_REVIEW_DEFAULTS = { seed: 19, perLabel: 20, kinds: ['filler', 'other', 'none'], minChars: 1500, maxChars: 4000, openingChars: 560 } as const;

/** Generic opening sentences: no topic of their own. Written for this project. */
export const FILLER: Record<'en' | 'zh', readonly string[]> = {
  en: [
    'I have been meaning to write this for a while, so here it is.',
    'This is going to be a long one, so bear with me.',
    'First of all, a little background before I get to the point.',
    'I usually do not write long posts like this one.',
    'A friend asked me what I thought, and I promised to put it in writing.',
    'I read a lot of other opinions before writing my own.',
    'Some of this may sound obvious, but I want to be thorough.',
    'I will try to be fair and mention both the good and the bad.',
    'Everything below is my own opinion and nobody asked me to write it.',
    'It took me some time to collect my thoughts.',
    'I wrote a first version last week and then rewrote most of it.',
    'Let me start at the beginning and go through it step by step.',
    'My expectations were neither high nor low when I started.',
    'I am writing this on a quiet evening with a cup of tea.',
    'If you only want the short version, skip to the end.',
    'To be honest, I was not sure whether to share this at all.',
    'I have tried to keep it organised, though it got longer than planned.',
    'Thanks in advance to anyone who reads all of this.',
    'Here are my notes, more or less in the order I wrote them.',
    'Please keep in mind that everyone sees these things differently.',
  ],
  zh: [
    '这篇想写很久了，今天终于有时间坐下来写。',
    '先说明一下，这会是一篇比较长的文字，请耐心看完。',
    '在进入正题之前，我先交代一下背景。',
    '我平时很少写这么长的东西。',
    '有朋友问我的看法，我答应写下来和大家分享。',
    '写之前我也看了不少别人的意见。',
    '有些内容可能大家都知道，但我还是想写得完整一点。',
    '我会尽量客观，好的坏的都说一说。',
    '以下全是个人看法，没有任何人让我写。',
    '整理思路花了我不少时间。',
    '上周写了一个初稿，后来又改了大半。',
    '我就从头说起，一点一点讲。',
    '一开始我的期望不高也不低。',
    '现在是一个安静的晚上，我泡了杯茶开始写。',
    '只想看结论的朋友可以直接跳到最后。',
    '说实话，我犹豫了很久要不要发出来。',
    '我尽量写得有条理，不过还是比预想的长。',
    '先谢谢每一位愿意读完的朋友。',
    '下面是我的一些记录，大致按写下的顺序排列。',
    '每个人的感受不同，仅供参考。',
  ],
};

/** A deck of items dealt in shuffled order, reshuffled when it runs out. */
function deck<T>(items: readonly T[], rng: Rng): () => T {
  let order: T[] = [];
  return () => {
    if (order.length === 0) order = rng.shuffle([...items]);
    return order.pop()!;
  };
}

/** Long reviews from labelled sentences; see the file's comment. */
export function buildLongReviews(rows: readonly SourceRow[], o: LongReviewOptions): LongReview[] {
  const sep = o.lang === 'zh' ? '' : ' ';
  const rng = createRng(o.seed);
  const labels = [...new Set(rows.map((r) => r.label))].sort();
  const byLabel = new Map<string, () => SourceRow>();
  for (const l of labels)
    byLabel.set(
      l,
      deck(
        rows.filter((r) => r.label === l),
        rng,
      ),
    );
  const filler = deck(
    FILLER[o.lang].map((text, i) => ({ id: `filler/${i}`, text, label: '' })),
    rng,
  );
  const out: LongReview[] = [];
  for (const kind of o.kinds) {
    for (const label of labels) {
      const others = labels.filter((l) => l !== label);
      for (let k = 0; k < o.perLabel; k++) {
        const target = rng.int(o.minChars, o.maxChars);
        const parts: SourceRow[] = [];
        let length = 0;
        const add = (r: SourceRow) => {
          length += (parts.length > 0 ? sep.length : 0) + r.text.length;
          parts.push(r);
        };
        if (kind !== 'none') {
          // filler sentences, or sentences of other labels (a different label than the last each time)
          let last = '';
          while (length < o.openingChars) {
            if (kind === 'filler') add(filler());
            else {
              const l = rng.pick(others.filter((x) => x !== last));
              last = l;
              add(byLabel.get(l)!());
            }
          }
        }
        const openingChars = length;
        while (length < target) add(byLabel.get(label)!());
        const text = parts.map((p) => p.text).join(sep);
        const own = parts.filter((p) => p.label === label).reduce((n, p) => n + p.text.length, 0);
        if (own * 2 <= text.length) throw new Error(`long review ${label}/${kind}/${k}: the label holds ${own} of ${text.length} characters`);
        out.push({ id: `long-${o.lang}/${kind}/${label.replace(/[^a-z]+/g, '_')}/${k}`, text, label, split: kind, openingChars, sources: parts.map((p) => p.id) });
      }
    }
  }
  return out;
}
