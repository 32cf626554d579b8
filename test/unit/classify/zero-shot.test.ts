import { describe, expect, it } from 'vitest';
import { buildZeroShot, parseTaxonomy, prototypeTexts, type Taxonomy } from '../../../src/classify/index.js';
import { isPortraitError } from '../../../src/util/errors.js';
import { FakeEmbedder, unit } from './fixtures.js';

const DIM = 4;
// Each label's texts map near one axis.
const axis = (i: number, noise = 0.1) => Array.from({ length: DIM }, (_, k) => (k === i ? 1 : noise));
const taxonomy: Taxonomy = parseTaxonomy({
  version: 1,
  labels: [
    { id: 'sports', zh: '体育', en: 'Sports', descriptions: { zh: ['足球比赛'], en: ['Football Games', 'basketball'] } },
    { id: 'food_dining', zh: '美食', en: 'food', descriptions: { zh: ['火锅'], en: ['restaurants'] } },
    { id: 'technology', zh: '科技', en: 'technology', descriptions: { zh: ['手机'], en: ['phones'] } },
  ],
});
const known: Record<string, number[]> = {};
taxonomy.labels.forEach((l, i) => {
  const t = prototypeTexts(l);
  for (const s of [...t.zh, ...t.en]) known[s] = axis(i);
});

describe('zero-shot classifier', () => {
  it('embeds every name and description once, lowercased', async () => {
    const emb = new FakeEmbedder(DIM, known);
    await buildZeroShot(taxonomy, emb, 0.05);
    expect(emb.seen).toEqual(['体育', '足球比赛', 'sports', 'football games', 'basketball', '美食', '火锅', 'food', 'restaurants', '科技', '手机', 'technology', 'phones']);
    expect(emb.seen.every((s) => s === s.toLowerCase())).toBe(true);
  });

  it('picks the nearest prototype; probabilities cover every label and sum to 1', async () => {
    const zs = await buildZeroShot(taxonomy, new FakeEmbedder(DIM, known), 0.05);
    expect(zs.kind).toBe('zero-shot');
    expect(zs.labels).toEqual(['sports', 'food_dining', 'technology']);
    expect(zs.dim).toBe(DIM);
    expect(zs.embedderId).toBe('fake-4');
    const out = zs.predict([unit(axis(0, 0.2)), unit(axis(1, 0.2)), unit(axis(2, 0.2)), unit([0, 0, 0, 1])]);
    expect(out.map((p) => Object.entries(p).sort((a, b) => b[1] - a[1])[0]![0]).slice(0, 3)).toEqual(['sports', 'food_dining', 'technology']);
    for (const p of out) {
      expect(Object.keys(p)).toEqual(['sports', 'food_dining', 'technology']);
      expect(Object.values(p).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    }
    // equidistant from all prototypes: uniform
    for (const x of Object.values(out[3]!)) expect(x).toBeCloseTo(1 / 3, 9);
    expect(zs.predict([])).toEqual([]);
  });

  it('is softmax(cosine / temperature)', async () => {
    const zs = await buildZeroShot(taxonomy, new FakeEmbedder(DIM, known), 0.1);
    const e = unit([0.9, 0.3, 0.1, 0.05]);
    const [sims] = zs.similarities([e]);
    const exps = sims!.map((s) => Math.exp(s / 0.1));
    const z = exps.reduce((a, b) => a + b, 0);
    const p = zs.predict([e])[0]!;
    zs.labels.forEach((l, i) => expect(p[l]).toBeCloseTo(exps[i]! / z, 12));
    // prototypes are unit vectors
    for (const v of zs.prototypeVectors()) expect(Math.hypot(...v)).toBeCloseTo(1, 12);
  });

  it('a lower temperature is more confident', async () => {
    const e = unit(axis(0, 0.3));
    const hot = (await buildZeroShot(taxonomy, new FakeEmbedder(DIM, known), 1)).predict([e])[0]!;
    const cold = (await buildZeroShot(taxonomy, new FakeEmbedder(DIM, known), 0.01)).predict([e])[0]!;
    expect(cold.sports!).toBeGreaterThan(hot.sports!);
    expect(cold.sports!).toBeGreaterThan(0.99);
  });

  it('version: stable, and changes with the taxonomy, the embedder and the temperature', async () => {
    const v = async (t: Taxonomy, id: string, temp: number) => (await buildZeroShot(t, new FakeEmbedder(DIM, known, id), temp)).version;
    const base = await v(taxonomy, 'e1', 0.05);
    expect(base).toMatch(/^[0-9a-f]{16}$/);
    expect(await v(taxonomy, 'e1', 0.05)).toBe(base);
    expect(await v(taxonomy, 'e2', 0.05)).not.toBe(base);
    expect(await v(taxonomy, 'e1', 0.06)).not.toBe(base);
    const edited = structuredClone(taxonomy);
    edited.labels[0]!.descriptions.en[0] = 'soccer';
    expect(await v(edited, 'e1', 0.05)).not.toBe(base);
  });

  it('refuses embeddings of another dimension and a non-positive temperature', async () => {
    const zs = await buildZeroShot(taxonomy, new FakeEmbedder(DIM, known), 0.05);
    try {
      zs.predict([new Float32Array(3)]);
      expect.unreachable();
    } catch (err) {
      expect(isPortraitError(err, 'CLASSIFIER_MISMATCH')).toBe(true);
    }
    await expect(buildZeroShot(taxonomy, new FakeEmbedder(DIM, known), 0)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
