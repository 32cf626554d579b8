import { describe, expect, it } from 'vitest';
import { buildLongReviews, FILLER, LONG_REVIEW_DEFAULTS, type SourceRow } from '../../../src/eval/long-reviews.js';

const LABELS = ['a', 'b', 'c'];
const rows: SourceRow[] = LABELS.flatMap((label) => Array.from({ length: 12 }, (_, i) => ({ id: `${label}${i}`, text: `Sentence ${i} of label ${label} says something.`, label })));
const opts = { ...LONG_REVIEW_DEFAULTS, lang: 'en' as const, perLabel: 4 };

describe('buildLongReviews', () => {
  it('builds perLabel reviews per label and opening kind, of the drawn lengths', () => {
    const out = buildLongReviews(rows, opts);
    expect(out).toHaveLength(LABELS.length * 3 * 4);
    for (const r of out) {
      expect(r.text.length).toBeGreaterThanOrEqual(opts.minChars);
      expect(r.text.length).toBeLessThan(opts.maxChars + 60);
      expect(r.text).toBe(r.text.trim());
    }
    expect(new Set(out.map((r) => r.id)).size).toBe(out.length);
  });

  it('opens with at least openingChars of filler or other labels, then only the review label', () => {
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const r of buildLongReviews(rows, opts)) {
      const opening = r.sources.filter((s) => s.startsWith('filler/') || byId.get(s)!.label !== r.label);
      const rest = r.sources.slice(opening.length);
      expect(rest.every((s) => byId.get(s)?.label === r.label)).toBe(true);
      if (r.split === 'none') expect(r.openingChars).toBe(0);
      else {
        expect(r.openingChars).toBeGreaterThanOrEqual(opts.openingChars);
        expect(r.text.slice(0, opts.openingChars)).not.toContain(`label ${r.label} `);
        if (r.split === 'filler') expect(opening.every((s) => s.startsWith('filler/'))).toBe(true);
        else expect(opening.every((s) => !s.startsWith('filler/'))).toBe(true);
      }
      expect(r.text.startsWith(r.split === 'filler' ? FILLER.en[Number(r.sources[0]!.slice(7))]! : 'Sentence')).toBe(true);
    }
  });

  it('is deterministic for a seed, and another seed gives other reviews', () => {
    expect(buildLongReviews(rows, opts)).toEqual(buildLongReviews(rows, opts));
    expect(buildLongReviews(rows, { ...opts, seed: 20 })).not.toEqual(buildLongReviews(rows, opts));
  });

  it('joins Chinese sentences without spaces', () => {
    const zh = LABELS.flatMap((label) => Array.from({ length: 12 }, (_, i) => ({ id: `${label}${i}`, text: `这是标签${label}的第${i}句话。`, label })));
    const out = buildLongReviews(zh, { ...opts, lang: 'zh', kinds: ['filler'] });
    for (const r of out) expect(r.text).not.toMatch(/。 /);
  });
});
