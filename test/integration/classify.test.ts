/**
 * Classifiers on the real model (BAAI/bge-small-zh-v1.5, int8, worker thread): zero-shot with the
 * shipped taxonomy, and a random forest trained on a handful of inline sentences, saved and loaded.
 * int8 embeddings vary slightly with batch composition, so assertions leave a little room.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildZeroShot, loadClassifierArtifact, loadTaxonomy, saveArtifact, type ZeroShotClassifier } from '../../src/classify/index.js';
import { trainForest } from '../../src/train/index.js';
import { TransformersEmbedder } from '../../src/embed/transformers-embedder.js';
import { modelDir } from '../helpers/services.js';

const TAXONOMY = fileURLToPath(new URL('../../config/taxonomy.yaml', import.meta.url));

let embedder: TransformersEmbedder;
const embed = (texts: readonly string[]) => embedder.embed(texts.map((t) => t.toLowerCase()));
const top = (p: Record<string, number>) => Object.entries(p).sort((a, b) => b[1] - a[1])[0]![0];

beforeAll(async () => {
  embedder = new TransformersEmbedder({ model: 'BAAI/bge-small-zh-v1.5', modelDir: modelDir(), dtype: 'q8', pooling: 'cls', allowRemote: false, threads: 2, batchSize: 16 });
  await embedder.ready();
});

afterAll(async () => {
  await embedder?.close();
});

describe('zero-shot with config/taxonomy.yaml (real model)', () => {
  let zs: ZeroShotClassifier;
  beforeAll(async () => {
    zs = await buildZeroShot(loadTaxonomy(TAXONOMY), embedder, 0.05);
  });

  it('is built for this embedder', () => {
    expect(zs.dim).toBe(512);
    expect(zs.embedderId).toBe(embedder.id);
    expect(zs.version).toMatch(/^[0-9a-f]{16}$/);
  });

  it('labels clear examples right', async () => {
    const must: Array<[string, string]> = [
      ['今天的比赛太精彩了，梅西进了两个球', 'sports'],
      ['This new phone has an amazing camera and fast chip', 'technology'],
      ['这家火锅店的毛肚特别新鲜，下次还来', 'food_dining'],
    ];
    const more: Array<[string, string]> = [
      ['the pasta here was amazing and the dessert too', 'food_dining'],
      ['这部电影的结局太感人了，演员演技在线', 'entertainment'],
      ['最近股票跌得厉害，基金也亏了', 'finance'],
      ['周末带孩子去三亚玩，酒店很不错', 'travel'],
      ['My flight to Tokyo got delayed again', 'travel'],
      ['老板又让我们加班，不想干了', 'work_career'],
      ['这首歌太好听了，单曲循环', 'music'],
      ['感冒发烧好几天了，去医院打了针', 'health'],
      ['新买的电动车续航不错，开起来很安静', 'automotive'],
    ];
    const all = [...must, ...more];
    const probs = zs.predict(await embed(all.map(([t]) => t)));
    for (const p of probs) {
      expect(Object.keys(p)).toEqual([...zs.labels]);
      expect(Object.values(p).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 9);
    }
    must.forEach(([text, label], i) => expect(top(probs[i]!), text).toBe(label));
    const right = all.filter(([, label], i) => top(probs[i]!) === label).length;
    expect(right).toBeGreaterThanOrEqual(all.length - 2);
  });
});

describe('random forest on real embeddings (inline sentences)', () => {
  const train: Record<string, string[]> = {
    sports: [
      '今天的足球比赛太精彩了',
      '湖人队昨晚赢了，詹姆斯得了三十分',
      '国足又输了，太让人失望',
      '奥运会跳水冠军实至名归',
      '这场网球决赛打了五盘',
      'what a goal in the last minute of the match',
      'the lakers won the game last night',
      'our team lost the football final again',
      'she won the gold medal in swimming',
      'great tennis match, five sets of drama',
    ],
    food_dining: [
      '这家火锅店的毛肚很新鲜',
      '楼下新开的面馆味道不错',
      '周末在家做了红烧肉，特别下饭',
      '这家奶茶太甜了，不推荐',
      '烤鸭皮脆肉嫩，值得排队',
      'the pasta at this restaurant is delicious',
      'i baked chocolate cookies this weekend',
      'this sushi place is fresh and cheap',
      'the coffee here is too bitter for me',
      'best burger i have had in years',
    ],
    technology: [
      '新手机的拍照效果很好',
      '这台笔记本电脑的屏幕很清晰',
      '芯片性能提升明显，运行很流畅',
      '系统更新以后耗电变快了',
      '人工智能写代码越来越厉害',
      'this phone has an amazing camera',
      'the new laptop chip is really fast',
      'the latest software update drains my battery',
      'ai tools are changing how we write code',
      'my new tablet screen is bright and sharp',
    ],
  };
  const heldOut: Array<[string, string]> = [
    ['梅西在比赛最后时刻进球了', 'sports'],
    ['the basketball team scored 120 points', 'sports'],
    ['这家餐厅的牛排太好吃了', 'food_dining'],
    ['the noodles were tasty and the soup was hot', 'food_dining'],
    ['这款耳机的降噪效果很好，蓝牙连接稳定', 'technology'],
    ['the new graphics card runs every game smoothly', 'technology'],
  ];
  const dir = mkdtempSync(join(tmpdir(), 'portrait-int-forest-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains, saves, loads back and predicts held-out examples mostly right', async () => {
    const texts = Object.values(train).flat();
    const y = Object.entries(train).flatMap(([label, list]) => list.map(() => label));
    const X = await embed(texts);
    const artifact = trainForest(X, y, { embedder: { id: embedder.id, dim: embedder.dim } });
    expect(artifact.labels).toEqual(['food_dining', 'sports', 'technology']);
    expect(artifact.training.rows).toBe(30);

    const file = saveArtifact(dir, artifact);
    const clf = loadClassifierArtifact(file, { embedderId: embedder.id, dim: embedder.dim });
    expect(clf.version).toBe(artifact.version);
    expect(clf.kind).toBe('rf');

    const probs = clf.predict(await embed(heldOut.map(([t]) => t)));
    const right = heldOut.filter(([, label], i) => top(probs[i]!) === label).length;
    expect(right).toBeGreaterThanOrEqual(heldOut.length - 1);
    for (const p of probs) expect(Object.values(p).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 9);

    // the same artifact refuses another embedder
    expect(() => loadClassifierArtifact(file, { embedderId: 'other-model@fp32/mean', dim: embedder.dim })).toThrow(/trained on 512-dim embeddings/);
  });
});
