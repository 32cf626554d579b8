import { describe, expect, it } from 'vitest';
import { TransformersEmbedder } from '../../src/embed/transformers-embedder.js';
import { createTestTopics, modelDir, testAdmin, testKafka, testRedis, uniqueName } from '../helpers/services.js';

describe('real Kafka broker', () => {
  it('produces and consumes through a consumer group and commits the offset', async () => {
    const admin = await testAdmin();
    const [topic] = await createTestTopics(admin, 'smoke', 2);
    const kafka = testKafka();
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic: topic!, acks: -1, messages: [{ key: 'user-1', value: '你好 hello' }] });
    await producer.disconnect();

    const groupId = uniqueName('smoke-group');
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic: topic!, fromBeginning: true });
    const got = await new Promise<{ key: string; value: string; partition: number; offset: string }>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ message, partition }) => {
          await consumer.commitOffsets([{ topic: topic!, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
          resolve({ key: message.key!.toString(), value: message.value!.toString(), partition, offset: message.offset });
        },
      });
    });
    await consumer.disconnect();
    expect(got.key).toBe('user-1');
    expect(got.value).toBe('你好 hello');

    const offsets = await admin.fetchOffsets({ groupId, topics: [topic!] });
    const committed = offsets[0]!.partitions.find((p) => p.partition === got.partition);
    expect(committed?.offset).toBe(String(Number(got.offset) + 1));
    await admin.deleteGroups([groupId]);
  });
});

describe('real Redis', () => {
  it('round-trips a key', async () => {
    const { redis, prefix } = testRedis();
    const key = `${prefix}:roundtrip`;
    await redis.set(key, '画像', 'EX', 60);
    expect(await redis.get(key)).toBe('画像');
    expect(await redis.ttl(key)).toBeGreaterThan(0);
  });
});

describe('real embedding model (BAAI/bge-small-zh-v1.5, int8, in a worker thread)', () => {
  const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

  it('embeds paraphrases closer than unrelated text, in Chinese and lowercased English', async () => {
    const e = new TransformersEmbedder({ model: 'BAAI/bge-small-zh-v1.5', modelDir: modelDir(), dtype: 'q8', pooling: 'cls', allowRemote: false, threads: 2, batchSize: 16 });
    try {
      await e.ready();
      expect(e.dim).toBe(512);
      const [zh1, zh2, zhOther, en1, en2, enOther] = await e.embed([
        '这家餐厅的火锅非常好吃',
        '那家饭店的火锅味道很棒',
        '明天股市可能会继续下跌',
        'the battery of this phone lasts all day',
        'this phone has a long battery life',
        'my flight to paris was cancelled',
      ]);
      for (const v of [zh1, zh2, en1]) expect(Math.abs(Math.hypot(...v!) - 1)).toBeLessThan(1e-3);
      expect(cos(zh1!, zh2!)).toBeGreaterThan(cos(zh1!, zhOther!) + 0.1);
      expect(cos(en1!, en2!)).toBeGreaterThan(cos(en1!, enOther!) + 0.05);
    } finally {
      await e.close();
    }
  });

  it('answers concurrent requests (taken together by the worker) each with its own vectors, in order', async () => {
    const e = new TransformersEmbedder({ model: 'BAAI/bge-small-zh-v1.5', modelDir: modelDir(), dtype: 'q8', pooling: 'cls', allowRemote: false, threads: 2, batchSize: 4 });
    try {
      const requests = [['这家餐厅的火锅非常好吃', 'the battery of this phone lasts all day'], ['明天股市可能会继续下跌'], ['my flight to paris was cancelled', '今天天气很好', 'the match ended in a draw', '这本书很好看', 'a long hike in the alps']];
      const alone: Float32Array[][] = [];
      for (const r of requests) alone.push(await e.embed(r)); // one at a time
      const together = await Promise.all(requests.map((r) => e.embed(r))); // queued while the first runs
      together.forEach((vs, i) => {
        expect(vs).toHaveLength(requests[i]!.length);
        // the same text, whatever else shared its batch: int8 kernels move the vector only slightly
        vs.forEach((v, k) => expect(cos(v, alone[i]![k]!)).toBeGreaterThan(0.98));
      });
    } finally {
      await e.close();
    }
  });

  it('refuses to start without the model files, with a clear error', async () => {
    const e = new TransformersEmbedder({ model: 'BAAI/bge-small-zh-v1.5', modelDir: '/nonexistent-models', dtype: 'q8', pooling: 'cls', allowRemote: false, threads: 1, batchSize: 4 });
    await expect(e.ready()).rejects.toMatchObject({ code: 'MODEL_MISSING' });
    await e.close();
  });
});
