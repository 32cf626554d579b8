import { describe, expect, it } from 'vitest';
import { buildZeroShot, labelMap, parseTaxonomy, zeroShotVersion } from '../../../src/classify/index.js';
import { FakeEmbedder, unit } from './fixtures.js';

const DIM = 4;
const e = (i: number) => Array.from({ length: DIM }, (_, k) => (k === i ? 1 : 0));
// label "a" has two distant descriptions (axes 0 and 1); label "b" one (axis 2); names on axis 3
const raw = {
  version: 1,
  prototypes: 'multi',
  top: 1,
  temperature: 0.5,
  labels: [
    { id: 'a', zh: '甲', en: 'alpha', aliases: ['A', 'first'], descriptions: { zh: ['零'], en: ['one'] } },
    { id: 'b', zh: '乙', en: 'beta', aliases: ['B'], descriptions: { zh: ['二'], en: ['two'] } },
  ],
};
const known: Record<string, number[]> = { 零: e(0), one: e(1), 二: e(2), two: e(2), 甲: e(3), alpha: e(3), 乙: e(3), beta: e(3) };

describe('zero-shot with several prototypes per label', () => {
  it("'multi' keeps every text as a prototype and scores a label by its best `top` cosines", async () => {
    const t = parseTaxonomy(raw);
    const zs = await buildZeroShot(t, new FakeEmbedder(DIM, known), 0.05);
    expect(zs.prototypeVectors()).toHaveLength(8);
    // axis 1 is one of a's descriptions: with top 1, "a" scores cosine 1
    const [s] = zs.similarities([unit(e(1))]);
    expect(s![0]).toBeCloseTo(1, 12);
    expect(s![1]).toBeCloseTo(0, 12);
    // with 'mean' the same text is far from a's single averaged prototype
    const mean = await buildZeroShot(parseTaxonomy({ ...raw, prototypes: 'mean' }), new FakeEmbedder(DIM, known), 0.05);
    expect(mean.similarities([unit(e(1))])[0]![0]).toBeLessThan(0.75);
    // top 2: the mean of the two best cosines of each label (a: 1 and 0; names on axis 3 score 0 too)
    const top2 = await buildZeroShot(parseTaxonomy({ ...raw, top: 2 }), new FakeEmbedder(DIM, known), 0.05);
    expect(top2.similarities([unit(e(1))])[0]![0]).toBeCloseTo(0.5, 12);
  });

  it("the taxonomy's temperature wins over the configured one and is part of the version", async () => {
    const t = parseTaxonomy(raw);
    const zs = await buildZeroShot(t, new FakeEmbedder(DIM, known), 0.05);
    expect(zs.temperature).toBe(0.5);
    const p = zs.predict([unit(e(1))])[0]!;
    expect(p.a! / p.b!).toBeCloseTo(Math.exp((1 - 0) / 0.5), 9);
    expect(zeroShotVersion(t, 'x', 0.5)).not.toBe(zeroShotVersion(parseTaxonomy({ ...raw, top: 2 }), 'x', 0.5));
    expect(zeroShotVersion(t, 'x', 0.5)).not.toBe(zeroShotVersion(parseTaxonomy({ ...raw, prototypes: 'mean' }), 'x', 0.5));
  });

  it("aliases map a data set's labels to ids; an alias may name only one label", () => {
    expect([...labelMap(parseTaxonomy(raw)).entries()]).toEqual([
      ['a', 'a'],
      ['A', 'a'],
      ['first', 'a'],
      ['b', 'b'],
      ['B', 'b'],
    ]);
    const clash = { ...raw, labels: [raw.labels[0]!, { ...raw.labels[1]!, aliases: ['first'] }] };
    expect(() => parseTaxonomy(clash, 't.yaml')).toThrow(/labels\[1\] \(id "b"\)\.aliases\[0\]: alias "first" already names label "a"/);
    const idClash = { ...raw, labels: [raw.labels[0]!, { ...raw.labels[1]!, aliases: ['a'] }] };
    expect(() => parseTaxonomy(idClash)).toThrow(/alias "a" already names label "a"/);
    expect(() => parseTaxonomy({ ...raw, prototypes: 'median' })).toThrow(/prototypes/);
  });
});
