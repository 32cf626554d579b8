import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonl, readJsonl, readLabelledRows, splitLines } from '../../../src/sim/jsonl.js';
import { batchSizeFor, waitBeforeNext } from '../../../src/sim/pace.js';
import { createRng } from '../../../src/sim/random.js';
import { rawMessages } from '../../../src/sim/raw.js';
import { portraitErrorOf as thrown } from '../../helpers/errors.js';
import { tempDir } from '../../helpers/tmp.js';

describe('createRng', () => {
  it('repeats for a seed and differs between seeds', () => {
    const seq = (seed: number) => Array.from({ length: 5 }, createRng(seed).next);
    expect(seq(1)).toEqual(seq(1));
    expect(seq(1)).not.toEqual(seq(2));
    expect(seq(2 ** 33 + 1)).not.toEqual(seq(1));
  });

  it('draws floats in [0, 1) and integers in range, roughly uniformly', () => {
    const rng = createRng(99);
    const counts = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 60_000; i++) {
      const f = rng.next();
      expect(f >= 0 && f < 1).toBe(true);
      counts[rng.int(0, 5)]!++;
    }
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  it('shuffles into a permutation', () => {
    const xs = Array.from({ length: 50 }, (_, i) => i);
    const s = createRng(3).shuffle([...xs]);
    expect(s).not.toEqual(xs);
    expect([...s].sort((a, b) => a - b)).toEqual(xs);
  });
});

describe('JSONL reading', () => {
  const dir = tempDir('sim');

  it('skips blank lines, handles CRLF and a BOM, and numbers lines from 1', () => {
    expect(splitLines('\uFEFFa\r\n\n  \nb\n')).toEqual([
      { line: 1, text: 'a' },
      { line: 4, text: 'b' },
    ]);
  });

  it('names the file and the line of a bad JSON line', () => {
    const err = thrown(() => parseJsonl('{"a":1}\n\n{oops\n', 'x.jsonl'));
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(/^x\.jsonl:3: not valid JSON/);
  });

  it('names a missing file', () => {
    const err = thrown(() => readJsonl(join(dir, 'missing.jsonl')));
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(/missing\.jsonl: no such file/);
  });

  it('checks labelled rows field by field', () => {
    const file = join(dir, 'rows.jsonl');
    writeFileSync(file, '{"id":1,"text":"a","label":"x","lang":"en","split":"test"}\n{"id":"2","text":"b","label":""}\n');
    const err = thrown(() => readLabelledRows(file));
    expect(err.message).toBe(`${file}:2: "label" must be a non-empty string (use --raw to publish events as they are)`);
    writeFileSync(file, '{"id":1,"text":"a","label":"x","lang":"en","split":"test"}\n{"id":1,"text":"b","label":"y"}\n');
    expect(thrown(() => readLabelledRows(file)).message).toMatch(/:2: duplicate id "1"/);
    writeFileSync(file, '{"id":1,"text":"a","label":"x","lang":"en","split":"test"}\n[1]\n');
    expect(thrown(() => readLabelledRows(file)).message).toMatch(/:2: expected a JSON object/);
    writeFileSync(file, '{"id":1,"text":"a","label":"x","lang":"en","split":"test"}\n');
    expect(readLabelledRows(file)).toEqual([{ id: '1', text: 'a', label: 'x', lang: 'en', split: 'test' }]);
  });

  it('reads every data file of the repository', () => {
    for (const [name, rows] of [
      ['sib200_en', 1004],
      ['sib200_zh', 1004],
      ['clinc150_en', 22_500],
      ['csl_titles_zh', 10_000],
    ] as const) {
      expect(readLabelledRows(new URL(`../../../data/${name}.jsonl`, import.meta.url).pathname)).toHaveLength(rows);
    }
  });
});

describe('rawMessages', () => {
  it('publishes lines as they are, keyed by userId or null', () => {
    const text = '{"userId":"u1","text":"hi"}\nnot json\n\n{"text":"no user"}\n{"userId":7}\n[1]\n';
    expect(rawMessages(text)).toEqual([
      { key: 'u1', value: '{"userId":"u1","text":"hi"}' },
      { key: null, value: 'not json' },
      { key: null, value: '{"text":"no user"}' },
      { key: '7', value: '{"userId":7}' },
      { key: null, value: '[1]' },
    ]);
    expect(rawMessages(text, 2)).toHaveLength(2);
  });
});

describe('pacing', () => {
  it('sends big batches when unlimited and about five per second otherwise', () => {
    expect(batchSizeFor(0)).toBe(200);
    expect(batchSizeFor(10_000)).toBe(200);
    expect(batchSizeFor(100)).toBe(20);
    expect(batchSizeFor(1)).toBe(1);
    expect(batchSizeFor(0.5)).toBe(1);
  });

  it('waits until the messages are due', () => {
    expect(waitBeforeNext(100, 0, 0)).toBe(0);
    expect(waitBeforeNext(20, 100, 0)).toBe(200);
    expect(waitBeforeNext(200, 100, 1500)).toBe(500);
    expect(waitBeforeNext(200, 100, 2500)).toBe(0);
  });
});
