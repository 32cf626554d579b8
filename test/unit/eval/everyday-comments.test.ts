// data/everyday_comments.jsonl: the labelled check set of short everyday comments for the default
// zero-shot taxonomy (issue #19). It is a check set, not training data: these tests keep it well
// formed, balanced, and apart from the taxonomy's own prototype texts. data/everyday_comments_dev.jsonl
// is the small dev set the taxonomy's descriptions are tuned on: same schema, written apart from
// both the check set and the taxonomy.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadTaxonomy } from '../../../src/classify/index.js';

const FILE = fileURLToPath(new URL('../../../data/everyday_comments.jsonl', import.meta.url));
const DEV_FILE = fileURLToPath(new URL('../../../data/everyday_comments_dev.jsonl', import.meta.url));
const MIN_DEV_PER_LABEL_AND_LANG = 8;
const TAXONOMY = fileURLToPath(new URL('../../../config/taxonomy.yaml', import.meta.url));
/** The default taxonomy with example comments (not the default; docs/models.md): its prototype texts must stay apart from the set too. */
const WITH_EXAMPLES = fileURLToPath(new URL('../../../config/taxonomy-examples.yaml', import.meta.url));
const MIN_PER_LABEL_AND_LANG = 30;
/** Above this overlap (character bigrams for zh, words for en) a row counts as a near-copy of a description. */
const NEAR_COPY = 0.5;

interface Row {
  id: string;
  text: string;
  label: string;
  lang: 'zh' | 'en';
  source: string;
  hard?: true;
}

const KEYS = new Set(['id', 'text', 'label', 'lang', 'source', 'hard']);
const SOURCE = /^(written|sib200\/\d+|clinc150\/(train|val|test)\/\d+|csl\/(train|dev|test)\/\d+)$/;

function readJsonl(file: string): Record<string, unknown>[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

const raw = readJsonl(FILE);
const rows = raw as unknown as Row[];
const devRaw = readJsonl(DEV_FILE);
const devRows = devRaw as unknown as Row[];
const taxonomy = loadTaxonomy(TAXONOMY);
const ids = taxonomy.labels.map((l) => l.id);
const withExamples = loadTaxonomy(WITH_EXAMPLES);
const descriptions = [...taxonomy.labels, ...withExamples.labels].flatMap((l) => [...l.descriptions.zh.map((d) => ({ lang: 'zh', text: d })), ...l.descriptions.en.map((d) => ({ lang: 'en', text: d }))]);
const names = [...taxonomy.labels, ...withExamples.labels].flatMap((l) => [l.zh, l.en]);

/** Character bigrams of the letters and digits (zh), or the set of words (en), lowercased. */
function units(text: string, lang: string): Set<string> {
  const t = text.toLowerCase();
  if (lang === 'en') return new Set(t.match(/[a-z0-9']+/g) ?? []);
  const c = [...t.replace(/[^\p{L}\p{N}]/gu, '')];
  const out = new Set<string>();
  for (let i = 0; i + 1 < c.length; i++) out.add(c[i]! + c[i + 1]!);
  return out;
}

function checkSchema(raw: Record<string, unknown>[], source: RegExp): void {
  for (const [i, r] of raw.entries()) {
    const where = `line ${i + 1}`;
    expect(
      Object.keys(r).filter((k) => !KEYS.has(k)),
      where,
    ).toEqual([]);
    expect(typeof r.id === 'string' && r.id !== '', where).toBe(true);
    expect(typeof r.text === 'string' && r.text.trim() !== '' && r.text === r.text.trim(), where).toBe(true);
    expect(typeof r.label, where).toBe('string');
    expect(['zh', 'en'], where).toContain(r.lang);
    expect(r.source, where).toMatch(source);
    if ('hard' in r) expect(r.hard, where).toBe(true);
    // the language field agrees with the script of the text
    expect(/\p{Script=Han}/u.test(r.text as string), where).toBe(r.lang === 'zh');
  }
}

function dice(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const x of a) if (b.has(x)) shared++;
  return a.size + b.size === 0 ? 0 : (2 * shared) / (a.size + b.size);
}

/** Rows that share text with a taxonomy prototype text: a description inside a row or a row inside a description or name, or a near-copy. */
function sharedWithPrototypes(rows: readonly Row[]): string[] {
  const protos = descriptions.map((d) => ({ ...d, lower: d.text.toLowerCase(), units: units(d.text, d.lang) }));
  const bad: string[] = [];
  for (const r of rows) {
    const t = r.text.toLowerCase();
    const u = units(r.text, r.lang);
    for (const d of protos) {
      if (t.includes(d.lower) || d.lower.includes(t)) bad.push(`${r.id} "${r.text}" shares text with "${d.text}"`);
      else if (d.lang === r.lang && dice(u, d.units) >= NEAR_COPY) bad.push(`${r.id} "${r.text}" is a near-copy of "${d.text}"`);
    }
    for (const n of names) if (n.toLowerCase().includes(t)) bad.push(`${r.id} "${r.text}" is inside the name "${n}"`);
  }
  return bad;
}

describe('data/everyday_comments.jsonl (check set for the default taxonomy)', () => {
  it('every row has the schema {id, text, label, lang, source[, hard: true]}', () => {
    expect(rows.length).toBeGreaterThanOrEqual(ids.length * 2 * MIN_PER_LABEL_AND_LANG);
    checkSchema(raw, SOURCE);
  });

  it('every label is a taxonomy id, with at least 30 rows in each language, and both languages have every label', () => {
    const counts = new Map<string, number>();
    for (const r of rows) {
      expect(ids, r.id).toContain(r.label);
      counts.set(`${r.label}/${r.lang}`, (counts.get(`${r.label}/${r.lang}`) ?? 0) + 1);
    }
    for (const id of ids) for (const lang of ['zh', 'en']) expect(counts.get(`${id}/${lang}`) ?? 0, `${id}/${lang}`).toBeGreaterThanOrEqual(MIN_PER_LABEL_AND_LANG);
  });

  it('most rows of every label and language were written for the set (rows mapped from data files are at most a third)', () => {
    for (const id of ids) {
      for (const lang of ['zh', 'en']) {
        const cell = rows.filter((r) => r.label === id && r.lang === lang);
        const mapped = cell.filter((r) => r.source !== 'written').length;
        expect(mapped, `${id}/${lang}`).toBeLessThanOrEqual(cell.length / 3);
      }
    }
    expect(rows.filter((r) => r.hard).length).toBeGreaterThan(0);
  });

  it('has unique ids and no duplicate texts', () => {
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    const seen = new Map<string, string>();
    for (const r of rows) {
      const key = r.text.toLowerCase().replace(/\s+/g, ' ');
      expect(seen.get(key), `${r.id} repeats ${seen.get(key)}`).toBeUndefined();
      seen.set(key, r.id);
    }
  });

  it('config/taxonomy-examples.yaml is the default taxonomy plus example comments: same ids and names, the default descriptions first', () => {
    expect(withExamples.labels.map((l) => [l.id, l.zh, l.en])).toEqual(taxonomy.labels.map((l) => [l.id, l.zh, l.en]));
    withExamples.labels.forEach((l, i) => {
      for (const lang of ['zh', 'en'] as const) {
        const own = taxonomy.labels[i]!.descriptions[lang];
        expect(l.descriptions[lang].slice(0, own.length), `${l.id}/${lang}`).toEqual(own);
        expect(l.descriptions[lang].length - own.length, `${l.id}/${lang}`).toBe(12);
      }
    });
  });

  it('shares no text with the taxonomy prototypes: no description inside a row or row inside a description or name, no near-copy', () => {
    expect(sharedWithPrototypes(rows)).toEqual([]);
  });
});

describe('data/everyday_comments_dev.jsonl (dev set for tuning the default taxonomy)', () => {
  it('every row has the schema {id, text, label, lang, source: written[, hard: true]}, with some hard rows', () => {
    checkSchema(devRaw, /^written$/);
    expect(devRows.filter((r) => r.hard).length).toBeGreaterThan(0);
  });

  it(`every label is a taxonomy id, with at least ${MIN_DEV_PER_LABEL_AND_LANG} rows in each language`, () => {
    const counts = new Map<string, number>();
    for (const r of devRows) {
      expect(ids, r.id).toContain(r.label);
      counts.set(`${r.label}/${r.lang}`, (counts.get(`${r.label}/${r.lang}`) ?? 0) + 1);
    }
    for (const id of ids) for (const lang of ['zh', 'en']) expect(counts.get(`${id}/${lang}`) ?? 0, `${id}/${lang}`).toBeGreaterThanOrEqual(MIN_DEV_PER_LABEL_AND_LANG);
  });

  it('has unique ids and texts, none shared with the check set', () => {
    const checkIds = new Set(rows.map((r) => r.id));
    expect(new Set(devRows.map((r) => r.id)).size).toBe(devRows.length);
    for (const r of devRows) expect(checkIds.has(r.id), r.id).toBe(false);
    const keys = devRows.map((r) => r.text.toLowerCase().replace(/\s+/g, ' '));
    expect(new Set(keys).size).toBe(devRows.length);
  });

  it('shares no text with the check set: no row inside another, no near-copy', () => {
    const check = rows.map((c) => ({ ...c, lower: c.text.toLowerCase(), units: units(c.text, c.lang) }));
    const bad: string[] = [];
    for (const r of devRows) {
      const t = r.text.toLowerCase();
      const u = units(r.text, r.lang);
      for (const c of check) {
        if (t.includes(c.lower) || c.lower.includes(t)) bad.push(`${r.id} "${r.text}" shares text with ${c.id} "${c.text}"`);
        else if (c.lang === r.lang && dice(u, c.units) >= NEAR_COPY) bad.push(`${r.id} "${r.text}" is a near-copy of ${c.id} "${c.text}"`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('shares no text with the taxonomy prototypes', () => {
    expect(sharedWithPrototypes(devRows)).toEqual([]);
  });
});
