/**
 * Bench (c), in its own process: the seed method's naive shape, as a baseline. One message at a
 * time (kafkajs eachMessage, auto-commit); the transformers.js pipeline on the main thread with
 * default settings (no thread or session options) and batch 1; an ml-random-forest with default
 * options (trained first on ~300 labelled rows, not timed; the trained model is cached); per
 * message one Redis read and one Redis write of the user's JSON profile, and one produce (acks=all)
 * of the refreshed profile. No batching anywhere.
 *
 * Env BENCH_ARGS (JSON): { brokers, redisUrl, topic, profilesTopic, groupId, prefix, modelDir, model, trainRows, cacheFile }.
 * IPC: 'ready' (after training), then { cmd: 'reset' | 'report' | 'stop' }.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { env, pipeline } from '@huggingface/transformers';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { RandomForestClassifier } from 'ml-random-forest';
import { isRejection, preprocess } from '../../src/text/index.js';
import { trainingRows } from '../lib/corpus.js';
import { Probe } from '../lib/probe.js';

interface Args {
  brokers: string[];
  redisUrl: string;
  topic: string;
  profilesTopic: string;
  groupId: string;
  prefix: string;
  modelDir: string;
  model: string;
  trainRows: number;
  cacheFile: string;
}

const args = JSON.parse(process.env.BENCH_ARGS ?? '{}') as Args;
const probe = new Probe({ redisPort: Number(new URL(args.redisUrl).port || 6379), kafkaPorts: args.brokers.map((b) => Number(b.split(':').pop())) });
probe.instrumentIoredis(Redis as never);

env.localModelPath = args.modelDir.endsWith('/') ? args.modelDir : `${args.modelDir}/`;
env.allowLocalModels = true;
env.allowRemoteModels = false;
// default settings: no session_options (onnxruntime's own thread count and spinning)
const extractor = await pipeline('feature-extraction', args.model, { dtype: 'q8' });
const embedOne = async (text: string): Promise<number[]> => Array.from((await extractor(text, { pooling: 'cls', normalize: true })).data as Float32Array);

// the classifier: ml-random-forest at its defaults, trained on labelled rows (cached between runs)
const rows = trainingRows(args.trainRows);
const labels = [...new Set(rows.map((r) => r.label))].sort();
const tag = createHash('sha256')
  .update(JSON.stringify([args.model, rows.map((r) => r.id)]))
  .digest('hex')
  .slice(0, 16);
const cacheFile = args.cacheFile.replace('{tag}', tag);
let rf: RandomForestClassifier;
let trainSeconds = 0;
if (existsSync(cacheFile)) {
  rf = RandomForestClassifier.load(JSON.parse(readFileSync(cacheFile, 'utf8')) as never);
} else {
  const X: number[][] = [];
  for (const r of rows) X.push(await embedOne(r.prepared));
  const y = rows.map((r) => labels.indexOf(r.label));
  const t0 = performance.now();
  rf = new RandomForestClassifier({});
  rf.train(X, y);
  trainSeconds = (performance.now() - t0) / 1000;
  writeFileSync(cacheFile, JSON.stringify(rf.toJSON()));
}

const redis = new Redis(args.redisUrl, { maxRetriesPerRequest: 3 });
const kafka = new Kafka({ clientId: 'bench-naive', brokers: args.brokers, logLevel: logLevel.NOTHING });
const producer = kafka.producer({ allowAutoTopicCreation: true });
await producer.connect();
const consumer = kafka.consumer({ groupId: args.groupId });
await consumer.connect();
await consumer.subscribe({ topic: args.topic, fromBeginning: true });

let done = 0;
let first = 0;
let last = 0;
const stage = { embed: 0, predict: 0, redis: 0, produce: 0 };

interface NaiveProfile {
  count: number;
  labels: Record<string, number>;
  centroid: number[];
}

probe.reset();
await consumer.run({
  eachMessage: async ({ message }) => {
    const ev = JSON.parse(message.value!.toString('utf8')) as { userId: string; eventId: string; text: string };
    const p = preprocess(ev.text, { maxChars: 512 });
    if (!isRejection(p)) {
      const t0 = performance.now();
      const vec = await embedOne(p.text);
      const t1 = performance.now();
      const label = labels[rf.predict([vec])[0]!] ?? 'unknown';
      const t2 = performance.now();
      const key = `${args.prefix}:naive:${ev.userId}`;
      const raw = await redis.get(key);
      const prof: NaiveProfile = raw ? (JSON.parse(raw) as NaiveProfile) : { count: 0, labels: {}, centroid: new Array<number>(vec.length).fill(0) };
      prof.count++;
      prof.labels[label] = (prof.labels[label] ?? 0) + 1;
      prof.centroid = prof.centroid.map((c, i) => c + (vec[i]! - c) / prof.count);
      await redis.set(key, JSON.stringify(prof));
      const t3 = performance.now();
      await producer.send({ topic: args.profilesTopic, acks: -1, messages: [{ key: ev.userId, value: JSON.stringify({ userId: ev.userId, ...prof, causedBy: [ev.eventId] }) }] });
      const t4 = performance.now();
      stage.embed += t1 - t0;
      stage.predict += t2 - t1;
      stage.redis += t3 - t2;
      stage.produce += t4 - t3;
    }
    const now = Date.now();
    if (done === 0) first = now;
    last = now;
    done++;
  },
});

process.on('message', (m: { cmd: string; id?: number }) => {
  if (m.cmd === 'reset') {
    done = 0;
    probe.reset();
    for (const k of Object.keys(stage) as (keyof typeof stage)[]) stage[k] = 0;
    process.send!({ type: 'ack', id: m.id });
  } else if (m.cmd === 'report') {
    process.send!({ type: 'report', id: m.id, report: { done, first, last, stage, trainSeconds, trees: rf.estimators?.length ?? 0, probe: probe.snapshot() } });
  } else if (m.cmd === 'stop') {
    void (async () => {
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      redis.disconnect();
      process.send!({ type: 'stopped', id: m.id }, () => process.exit(0));
    })();
  }
});
process.send!({ type: 'ready', trainSeconds });
