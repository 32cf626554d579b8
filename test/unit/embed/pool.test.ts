import { describe, expect, it } from 'vitest';
import { chunkWeights, embedChunked, poolChunks, poolFlat } from '../../../src/embed/pool.js';
import type { Embedder } from '../../../src/embed/types.js';
import { embedStage } from '../../../src/pipeline/stages/3-embed.js';
import type { BatchContext, Prepared } from '../../../src/pipeline/stage.js';

const unit = (xs: number[]) => {
  const n = Math.hypot(...xs);
  return Float32Array.from(xs.map((x) => x / n));
};
const norm = (v: Float32Array) => Math.hypot(...v);

/** A deterministic embedder: a unit vector from the text's characters; records its calls. */
class FakeEmbedder implements Embedder {
  readonly id = 'fake@test/cls';
  readonly dim = 4;
  readonly calls: string[][] = [];
  async ready(): Promise<void> {}
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.calls.push([...texts]);
    return texts.map((t) => unit([t.length, t.charCodeAt(0) % 7, (t.charCodeAt(t.length - 1) % 5) + 1, 1]));
  }
  async close(): Promise<void> {}
}

describe('poolChunks', () => {
  it('gives one vector back as it is: the same object, bit for bit', () => {
    const v = unit([0.1, 0.2, 0.3, 0.4]);
    expect(poolChunks([v], [37])).toBe(v);
  });

  it('is the length-weighted mean, re-normalised to unit length', () => {
    const a = Float32Array.from([1, 0, 0]);
    const b = Float32Array.from([0, 1, 0]);
    const p = poolChunks([a, b], [300, 100]);
    expect(norm(p)).toBeCloseTo(1, 6);
    expect(p[0]! / p[1]!).toBeCloseTo(3, 6);
    expect(p[2]).toBe(0);
    // the plain mean would weigh both alike
    const plain = poolChunks([a, b], [1, 1]);
    expect(plain[0]).toBeCloseTo(plain[1]!, 7);
    expect(plain[0]).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('weights are relative: scaling them changes nothing, and equal vectors pool to themselves', () => {
    const a = unit([1, 2, 3]);
    const b = unit([3, -1, 0.5]);
    const p1 = poolChunks([a, b], [2, 5]);
    const p2 = poolChunks([a, b], [200, 500]);
    p1.forEach((x, i) => expect(x).toBeCloseTo(p2[i]!, 6));
    const same = poolChunks([a, a, a], [1, 9, 4]);
    same.forEach((x, i) => expect(x).toBeCloseTo(a[i]!, 6));
  });

  it('refuses mismatched input', () => {
    expect(() => poolChunks([], [])).toThrow(RangeError);
    expect(() => poolChunks([unit([1, 1])], [1, 2])).toThrow(RangeError);
    expect(() => poolChunks([unit([1, 1]), unit([1, 1, 1])], [1, 1])).toThrow(RangeError);
    expect(() => poolChunks([unit([1, 1]), unit([1, 0])], [1, -1])).toThrow(RangeError);
  });
});

describe('poolFlat and embedChunked', () => {
  it('weights chunks by their length in code units', () => {
    expect(chunkWeights(['abc', '好的', '👍'])).toEqual([3, 2, 2]);
  });

  it('pools each comment from its own chunks, in order', () => {
    const a = unit([1, 0]);
    const b = unit([0, 1]);
    const c = unit([1, 1]);
    const out = poolFlat([a, b, c], [['xxx'], ['y', 'zzz']]);
    expect(out[0]).toBe(a);
    expect(out[1]![1]! / out[1]![0]!).toBeCloseTo((0.5 ** 0.5 * 3 + 1) / (0.5 ** 0.5 * 3), 5);
    expect(() => poolFlat([a], [['x', 'y']])).toThrow(RangeError);
  });

  it('embeds every chunk of every comment in one call', async () => {
    const e = new FakeEmbedder();
    const out = await embedChunked(e, [['short'], ['part one.', 'part two, longer.'], ['x']]);
    expect(e.calls).toEqual([['short', 'part one.', 'part two, longer.', 'x']]);
    expect(out).toHaveLength(3);
    expect(await embedChunked(e, [])).toEqual([]);
    expect(e.calls).toHaveLength(1);
  });
});

describe('the embed stage', () => {
  const rec = { topic: 't', partition: 0, offset: '0', key: null, value: null, headers: {}, timestamp: '0' } as never;
  const comment = (text: string, chunks: string[]): Prepared => ({ rec, event: { type: 'comment', text } as never, text, chunks, terms: [] });

  it('gives a one-chunk comment exactly the embedder vector of its text, and pools a long one', async () => {
    const e = new FakeEmbedder();
    const items = [comment('a short comment', ['a short comment']), comment('long one. and more', ['long one.', 'and more']), { rec, event: { type: 'forget' } as never }];
    const { out } = await embedStage(e).run(items as Prepared[], {} as BatchContext);
    expect(e.calls).toEqual([['a short comment', 'long one.', 'and more']]);
    const [direct] = await new FakeEmbedder().embed(['a short comment']);
    const v0 = (out[0] as { vector: Float32Array }).vector;
    expect(Buffer.from(v0.buffer, v0.byteOffset, v0.byteLength).equals(Buffer.from(direct!.buffer))).toBe(true);
    const [c1, c2] = await new FakeEmbedder().embed(['long one.', 'and more']);
    expect((out[1] as { vector: Float32Array }).vector).toEqual(poolChunks([c1!, c2!], [9, 8]));
    expect(out[2]).toBe(items[2]);
  });
});
