import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseSplit, defaultTrainSplits, describeSplits, preprocessRows, readDataset, rowsOfSplit, splitCounts } from '../../../src/eval/dataset.js';
import { cacheFile, embedTexts, readCache } from '../../../src/eval/embed-cache.js';
import { FakeEmbedder } from '../classify/fixtures.js';
import { tempDir } from '../../helpers/tmp.js';

const dir = tempDir('dataset');

function file(name: string, rows: unknown[]): string {
  const f = join(dir, name);
  writeFileSync(f, rows.map((r) => JSON.stringify(r)).join('\n'));
  return f;
}

const rows = Array.from({ length: 40 }, (_, i) => ({ t: `Text number ${i} ABOUT ${i % 2 ? 'Sports' : 'Food'}`, y: i % 2 ? 'sports' : 'food', s: i < 30 ? 'train' : i < 35 ? 'dev' : 'test', f: `fine${i % 4}` }));

describe('labelled data sets', () => {
  it('reads custom text, label, split and fine-label fields, and names the line of a bad row', () => {
    const f = file('custom.jsonl', rows);
    const d = readDataset(f, { textField: 't', labelField: 'y', splitField: 's', fineField: 'f' });
    expect(d).toHaveLength(40);
    expect(d[1]).toEqual({ line: 2, text: 'Text number 1 ABOUT Sports', label: 'sports', split: 'train', fine: 'fine1' });
    expect(splitCounts(d)).toEqual({ train: 30, dev: 5, test: 5 });
    expect(describeSplits(d)).toBe('train 30, dev 5, test 5');
    expect(rowsOfSplit(d, 'train,dev')).toHaveLength(35);
    const bad = file('bad.jsonl', [rows[0], { t: '', y: 'x' }]);
    expect(() => readDataset(bad, { textField: 't', labelField: 'y' })).toThrow(/bad\.jsonl:2: "t" must be a non-empty string/);
  });

  it('chooses the train and test splits, or a stratified hold-out, and caps training rows', () => {
    const d = readDataset(file('split.jsonl', rows), { textField: 't', labelField: 'y', splitField: 's' });
    // default: every split but the test split trains (train and dev here)
    const bySplit = chooseSplit(d, { seed: 1 });
    expect([bySplit.mode, bySplit.train.length, bySplit.test.length]).toEqual(['split', 35, 5]);
    expect(bySplit.description).toMatch(/^trained on splits "train,dev" \(35 rows\), held out split "test" \(5 rows\)/);
    expect(new Set(bySplit.train.map((r) => r.split))).toEqual(new Set(['train', 'dev']));
    expect(defaultTrainSplits(d, 'dev,test')).toBe('train');
    const one = chooseSplit(d, { seed: 1, trainSplit: 'train' });
    expect([one.train.length, one.test.length]).toEqual([30, 5]);
    expect(one.description).toMatch(/^trained on split "train" \(30 rows\)/);
    const holdout = chooseSplit(d, { seed: 1, testRatio: 0.25 });
    expect([holdout.mode, holdout.train.length, holdout.test.length]).toEqual(['holdout', 30, 10]);
    const noTest = chooseSplit(d, { seed: 1, trainSplit: 'train', testSplit: 'nope' });
    expect(noTest.description).toMatch(/no "nope" rows: held out a stratified 20%/);
    const capped = chooseSplit(d, { seed: 1, maxRows: 10 });
    expect(capped.train).toHaveLength(10);
    expect(capped.train.filter((r) => r.label === 'food')).toHaveLength(5);
  });

  it('preprocesses like the pipeline: lowercased text to embed, rows with nothing left dropped', () => {
    const p = preprocessRows(
      [
        { line: 1, text: 'Hello WORLD', label: 'a' },
        { line: 2, text: '   !!! ', label: 'a' },
      ],
      { maxChars: 100, maxTokens: 10 },
    );
    expect(p.rows.map((r) => r.input)).toEqual(['hello world']);
    expect(p.dropped).toBe(1);
  });
});

describe('embedding cache', () => {
  it('embeds each distinct text once, and a second run reads every vector from disk', async () => {
    const cacheDir = join(dir, 'cache');
    const first = new FakeEmbedder(8);
    const texts = ['a', 'b', 'a', 'c'];
    const r1 = await embedTexts(first, texts, { cacheDir, chunk: 2 });
    expect(first.seen).toEqual(['a', 'b', 'c']);
    expect(r1.stats).toMatchObject({ texts: 4, unique: 3, cached: 0, embedded: 3 });
    expect(r1.vectors[0]).toEqual(r1.vectors[2]);
    const second = new FakeEmbedder(8);
    const r2 = await embedTexts(second, [...texts, 'd'], { cacheDir });
    expect(second.seen).toEqual(['d']);
    expect(r2.stats).toMatchObject({ unique: 4, cached: 3, embedded: 1 });
    r1.vectors.forEach((v, i) => expect(Array.from(r2.vectors[i]!)).toEqual(Array.from(v)));
    // another embedder id reads another file
    expect(readCache(cacheFile(cacheDir, 'other', 8), 8).size).toBe(0);
    expect(readCache(cacheFile(cacheDir, second.id, 8), 8).size).toBe(4);
  });
});
