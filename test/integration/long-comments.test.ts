/**
 * Long comments on the real model (BAAI/bge-small-zh-v1.5, int8, worker thread): the same first
 * 512+ characters followed by different later sentences. Cut at text.maxChars (maxChunks 1) the two
 * comments are the same text and get the same vector; chunked and pooled (the default, maxChunks 8)
 * their later sentences change the vector and the top label of their profile contribution. A
 * comment that fits one chunk gets exactly the embedder's vector of its text.
 *
 * The opening: generic review sentences (src/eval/long-reviews.ts, FILLER); the later sentences:
 * SIB-200 test rows (data/sib200_{en,zh}.jsonl), classified zero-shot with
 * config/taxonomies/sib200.yaml.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadZeroShot } from '../../src/classify/zero-shot-calibration.js';
import type { ZeroShotClassifier } from '../../src/classify/zero-shot.js';
import { loadConfig, projectPath } from '../../src/config/index.js';
import { FILLER } from '../../src/eval/long-reviews.js';
import { TransformersEmbedder } from '../../src/embed/transformers-embedder.js';
import { preprocessStage } from '../../src/pipeline/stages/2-preprocess.js';
import { embedStage } from '../../src/pipeline/stages/3-embed.js';
import type { BatchContext, Decoded, Embedded, Prepared } from '../../src/pipeline/stage.js';
import { readLabelledRows } from '../../src/sim/jsonl.js';
import { preprocess } from '../../src/text/index.js';
import { modelDir } from '../helpers/services.js';

const cfg = loadConfig({ env: {} });
const MAX_CHARS = cfg.text.maxChars;

let embedder: TransformersEmbedder;
let zs: ZeroShotClassifier;

beforeAll(async () => {
  embedder = new TransformersEmbedder({ model: cfg.embedder.model, modelDir: modelDir(), dtype: cfg.embedder.dtype, pooling: cfg.embedder.pooling, allowRemote: false, threads: 2, batchSize: 16 });
  await embedder.ready();
  zs = (await loadZeroShot(projectPath('config/taxonomies/sib200.yaml'), embedder)).classifier as ZeroShotClassifier;
}, 180_000);

afterAll(async () => {
  await embedder?.close();
});

/** Test sentences of one label, joined (with `sep`) until at least `chars` characters. */
function sentencesOf(file: string, label: string, chars: number, sep: string): string {
  const out: string[] = [];
  let n = 0;
  for (const r of readLabelledRows(projectPath(file))) {
    if (r.label !== label || r.split !== 'test') continue;
    out.push(r.text);
    n += r.text.length + sep.length;
    if (n >= chars) break;
  }
  return out.join(sep);
}

const comment = (text: string, i: number): Decoded => ({
  rec: { topic: 't', partition: 0, offset: String(i), key: `u${i}`, value: null, headers: {}, timestamp: '0' } as never,
  event: { type: 'comment', schemaVersion: 1, eventId: `e${i}`, userId: `u${i}`, commentId: `c${i}`, ts: 0, text } as never,
});

/** The pipeline's stages 2 and 3 on `texts`, in one batch: each comment's chunks and vector. */
async function embedThroughStages(texts: string[], maxChunks: number): Promise<{ chunks: string[]; vector: Float32Array }[]> {
  const batch = {} as BatchContext;
  const prepared = await preprocessStage({ ...cfg.text, maxChunks }).run(texts.map(comment), batch);
  expect(prepared.rejected ?? []).toEqual([]);
  const embedded = await embedStage(embedder).run(prepared.out as Prepared[], batch);
  return (embedded.out as Exclude<Embedded, { event: { type: 'forget' } }>[]).map((e) => ({ chunks: e.chunks, vector: e.vector }));
}

const probs = (v: Float32Array) => zs.predict([v])[0]!;
const top = (v: Float32Array) => Object.entries(probs(v)).sort((a, b) => b[1] - a[1])[0]![0];

/** Generic opening sentences, in order (cycling), until at least `chars` characters. */
function opening(lang: 'en' | 'zh', chars: number, sep: string): string {
  const out: string[] = [];
  for (let i = 0, n = 0; n < chars; i++) {
    const s = FILLER[lang][i % FILLER[lang].length]!;
    out.push(s);
    n += s.length + sep.length;
  }
  return out.join(sep);
}
const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe.each([
  { lang: 'en' as const, file: 'data/sib200_en.jsonl', sep: ' ' },
  { lang: 'zh' as const, file: 'data/sib200_zh.jsonl', sep: '' },
])('a long $lang comment (real model)', ({ lang, file, sep }) => {
  // the same opening of more than maxChars that says nothing in particular, then ~1,500
  // characters on sports or on health
  const head = opening(lang, MAX_CHARS + 8, sep);
  const sports = `${head}${sep}${sentencesOf(file, 'sports', 1500, sep)}`;
  const health = `${head}${sep}${sentencesOf(file, 'health', 1500, sep)}`;

  it('cut at maxChars (maxChunks 1), two comments that differ only after the cut give the same vector', async () => {
    const [a, b] = await embedThroughStages([sports, health], 1);
    expect(a!.chunks).toEqual(b!.chunks);
    expect(a!.chunks).toHaveLength(1);
    expect(cosine(a!.vector, b!.vector)).toBeCloseTo(1, 5);
    expect(top(a!.vector)).toBe(top(b!.vector));
  });

  it('chunked and pooled (the default), their later sentences change the vector and the top label', async () => {
    const [cutA, cutB] = await embedThroughStages([sports, health], 1);
    const [a, b] = await embedThroughStages([sports, health], cfg.text.maxChunks);
    expect(a!.chunks.length).toBeGreaterThan(2);
    expect(b!.chunks.length).toBeGreaterThan(2);
    for (const c of [...a!.chunks, ...b!.chunks]) expect(c.length).toBeLessThanOrEqual(MAX_CHARS);
    // the opening chunk is shared; what follows is not
    expect(a!.chunks[0]).toBe(b!.chunks[0]);
    expect(cosine(a!.vector, b!.vector)).toBeLessThan(0.95);
    expect(top(a!.vector)).not.toBe(top(b!.vector));
    expect(top(a!.vector)).toBe('sports');
    if (lang === 'zh') expect(top(b!.vector)).toBe('health');
    // each comment's own topic gained what the cut had lost
    // (measured: sports 0.09 → 0.53 en, 0.04 → 0.92 zh; health 0.23 → 0.30 en, where the zero-shot
    // taxonomy reads the pooled health sentences as science, and 0.14 → 0.76 zh)
    expect(probs(a!.vector).sports!).toBeGreaterThan(probs(cutA!.vector).sports! + 0.25);
    expect(probs(b!.vector).health!).toBeGreaterThan(probs(cutB!.vector).health! + (lang === 'zh' ? 0.25 : 0));
  });

  it('gives a comment of one chunk exactly the vector of its text, as before chunking', async () => {
    const short = sentencesOf(file, 'sports', 100, sep);
    const [viaStages] = await embedThroughStages([short], cfg.text.maxChunks);
    const before = preprocess(short, { maxChars: MAX_CHARS, maxChunks: 1 });
    expect(viaStages!.chunks).toEqual([(before as { text: string }).text]);
    const [direct] = await embedder.embed(viaStages!.chunks);
    expect(Buffer.from(viaStages!.vector.buffer, viaStages!.vector.byteOffset, viaStages!.vector.byteLength).equals(Buffer.from(direct!.buffer, direct!.byteOffset, direct!.byteLength))).toBe(true);
  });
});
