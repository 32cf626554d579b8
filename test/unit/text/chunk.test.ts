import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkText, hardCut, sentenceEnds } from '../../../src/text/chunk.js';
import { preprocess, isRejection, WINDOW_FACTOR, type Preprocessed, type PreprocessOptions } from '../../../src/text/preprocess.js';
import { anyString, piiTarget, wellFormed } from './generators.js';

/** The sentences of `text`, trailing whitespace included: they concatenate back to `text`. */
function sentences(text: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (const end of sentenceEnds(text)) {
    out.push(text.slice(from, end));
    from = end;
  }
  return out;
}

function ok(raw: string, opts: PreprocessOptions): Preprocessed {
  const r = preprocess(raw, opts);
  if (isRejection(r)) throw new Error(`unexpected rejection: ${r.code} ${r.detail}`);
  return r;
}

const graphemes = new Intl.Segmenter('und', { granularity: 'grapheme' });
/** Whether `offset` is a grapheme-cluster boundary of `text`. */
const onGrapheme = (text: string, offset: number) => offset === 0 || offset === text.length || [...graphemes.segment(text)].some((g) => g.index === offset);
/** Whether some grapheme cluster of `text` is longer than `max` code units (a cut must then fall inside it: cutAtGrapheme's documented fallback). */
const clusterLongerThan = (text: string, max: number) => [...graphemes.segment(text)].some((g) => g.segment.length > max);
/** Not between the two halves of a surrogate pair. */
const onCodePoint = (text: string, offset: number) => !(offset > 0 && offset < text.length && /[\ud800-\udbff]/.test(text.charAt(offset - 1)) && /[\udc00-\udfff]/.test(text.charAt(offset)));

describe('sentenceEnds', () => {
  it('breaks English after . ! ? ; and keeps the whitespace with the sentence', () => {
    expect(sentences('good phone. the battery lasts long; screen ok! really? yes.')).toEqual(['good phone. ', 'the battery lasts long; ', 'screen ok! ', 'really? ', 'yes.']);
  });

  it('breaks Chinese after 。！？； (full-width or NFKC-folded) without any space', () => {
    expect(sentences('手机很好。电池很长；屏幕不错！真的吗？是的')).toEqual(['手机很好。', '电池很长；', '屏幕不错！', '真的吗？', '是的']);
    expect(sentences('手机很好!电池很长;屏幕不错?是的')).toEqual(['手机很好!', '电池很长;', '屏幕不错?', '是的']);
  });

  it('keeps closing quotes and brackets with their sentence, and a run of marks together', () => {
    expect(sentences('他说"太好了!"然后走了。真的?!(对。)好')).toEqual(['他说"太好了!"', '然后走了。', '真的?!', '(对。)', '好']);
    expect(sentences('wait... what?! ok')).toEqual(['wait... ', 'what?! ', 'ok']);
  });

  it('does not break inside numbers, versions or a dot glued to a word', () => {
    expect(sentences('pi is 3.14 and v1.2.3 is out. e.g.this stays')).toEqual(['pi is 3.14 and v1.2.3 is out. ', 'e.g.this stays']);
    expect(sentences('价格是3.5元.下次再来')).toEqual(['价格是3.5元.', '下次再来']);
  });

  it('breaks at every line break', () => {
    expect(sentences('first line\nsecond line\n\nthird')).toEqual(['first line\n', 'second line\n\n', 'third']);
  });

  it('covers the text exactly, whatever it is', () => {
    fc.assert(
      fc.property(fc.oneof(anyString(300), fc.string({ unit: 'grapheme', maxLength: 300 })), (text) => {
        const s = sentences(text);
        expect(s.join('')).toBe(text);
        for (const x of s) expect(x.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });
});

describe('chunkText', () => {
  const en = (i: number) => `Sentence number ${i} talks about the battery life of this phone. `;

  it('gives a text that fits one chunk back as it is', () => {
    expect(chunkText('short. text', 100, 8)).toEqual({ chunks: ['short. text'], end: 11 });
  });

  it('packs whole consecutive English sentences up to maxChars', () => {
    const text = Array.from({ length: 20 }, (_, i) => en(i))
      .join('')
      .trim();
    const { chunks, end } = chunkText(text, 200, 8);
    expect(end).toBe(text.length);
    expect(chunks.join(' ')).toBe(text);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(200);
      expect(c).toMatch(/^Sentence number \d+ .*phone\.$/);
    }
    // greedy: the next sentence would not have fitted
    for (let i = 0; i + 1 < chunks.length; i++) expect(`${chunks[i]} ${chunks[i + 1]!.split('. ')[0]}.`.length).toBeGreaterThan(200);
  });

  it('packs Chinese sentences with no spaces between them', () => {
    const text = Array.from({ length: 30 }, (_, i) => `第${i}句话说这款手机的电池很耐用。`).join('');
    const { chunks } = chunkText(text, 64, 20);
    expect(chunks.join('')).toBe(text);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(64);
      expect(c.endsWith('。')).toBe(true);
    }
  });

  it('breaks at line breaks and gives them back as spaces', () => {
    const text = `${'a line without a full stop '.repeat(3).trim()}\n${'another line here '.repeat(3).trim()}`;
    const { chunks } = chunkText(text, 90, 8);
    expect(chunks).toEqual(['a line without a full stop a line without a full stop a line without a full stop', 'another line here another line here another line here']);
  });

  it('cuts a sentence longer than maxChars at a space, Chinese on a grapheme boundary, and packs on after it', () => {
    const words = `${'word '.repeat(50).trim()}. tail.`;
    const w = chunkText(words, 32, 20).chunks;
    for (const c of w.slice(0, -1)) expect(c).toMatch(/^(word ?)+\.?$/);
    expect(w.join(' ')).toBe(words);
    const zh = `${'长'.repeat(100)}。短句。`;
    const z = chunkText(zh, 32, 8).chunks;
    expect(z.map((c) => c.length)).toEqual([32, 32, 32, 8]);
    expect(z[3]).toBe('长长长长。短句。');
  });

  it('never cuts inside a grapheme cluster', () => {
    const emoji = `好${'👍🏽'.repeat(40)}`; // 4 code units each, one cluster
    const { chunks, end } = chunkText(emoji, 30, 20);
    expect(chunks.join('')).toBe(emoji);
    expect(end).toBe(emoji.length);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(30);
      expect(wellFormed(c)).toBe(true);
    }
    expect(chunks[0]).toBe(`好${'👍🏽'.repeat(7)}`);
  });

  it('never cuts a PII placeholder in half', () => {
    const text = `${'x'.repeat(28)}<phone>${'y'.repeat(40)}`;
    const { chunks } = chunkText(text, 32, 8);
    expect(chunks[0]).toBe('x'.repeat(28));
    expect(chunks[1]!.startsWith('<phone>')).toBe(true);
    expect(hardCut(text, 0, 32)).toBe(28);
  });

  it('stops at maxChunks and says where', () => {
    const text = Array.from({ length: 40 }, (_, i) => en(i))
      .join('')
      .trim();
    const { chunks, end } = chunkText(text, 200, 3);
    expect(chunks).toHaveLength(3);
    expect(text.slice(0, end).trim().endsWith(chunks[2]!)).toBe(true);
    expect(end).toBeLessThan(text.length);
  });

  it('cuts inside a grapheme cluster longer than a chunk, on a code point (the counterexample fast-check found: Ố as O + two combining marks, maxChars 2)', () => {
    const text = 'O\u0302\u0301';
    expect(chunkText(text, 2, 1)).toEqual({ chunks: ['O\u0302'], end: 2 });
  });

  it('holds its invariants on any text', () => {
    fc.assert(
      fc.property(fc.oneof(anyString(600), fc.string({ unit: 'grapheme', maxLength: 600 })), fc.integer({ min: 2, max: 120 }), fc.integer({ min: 1, max: 10 }), (raw, maxChars, maxChunks) => {
        const text = raw.replace(/\s+/g, ' ').trim();
        const { chunks, end } = chunkText(text, maxChars, maxChunks);
        expect(chunks.length).toBeLessThanOrEqual(maxChunks);
        expect(end).toBeGreaterThanOrEqual(0);
        expect(end).toBeLessThanOrEqual(text.length);
        // on a grapheme boundary, unless a single cluster is longer than a chunk (then on a code point)
        expect(onGrapheme(text, end) || !wellFormed(text) || (clusterLongerThan(text, maxChars) && onCodePoint(text, end))).toBe(true);
        let from = 0;
        for (const c of chunks) {
          expect(c.length).toBeGreaterThan(0);
          expect(c.length).toBeLessThanOrEqual(Math.max(maxChars, 0));
          expect(c).toBe(c.trim());
          // the chunks are pieces of the text, in order, and cover it up to `end`
          const at = text.indexOf(c, from);
          expect(at).toBeGreaterThanOrEqual(from);
          expect(text.slice(from, at).trim()).toBe('');
          from = at + c.length;
        }
        expect(text.slice(from, end).trim()).toBe('');
        if (chunks.length < maxChunks) expect(text.slice(end).trim()).toBe('');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('preprocess with maxChunks', () => {
  const review = (n: number) => Array.from({ length: n }, (_, i) => `Paragraph ${i}: the hotel room was clean and the staff were friendly.`).join('\n');

  it('gives a comment that fits one chunk exactly what it gave before chunking', () => {
    for (const raw of ['我今天买了新的iPhone 15 Pro，拍照效果真的 Amazing！', 'short text\nwith a line break', 'x'.repeat(512)]) {
      const before = ok(raw, { maxChars: 512 });
      const after = ok(raw, { maxChars: 512, maxChunks: 8 });
      expect(after).toEqual(before);
      expect(after.chunks).toEqual([after.text]);
    }
  });

  it('with maxChunks 1 cuts a long comment at maxChars, as before', () => {
    const r = ok(review(40), { maxChars: 200, maxChunks: 1 });
    expect(r.chunks).toEqual([r.text]);
    expect(r.text.length).toBeLessThanOrEqual(200);
    expect(r.truncated).toBe(true);
  });

  it('embeds a long comment whole in sentence-packed chunks, and takes its terms from all of it', () => {
    const raw = `${review(20)}\nFinally the breakfast buffet deserves a mention.`;
    const r = ok(raw, { maxChars: 200, maxChunks: 20 });
    expect(r.truncated).toBe(false);
    expect(r.chunks.length).toBeGreaterThan(1);
    expect(r.chunks.join(' ')).toBe(r.text);
    expect(r.text).toBe(raw.toLowerCase().replace(/\n/g, ' '));
    for (const c of r.chunks) expect(c.length).toBeLessThanOrEqual(200);
    expect(r.tokens).toEqual(expect.arrayContaining(['hotel', 'breakfast', 'buffet']));
    const cut = ok(raw, { maxChars: 200, maxChunks: 1 });
    expect(cut.tokens).not.toContain('breakfast');
  });

  it('caps the work at maxChunks chunks of maxChars', () => {
    const r = ok(review(200), { maxChars: 200, maxChunks: 3 });
    expect(r.chunks).toHaveLength(3);
    expect(r.text.length).toBeLessThanOrEqual(600 + 2); // the chunks and a space between two
    expect(r.chunks.join(' ')).toBe(r.text);
    expect(r.truncated).toBe(true);
  });

  it('grows the raw window to cover every chunk (WINDOW_FACTOR × maxChars × maxChunks)', () => {
    // the topic word sits past the old window of WINDOW_FACTOR × maxChars code units
    const pad = '\u200B'.repeat(WINDOW_FACTOR * 100 + 50);
    const raw = `${pad}the museum was wonderful. ${'and more. '.repeat(30)}`;
    expect(isRejection(preprocess(raw, { maxChars: 100, maxChunks: 1 }))).toBe(true);
    expect(ok(raw, { maxChars: 100, maxChunks: 4 }).tokens).toContain('museum');
  });

  it('redacts PII anywhere in the text, in every chunk and in the terms', () => {
    const raw = Array.from({ length: 30 }, (_, i) => `Line ${i}: call 138 0013 8000 or mail john.doe${i}@example.com, card 4111 1111 1111 1111.`).join('\n');
    const r = ok(raw, { maxChars: 120, maxChunks: 64 });
    expect(r.chunks.length).toBeGreaterThan(10);
    const everything = [r.text, ...r.chunks, ...r.tokens].join(' ');
    expect(everything).not.toMatch(/138|0013|8000|john\.doe|example\.com|4111/);
    expect(r.redactions).toEqual({ phone: 30, email: 30, card: 30 });
  });

  it('does not break at a line break that a PII match spans (the redacted text decides)', () => {
    // "138\n0013 8000" is one phone number to the single-space text the patterns run on
    const raw = `${'filler sentence without end '.repeat(10)}call 138\n0013 8000 now`;
    const r = ok(raw, { maxChars: 100, maxChunks: 8 });
    expect(r.redactions).toEqual({ phone: 1 });
    expect(r.chunks.join(' ')).not.toMatch(/0013|8000/);
  });

  it('never lets generated PII through to a chunk (property)', () => {
    const pii = piiTarget;
    const filler = fc.string({ unit: 'grapheme', maxLength: 300 });
    const sep = fc.constantFrom(' ', '\n', '. ', '。', '\n\n');
    fc.assert(
      fc.property(filler, sep, pii, sep, filler, fc.integer({ min: 8, max: 80 }), fc.integer({ min: 2, max: 12 }), (before, s1, target, s2, after, maxChars, maxChunks) => {
        const r = preprocess(`${before}${s1}${target.written}${s2}${after}`, { maxChars, maxChunks });
        if (isRejection(r)) return;
        for (const c of r.chunks) {
          expect(c.replace(/[\s\-.()+]/g, '')).not.toContain(target.secret);
          expect(c).not.toContain(target.written.toLowerCase());
          expect(c.length).toBeLessThanOrEqual(maxChars);
        }
        expect(r.chunks.length).toBeLessThanOrEqual(maxChunks);
        expect(r.text.length).toBeLessThanOrEqual(maxChars * maxChunks + maxChunks - 1);
      }),
      { numRuns: 1000 },
    );
  });

  it('outputs well-formed, lowercase, trimmed chunks within the caps (property)', () => {
    fc.assert(
      fc.property(fc.oneof(anyString(800), fc.string({ unit: 'grapheme', maxLength: 800 })), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 10 }), (raw, maxChars, maxChunks) => {
        const r = preprocess(raw, { maxChars, maxChunks });
        if (isRejection(r)) return;
        expect(r.chunks.length).toBeGreaterThanOrEqual(1);
        expect(r.chunks.length).toBeLessThanOrEqual(maxChunks);
        // the chunks, and at most one space between two of them
        expect(r.text.length).toBeLessThanOrEqual(maxChars * maxChunks + maxChunks - 1);
        for (const c of r.chunks) {
          expect(wellFormed(c)).toBe(true);
          expect(c).toBe(c.toLowerCase());
          expect(c).toBe(c.trim());
          expect(c.length).toBeLessThanOrEqual(maxChars);
          expect(r.text).toContain(c);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('stays cheap on inputs built to make regexes backtrack, with the larger window', () => {
    for (const raw of [`${'a'.repeat(50_000)}@`, `${'1 '.repeat(50_000)}x`, `+${'1-'.repeat(50_000)}`, `https://${'a.'.repeat(50_000)}`, `${'a@'.repeat(50_000)}`, `x${'\u0301'.repeat(50_000)}`]) {
      const t0 = performance.now();
      const r = preprocess(raw, { maxChars: 512, maxChunks: 8 });
      expect(performance.now() - t0).toBeLessThan(2000);
      if (!isRejection(r)) for (const c of r.chunks) expect(c.length).toBeLessThanOrEqual(512);
    }
  });
});
