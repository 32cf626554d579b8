import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildZeroShot, parseTaxonomy, type Taxonomy } from '../../../src/classify/index.js';
import { applyCalibration, CALIBRATION_FORMAT, calibrationPath, loadZeroShot, readCalibration, writeCalibration, type ZeroShotCalibration } from '../../../src/classify/zero-shot-calibration.js';
import { unmixShares } from '../../../src/profile/unmix.js';
import { isPortraitError } from '../../../src/util/errors.js';
import { FakeEmbedder } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'portrait-zs-cal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const raw = {
  version: 1,
  temperature: 0.1,
  labels: [
    { id: 'sports', zh: '体育', en: 'sports', descriptions: { zh: ['足球比赛'], en: ['football games'] } },
    { id: 'travel', zh: '旅行', en: 'travel', descriptions: { zh: ['旅游景点'], en: ['holiday trips'] } },
    { id: 'food', zh: '美食', en: 'food', descriptions: { zh: ['火锅'], en: ['restaurants'] } },
  ],
};
const taxonomy: Taxonomy = parseTaxonomy(raw);
const embedder = new FakeEmbedder(8);

/** A calibration of `version` in which travel's rows read as sports half of the time. */
function calibration(version: string, over: Partial<ZeroShotCalibration> = {}): ZeroShotCalibration {
  return {
    format: CALIBRATION_FORMAT,
    classifier: version,
    embedder: embedder.id,
    temperature: 0.1,
    labels: ['sports', 'travel', 'food'],
    confusion: {
      source: 'test',
      rows: [4, 4, 4],
      matrix: [
        [1, 0, 0],
        [0.5, 0.5, 0],
        [0, 0, 1],
      ],
    },
    data: [{ file: 'x.jsonl', split: 'dev', rows: 12 }],
    metrics: { accuracy: 0.8, macroF1: 0.8 },
    createdAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

describe('zero-shot calibration', () => {
  it('applies a calibration measured for this classifier: its confusion, under a new version', async () => {
    const zs = await buildZeroShot(taxonomy, embedder);
    expect(zs.confusion).toBeUndefined();
    const out = applyCalibration(zs, calibration(zs.version));
    expect(out.applied).toBe(true);
    expect(out.classifier.confusion?.confusion[1]).toEqual([0.5, 0.5, 0]);
    expect(out.classifier.version).not.toBe(zs.version);
    expect(applyCalibration(zs, calibration(zs.version)).classifier.version).toBe(out.classifier.version);
    // predictions do not change, only what profiles do with them
    const e = (await embedder.embed(['a comment about a match']))[0]!;
    expect(out.classifier.predict([e])).toEqual(zs.predict([e]));
    // and the unmixing it enables undoes travel's leak into sports: a user writing 3/4 travel,
    // 1/4 sports has a mean of 5/8 sports under this confusion, and shares of 1/4 sports, 3/4 travel
    const shares = unmixShares({ sports: 0.625, travel: 0.375, food: 0 }, 20, out.classifier.confusion!, { prior: 0 })!;
    expect(shares[0]).toBeCloseTo(0.25, 3);
    expect(shares[1]).toBeCloseTo(0.75, 3);
  });

  it('refuses a calibration measured for another temperature, embedder, taxonomy or label list, and says which', async () => {
    const zs = await buildZeroShot(taxonomy, embedder);
    const other = await buildZeroShot(parseTaxonomy({ ...raw, temperature: 0.05 }), embedder);
    const stale = applyCalibration(zs, calibration(other.version, { temperature: 0.05 }));
    expect(stale.applied).toBe(false);
    expect(stale.classifier).toBe(zs);
    expect(!stale.applied && stale.reason).toMatch(/temperature 0\.05, not 0\.1.*portrait calibrate/);
    const byEmbedder = applyCalibration(zs, calibration('0123456789abcdef', { embedder: 'another-model' }));
    expect(!byEmbedder.applied && byEmbedder.reason).toMatch(/embedder another-model, not fake-8/);
    const byTaxonomy = applyCalibration(zs, calibration('0123456789abcdef'));
    expect(!byTaxonomy.applied && byTaxonomy.reason).toMatch(/another version of the taxonomy/);
    const byLabels = applyCalibration(zs, calibration(zs.version, { labels: ['sports', 'food', 'travel'] }));
    expect(!byLabels.applied && byLabels.reason).toMatch(/labels/);
  });

  it('lives beside the taxonomy; loadZeroShot applies it, or reports why not', async () => {
    expect(calibrationPath('config/taxonomies/sib200.yaml')).toBe('config/taxonomies/sib200.calibration.json');
    expect(calibrationPath('x/t.YML')).toBe('x/t.calibration.json');
    const yaml = join(dir, 'tax.yaml');
    writeFileSync(yaml, stringify(raw));
    expect((await loadZeroShot(yaml, embedder)).calibration).toBeUndefined();

    const zs = await buildZeroShot(taxonomy, embedder);
    writeCalibration(calibrationPath(yaml), calibration(zs.version));
    expect(readFileSync(calibrationPath(yaml), 'utf8')).toContain('[0.5, 0.5, 0]'); // one matrix row per line
    const ok = await loadZeroShot(yaml, embedder);
    expect(ok.calibration).toEqual({ file: calibrationPath(yaml), applied: true });
    expect(ok.classifier.confusion).toBeDefined();

    // the taxonomy is edited after calibrating: the calibration no longer describes it
    writeFileSync(yaml, stringify({ ...raw, temperature: 0.2 }));
    const stale = await loadZeroShot(yaml, embedder);
    expect(stale.calibration?.applied).toBe(false);
    expect(stale.calibration?.reason).toMatch(/temperature 0\.1, not 0\.2/);
    expect(stale.classifier.confusion).toBeUndefined();
  });

  it('a malformed calibration file is a clear configuration error', () => {
    const f = join(dir, 'bad.calibration.json');
    const expectError = (content: string, code: string, message: RegExp) => {
      writeFileSync(f, content);
      try {
        readCalibration(f);
        expect.unreachable();
      } catch (err) {
        expect(isPortraitError(err) && err.code).toBe(code);
        expect((err as Error).message).toMatch(message);
      }
    };
    expectError('{ not json', 'CONFIG_UNREADABLE', /bad\.calibration\.json cannot be read or parsed/);
    expectError(JSON.stringify({ ...calibration('v'), format: 'other/1' }), 'CONFIG_INVALID', /format/);
    const rows = calibration('v');
    expectError(
      JSON.stringify({
        ...rows,
        confusion: {
          ...rows.confusion,
          matrix: [
            [1, 0, 0],
            [0.5, 0.4, 0],
            [0, 0, 1],
          ],
        },
      }),
      'CONFIG_INVALID',
      /row 1 does not sum to 1/,
    );
    expectError(
      JSON.stringify({
        ...rows,
        confusion: {
          ...rows.confusion,
          matrix: [
            [1, 0, 0],
            [0, 1, 0],
          ],
        },
      }),
      'CONFIG_INVALID',
      /expected 3 rows/,
    );
    expectError(JSON.stringify({ ...rows, bias: { source: 't', rows: { zh: 6, en: 6 }, zh: [0, 0, 0], en: [0, 0] } }), 'CONFIG_INVALID', /bias needs 3 values per language .* en 2/);
    expect(readCalibration(join(dir, 'missing.json'))).toBeUndefined();
  });

  it('a label bias is taken off the cosines per language (the mean of both for mixed or unknown), under its own version', async () => {
    const zs = await buildZeroShot(taxonomy, embedder);
    const bias = { source: 'test', rows: { zh: 6, en: 6 }, zh: [0.3, 0, 0], en: [0, 0, 0.3] };
    const withBias = applyCalibration(zs, calibration(zs.version, { bias }));
    const without = applyCalibration(zs, calibration(zs.version));
    expect(withBias.applied && without.applied).toBe(true);
    // a calibration without a bias keeps its version; one with a bias has another
    expect(withBias.classifier.version).not.toBe(without.classifier.version);
    const [v] = await embedder.embed(['火锅 restaurants']);
    const raw = zs.similarities([v!])[0]!;
    const score = (lang: 'zh' | 'en' | 'mixed' | undefined) => withBias.classifier.similarities([v!], [lang])[0]!;
    expect(score('zh')).toEqual([raw[0]! - 0.3, raw[1], raw[2]]);
    expect(score('en')).toEqual([raw[0], raw[1], raw[2]! - 0.3]);
    expect(score('mixed')).toEqual([raw[0]! - 0.15, raw[1], raw[2]! - 0.15]);
    expect(score(undefined)).toEqual(score('mixed'));
    expect(withBias.classifier.rawSimilarities([v!])[0]).toEqual(raw);
    // and so are the probabilities: food loses for an English comment, sports for a Chinese one
    const zh = withBias.classifier.predict([v!], ['zh'])[0]!;
    const en = withBias.classifier.predict([v!], ['en'])[0]!;
    expect(zh.food!).toBeGreaterThan(en.food!);
    expect(en.sports!).toBeGreaterThan(zh.sports!);
    // without a bias the language changes nothing
    expect(without.classifier.predict([v!], ['zh'])).toEqual(without.classifier.predict([v!], ['en']));
  });
});
