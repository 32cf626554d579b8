/**
 * PII never reaches what is embedded or counted: realistic Chinese and English comments through
 * the whole text stage (normalise → redact → lowercase → cap → segment), and through the batch
 * processor into the stored state and the profile event.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { CommentFlow } from '../../../src/pipeline/flow.js';
import { preprocess, isRejection } from '../../../src/text/index.js';
import { silentLogger } from '../../../src/util/logger.js';
import { fakeClassifier, HashEmbedder, MemoryStore } from '../fuzz/fakes.js';
import { POISON_TS } from '../fuzz/poison.js';

const cfg = loadConfig({ env: {} });

/** [comment, the PII in it (as written), placeholders expected in the text] */
const CASES: [string, string[], string[]][] = [
  ['有问题请打我手机 13800138000 或者发邮件到 zhang.wei.1987@example.com，谢谢', ['13800138000', 'zhang.wei.1987@example.com', 'zhang.wei.1987'], ['<phone>', '<email>']],
  ['我的电话是 +86 139-1234-5678，微信同号', ['139-1234-5678', '13912345678', '1234-5678'], ['<phone>']],
  ['电话：１３８　００１３　８０００（全角）', ['１３８', '13800138000', '0013'], ['<phone>']],
  ['身份证号 11010519491231002X 办了张卡 6212 3456 7890 1234 569', ['11010519491231002x', '6212 3456 7890 1234 569', '6212345678901234569'], ['<id>', '<card>']],
  ['快递地址发到这里 https://t.cn/A6x9Qz?uid=88231&token=abc 看一下', ['t.cn/a6x9qz', 'uid=88231', 'token=abc'], ['<url>']],
  ['Call me at +1 (415) 555-0100 or email Jane.Doe@Example.org about the camera', ['555-0100', 'jane.doe@example.org', 'jane.doe'], ['<phone>', '<email>']],
  ['My card 4111 1111 1111 1111 was charged twice for this phone, see www.shop-example.com/orders/123', ['4111 1111 1111 1111', '4111111111111111', 'shop-example.com'], ['<card>', '<url>']],
  ['UK office +44 20 7946 0958, ask for Sam (sam_smith@corp.co.uk)', ['7946 0958', 'sam_smith@corp.co.uk', 'sam_smith'], ['<phone>', '<email>']],
  ['联系我 ZHANG\u200BSAN@QQ.COM 零宽字符也藏不住', ['zhangsan@qq.com', 'zhang\u200bsan@qq.com', 'zhangsan'], ['<email>']],
];

describe('PII redaction, Chinese and English comments', () => {
  it.each(CASES)('%s', (comment, pii, placeholders) => {
    const p = preprocess(comment, cfg.text);
    if (isRejection(p)) throw new Error(`rejected: ${p.detail}`);
    const everything = [p.text, ...p.tokens].join(' ').toLowerCase();
    for (const x of pii) expect(everything, x).not.toContain(x.toLowerCase());
    for (const ph of placeholders) expect(p.text).toContain(ph);
    // placeholders are not terms
    for (const t of p.tokens) expect(t).not.toMatch(/^<.*>$/);
    // no run of 7+ digits survives anywhere
    expect(everything).not.toMatch(/\d[\d -]{5,}\d/);
  });

  it('keeps the PII out of the stored state and the published profile (batch processor, in-memory store)', async () => {
    const store = new MemoryStore();
    const p = cfg.profile;
    const proc = new CommentFlow({
      embedder: new HashEmbedder(),
      classifier: () => fakeClassifier,
      store: () => store.asStore(),
      params: { halfLifeMs: p.halfLifeDays * 86_400_000, maxTerms: p.maxTerms, evidencePerLabel: p.evidencePerLabel, topK: p.topK, topTerms: p.topTerms },
      text: cfg.text,
      decode: cfg.events,
      clock: () => POISON_TS + 1000,
      log: silentLogger,
    });
    const out = await proc.process(
      CASES.map(([text], i) => ({
        topic: 'comments',
        partition: 0,
        offset: i,
        key: Buffer.from('pii-user'),
        value: Buffer.from(JSON.stringify({ schemaVersion: 1, eventId: `e${i}`, userId: 'pii-user', commentId: `c${i}`, ts: POISON_TS - i * 1000, text })),
        headers: {},
      })),
    );
    expect(out.stats.applied).toBe(CASES.length);
    const dump = [...store.written, ...out.profiles.map((r) => String(r.value))].join('\n').toLowerCase();
    expect(dump.length).toBeGreaterThan(500);
    for (const [, pii] of CASES) for (const x of pii) expect(dump, x).not.toContain(x.toLowerCase());
  });
});
