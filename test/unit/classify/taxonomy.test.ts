import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTaxonomy, parseTaxonomy } from '../../../src/classify/index.js';
import { isPortraitError } from '../../../src/util/errors.js';

const CONFIG = fileURLToPath(new URL('../../../config/taxonomy.yaml', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'portrait-taxonomy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function label(id: string, extra: Record<string, unknown> = {}) {
  return { id, zh: '体育', en: 'sports', descriptions: { zh: ['足球比赛'], en: ['football games'] }, ...extra };
}

function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('taxonomy', () => {
  it('config/taxonomy.yaml is valid: 12-16 labels, unique snake_case ids, both languages', () => {
    const t = loadTaxonomy(CONFIG);
    expect(t.labels.length).toBeGreaterThanOrEqual(12);
    expect(t.labels.length).toBeLessThanOrEqual(16);
    const ids = t.labels.map((l) => l.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ['food_dining', 'travel', 'sports', 'technology', 'entertainment', 'health', 'finance', 'politics']) expect(ids).toContain(id);
  });

  it('names the file and the bad entry (by index and id) on a duplicate id', () => {
    const err = caught(() => parseTaxonomy({ version: 1, labels: [label('sports'), label('travel'), label('sports')] }, 'my/taxonomy.yaml'));
    expect(isPortraitError(err, 'CONFIG_INVALID')).toBe(true);
    expect(err.message).toContain('my/taxonomy.yaml');
    expect(err.message).toContain('labels[2] (id "sports").id: duplicate id "sports" (first at labels[0])');
  });

  it('reports bad ids, missing languages and too many descriptions', () => {
    const tooMany = label('travel', { descriptions: { zh: Array.from({ length: 33 }, (_, i) => `d${i}`), en: ['x'] } });
    const noEn = { id: 'music', zh: '音乐', descriptions: { zh: ['歌'], en: ['songs'] } };
    const err = caught(() => parseTaxonomy({ version: 1, labels: [label('Bad-Id'), tooMany, noEn] }, 't.yaml'));
    expect(isPortraitError(err, 'CONFIG_INVALID')).toBe(true);
    expect(err.message).toMatch(/labels\[0\] \(id "Bad-Id"\)\.id: must be lower snake_case/);
    expect(err.message).toMatch(/labels\[1\] \(id "travel"\)\.descriptions\.zh: needs 1-32 descriptions/);
    expect(err.message).toMatch(/labels\[2\] \(id "music"\)\.en: /);
    expect(caught(() => parseTaxonomy({ version: 1, labels: [label('a')] })).message).toMatch(/labels: needs at least 2 labels/);
    expect(caught(() => parseTaxonomy({ version: 1, labels: [label('a'), label('b', { extra: 1 })] })).message).toMatch(/labels\[1\] \(id "b"\): Unrecognized key/);
  });

  it('CONFIG_UNREADABLE for a missing file or broken YAML; CONFIG_INVALID for YAML of the wrong shape', () => {
    expect(
      isPortraitError(
        caught(() => loadTaxonomy(join(dir, 'missing.yaml'))),
        'CONFIG_UNREADABLE',
      ),
    ).toBe(true);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'labels: [\n  - id: x\n');
    const e = caught(() => loadTaxonomy(broken));
    expect(isPortraitError(e, 'CONFIG_UNREADABLE')).toBe(true);
    expect(e.message).toContain(broken);
    const wrong = join(dir, 'wrong.yaml');
    writeFileSync(wrong, '- just\n- a list\n');
    const w = caught(() => loadTaxonomy(wrong));
    expect(isPortraitError(w, 'CONFIG_INVALID')).toBe(true);
    expect(w.message).toContain(wrong);
  });
});
