/**
 * Fault-injection harness for test/integration/reliability: the same comment stream processed by a
 * clean `portrait run` (run A) and by a faulty one (run B: killed, starved of Redis, cut off from
 * the broker, rebalanced, ...) into separate key prefixes, groups and output topics, then compared
 * user by user. docs/reliability.md explains what is compared and why.
 *
 * Processors are real child processes (`node bin/portrait.js run`), so `kill -9` is real. Both runs
 * embed with batch size 1: the int8 model's output for a text depends on the other texts of its
 * batch (dynamic activation quantisation), so only batch-independent embeddings make two runs with
 * different batch boundaries comparable bit for bit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Kafka as KafkaClient, logLevel, type Admin, type Kafka, type SASLOptions } from 'kafkajs';
import { Cluster, Redis } from 'ioredis';
import { expect } from 'vitest';
import { loadConfig, projectPath } from '../../src/config/index.js';
import { decodeState } from '../../src/profile/index.js';
import { readLabelledRows } from '../../src/sim/jsonl.js';
import { simulateUsers, type SimCommentEvent } from '../../src/sim/users.js';
import { Keys } from '../../src/store/index.js';
import type { RedisClient } from '../../src/store/redis-client.js';
import { scanKeys } from '../../src/store/scan.js';
import { startKafka, stopKafka, type KafkaStackOptions } from '../../src/stack/kafka.js';
import { waitForPort } from '../../src/stack/proc.js';
import { expectedRejection as oracle } from '../unit/fuzz/poison.js';
import { readAll, type ReadMessage } from './kafka.js';
import { tcpProxy, type TcpProxy } from './tcp-proxy.js';
import { tempDir } from './tmp.js';
import { expectSameCentroid } from './centroid.js';
import { waitFor } from './wait.js';
import { brokers, createTestTopics, deleteByPrefix, redisUrl, registerCleanup, testAdmin, testKafka, uniqueName } from './services.js';

export const BIN = resolve(import.meta.dirname, '../../bin/portrait.js');
export const DIM = 512;
const NAMESPACE = 'main';

// ---------------------------------------------------------------------------------------------
// the data set

/** A record that must be dead-lettered with `reason`. */
export interface BadRecord {
  key: string | null;
  value: Buffer | string | null;
  reason: string;
}

export interface Dataset {
  events: SimCommentEvent[];
  bad: BadRecord[];
  /** what is produced, in order: the events with the bad records spread among them */
  messages: { key: string | null; value: Buffer | string | null }[];
}

/** Short English comments (clinc150) from simulated users, plus a few bad records spread through. */
export function buildDataset(opts: { comments: number; users: number; seed: number }): Dataset {
  const rows = readLabelledRows(projectPath('data/clinc150_en.jsonl'));
  const sim = simulateUsers(rows, { users: opts.users, limit: opts.comments, seed: opts.seed, startTs: Date.parse('2026-06-01T00:00:00Z'), spanMs: 90 * 86_400_000, lang: 'en' });
  const ts = Date.parse('2026-07-01T00:00:00Z');
  const bad: BadRecord[] = [
    { key: 'u-bad-json', value: '{"schemaVersion":1,', reason: 'REJECT_INVALID_JSON' },
    { key: 'u-bad-ws', value: JSON.stringify({ schemaVersion: 1, eventId: 'bad-ws', userId: 'u-bad-ws', commentId: 'c', ts, text: ' \t\n ' }), reason: 'REJECT_EMPTY_TEXT' },
    { key: 'u-bad-utf8', value: Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), reason: 'REJECT_INVALID_UTF8' },
    { key: 'u-bad-ts', value: JSON.stringify({ schemaVersion: 1, eventId: 'bad-ts', userId: 'u-bad-ts', commentId: 'c', ts: 1_700_000, text: 'hello there' }), reason: 'REJECT_BAD_TIMESTAMP' },
    { key: 'u-other', value: JSON.stringify({ schemaVersion: 1, eventId: 'bad-key', userId: 'u-bad-key', commentId: 'c', ts, text: 'hello there' }), reason: 'REJECT_KEY_MISMATCH' },
  ];
  const messages: Dataset['messages'] = sim.events.map((e) => ({ key: e.userId, value: JSON.stringify(e) }));
  const step = Math.max(1, Math.floor(messages.length / (bad.length + 1)));
  bad.forEach((b, i) => messages.splice((i + 1) * step + i, 0, { key: b.key, value: b.value }));
  return { events: sim.events, bad, messages };
}

/** The reason a record is dead-lettered with, or null when the processor folds it in (pure: decode + preprocess). */
let defaults: ReturnType<typeof loadConfig> | undefined;

/** The reason a record is dead-lettered with under the default config, or null when it is folded in. */
export function expectedRejection(m: { key: Buffer | string | null; value: Buffer | string | null }, now = Date.now()): string | null {
  const cfg = (defaults ??= loadConfig({ env: {} }));
  return oracle(m, { decode: cfg.events, text: cfg.text, now });
}

/** Event ids per user that the processor must fold in (decode + preprocess accept them), in stream order. */
export function validEventIds(events: readonly SimCommentEvent[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of events) {
    if (expectedRejection({ key: e.userId, value: JSON.stringify(e) }) !== null) continue;
    const list = out.get(e.userId) ?? [];
    list.push(e.eventId);
    out.set(e.userId, list);
  }
  return out;
}

export async function produceAll(kafka: Kafka, topic: string, messages: Dataset['messages']): Promise<void> {
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 250) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 250) });
  } finally {
    await producer.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// one scenario: a comments topic, two runs (A clean, B faulty) with their own outputs

export interface RunSide {
  groupId: string;
  keyPrefix: string;
  profiles: string;
  deadLetter: string;
}

export interface Scenario {
  admin: Admin;
  kafka: Kafka;
  comments: string;
  partitions: number;
  a: RunSide;
  b: RunSide;
  data: Dataset;
}

/**
 * Topics (comments + profiles and dead letters for each run), key prefixes and groups; the data is
 * produced up front, so every run sees the same partitions and the same offsets. Cleans up after
 * the file. `kafka`/`admin` default to the suite's broker; `redis` to the suite's Redis.
 */
/** Where a scenario's Redis is: the suite's (nothing set), a test's own server (`redisUrl`) or a Redis Cluster (`clusterNodes`, host:port seeds). */
export interface RedisWhere {
  redisUrl?: string | undefined;
  clusterNodes?: readonly string[] | undefined;
}

/** A client of that Redis: a Cluster client with `clusterNodes`. */
export function redisOf(w: RedisWhere, opts: { maxRetriesPerRequest?: number; lazyConnect?: boolean } = {}): RedisClient {
  const o = { maxRetriesPerRequest: opts.maxRetriesPerRequest ?? 3, lazyConnect: opts.lazyConnect ?? false };
  if (w.clusterNodes && w.clusterNodes.length > 0) {
    return new Cluster(
      w.clusterNodes.map((hp) => ({ host: hp.slice(0, hp.lastIndexOf(':')), port: Number(hp.slice(hp.lastIndexOf(':') + 1)) })),
      { redisOptions: o, lazyConnect: o.lazyConnect },
    );
  }
  return new Redis(w.redisUrl ?? redisUrl(), o);
}

/** The client once it can be used: a Cluster client knows its primaries only once 'ready' (until then nodes('master') is empty). */
export async function readyRedis(w: RedisWhere): Promise<RedisClient> {
  const r = redisOf(w);
  if (r instanceof Cluster && r.status !== 'ready') await new Promise<void>((resolve, reject) => r.once('ready', resolve).once('error', reject));
  return r;
}

/** Delete every key under a prefix, node by node (one key per command: keys of a Cluster live in different slots). */
export async function deletePrefixAnywhere(redis: RedisClient, prefix: string): Promise<number> {
  if (!(redis instanceof Cluster)) return deleteByPrefix(redis, prefix);
  let n = 0;
  for await (const { keys } of scanKeys(redis, `${prefix}*`, 500)) n += (await Promise.all(keys.map((k) => redis.unlink(k)))).reduce((a, b) => a + b, 0);
  return n;
}

export async function setupScenario(opts: { comments: number; users: number; partitions: number; seed: number; kafka?: Kafka; admin?: Admin } & RedisWhere): Promise<Scenario> {
  const admin = opts.admin ?? (await testAdmin());
  const kafka = opts.kafka ?? testKafka();
  const [comments, profilesA, dlqA, profilesB, dlqB] = await createTestTopics(admin, 'rel', opts.partitions, 5);
  const side = (name: string, profiles: string, deadLetter: string): RunSide => ({ groupId: uniqueName(`rel-${name}`), keyPrefix: uniqueName(`rel${name}`), profiles, deadLetter });
  const a = side('a', profilesA!, dlqA!);
  const b = side('b', profilesB!, dlqB!);
  const where: RedisWhere = { redisUrl: opts.redisUrl, clusterNodes: opts.clusterNodes };
  registerCleanup(async () => {
    const r = redisOf(where, { maxRetriesPerRequest: 1, lazyConnect: true });
    r.on('error', () => {}); // a test's own Redis may be stopped already
    try {
      await r.connect();
      await deletePrefixAnywhere(r, a.keyPrefix);
      await deletePrefixAnywhere(r, b.keyPrefix);
    } catch {
      /* a test's own Redis may be gone already */
    } finally {
      r.disconnect();
    }
    await admin.deleteGroups([a.groupId, b.groupId]).catch(() => {});
  });
  const data = buildDataset(opts);
  await produceAll(kafka, comments!, data.messages);
  return { admin, kafka, comments: comments!, partitions: opts.partitions, a, b, data };
}

/** Where a child's pipeline reads and writes: its topics, consumer group and key prefix. */
export interface PipelinePlaces {
  comments: string;
  profiles: string;
  deadLetter: string;
  /** none for a child that consumes nothing (portrait api) */
  groupId?: string;
  keyPrefix: string;
  /** default: the suite's broker(s) */
  brokers?: readonly string[];
  /** default: the suite's Redis */
  redisUrl?: string;
}

/** The PORTRAIT_* variables that put a child on its own places. */
export function pipelineEnv(p: PipelinePlaces): Record<string, string> {
  return {
    PORTRAIT_KAFKA_BROKERS: (p.brokers ?? brokers()).join(','),
    PORTRAIT_KAFKA_TOPICS_COMMENTS: p.comments,
    PORTRAIT_KAFKA_TOPICS_PROFILES: p.profiles,
    PORTRAIT_KAFKA_TOPICS_DEAD_LETTER: p.deadLetter,
    ...(p.groupId !== undefined ? { PORTRAIT_KAFKA_GROUP_ID: p.groupId } : {}),
    PORTRAIT_REDIS_URL: p.redisUrl ?? redisUrl(),
    PORTRAIT_REDIS_KEY_PREFIX: p.keyPrefix,
  };
}

export interface OwnPipeline extends Required<Omit<PipelinePlaces, 'brokers' | 'redisUrl'>> {
  admin: Admin;
  kafka: Kafka;
  /** a connection to the suite's Redis */
  redis: Redis;
}

/**
 * Three topics (comments, profiles, dead letters), a consumer group and a key prefix on the suite's
 * broker and Redis; the keys and the group are deleted after the test (the topics by createTestTopics).
 */
export async function ownPipeline(name: string, partitions: number): Promise<OwnPipeline> {
  const admin = await testAdmin();
  const kafka = testKafka();
  const [comments, profiles, deadLetter] = await createTestTopics(admin, name, partitions, 3);
  const keyPrefix = uniqueName(name);
  const groupId = uniqueName(`${name}-group`);
  const redis = new Redis(redisUrl());
  registerCleanup(async () => {
    await deleteByPrefix(redis, keyPrefix);
    redis.disconnect();
    await admin.deleteGroups([groupId]).catch(() => {});
  });
  return { admin, kafka, comments: comments!, profiles: profiles!, deadLetter: deadLetter!, groupId, keyPrefix, redis };
}

/** PORTRAIT_* variables for `portrait run` on one side of a scenario. */
export function runEnv(s: Pick<Scenario, 'comments' | 'partitions'>, side: RunSide, o: { brokers?: string[]; extra?: Record<string, string> } & RedisWhere = {}): Record<string, string> {
  return {
    ...pipelineEnv({ comments: s.comments, ...side, ...(o.brokers ? { brokers: o.brokers } : {}), ...(o.redisUrl ? { redisUrl: o.redisUrl } : {}) }),
    ...(o.clusterNodes ? { PORTRAIT_REDIS_CLUSTER_NODES: o.clusterNodes.join(',') } : {}),
    PORTRAIT_KAFKA_PARTITIONS: String(s.partitions),
    PORTRAIT_KAFKA_MAX_BATCH_SIZE: '64',
    // a killed member is noticed sooner (the broker's minimum is 6 s)
    PORTRAIT_KAFKA_SESSION_TIMEOUT_MS: '10000',
    PORTRAIT_KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
    PORTRAIT_REDIS_NAMESPACE: NAMESPACE,
    PORTRAIT_EMBEDDER_BATCH_SIZE: '1',
    // no metrics endpoint unless a test asks for one (several processors run side by side)
    PORTRAIT_METRICS_PORT: '0',
    PORTRAIT_LOG_LEVEL: 'info',
    ...o.extra,
  };
}

// ---------------------------------------------------------------------------------------------
// `portrait run` as a child process

export interface ChildRun {
  child: ChildProcess;
  /** everything written to stderr so far (pino JSON lines and any plain message) */
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** resolves with the first stderr line matching `re` (rejects when the process exits first) */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
}

/** Start `node bin/portrait.js <args>` with only the given PORTRAIT_* variables on top of a clean env. */
export function spawnPortrait(args: string[], env: Record<string, string>): ChildRun {
  return spawnNode([BIN, ...args], env);
}

/** `node <args>` with only the given PORTRAIT_* variables on top of a clean env, its stderr collected. */
export function spawnNode(args: string[], env: Record<string, string>): ChildRun {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PORTRAIT_')));
  const child = spawn(process.execPath, args, { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  child.stdout!.on('data', () => {});
  child.stderr!.on('data', (d: Buffer) => {
    const before = err.length;
    err += d.toString('utf8');
    const fresh = err.slice(err.lastIndexOf('\n', before) + 1);
    for (const w of [...waiters]) {
      const line = fresh.split('\n').find((l) => w.re.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  registerCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    stderr: () => err,
    exited,
    waitForLog(re, timeoutMs = 120_000) {
      const seen = err.split('\n').find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no log line matching ${re} within ${timeoutMs} ms; stderr tail:\n${err.slice(-3000)}`)), timeoutMs);
        waiters.push({
          re,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        void exited.then((x) => {
          clearTimeout(timer);
          reject(new Error(`portrait exited (${x.code ?? x.signal}) before logging ${re}; stderr tail:\n${err.slice(-3000)}`));
        });
      });
    },
  };
}

export function startRun(env: Record<string, string>): ChildRun {
  return spawnPortrait(['run'], env);
}

const FAULT_RUN = resolve(import.meta.dirname, 'fault-run.ts');

/**
 * `portrait run` that kills itself at `fault` (`crash-after-store@N`, `crash-after-produce@N`):
 * the test-only entry test/helpers/fault-run.ts, which passes the processor a fault hook.
 */
export function startFaultRun(env: Record<string, string>, fault: string): ChildRun {
  return spawnNode(['--import', 'tsx', FAULT_RUN, fault], env);
}

/** SIGTERM and expect a clean exit (code 0). */
export async function stopRun(run: ChildRun): Promise<void> {
  run.child.kill('SIGTERM');
  const x = await run.exited;
  expect(x, `portrait run did not stop cleanly; stderr tail:\n${run.stderr().slice(-3000)}`).toEqual({ code: 0, signal: null });
}

/** Sum of committed offsets of a group over a topic (records consumed and committed). */
export async function committedTotal(admin: Admin, groupId: string, topic: string): Promise<number> {
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (committed[0]?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
}

export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Record<number, number>> {
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
  return Object.fromEntries((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
}

/** Poll until the group has committed at least `n` records of the topic (or `alive()` says the process is gone). */
export async function waitForCommitted(admin: Admin, groupId: string, topic: string, n: number, alive: () => boolean = () => true, timeoutMs = 120_000): Promise<number> {
  let total = -1;
  return waitFor(
    () => `group ${groupId} to commit ${n} records of ${topic} (committed: ${total})`,
    async () => {
      total = -1;
      try {
        total = await committedTotal(admin, groupId, topic);
      } catch (err) {
        // a broker that is (re)starting answers "coordinator loading" or refuses the connection for a while
        if (!(err as { retriable?: boolean }).retriable && !/ECONNREFUSED|Connection|disconnected/i.test(String(err))) throw err;
      }
      return total >= n ? total : undefined;
    },
    { timeoutMs, alive },
  );
}

/** A TCP port nobody listens on right now (for a child's HTTP endpoint). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export const isRunning = (r: ChildRun) => r.child.exitCode === null && r.child.signalCode === null;

// ---------------------------------------------------------------------------------------------
// reading the outcome

export interface UserSnapshot {
  version: number;
  meta: Record<string, unknown>;
  centroid: Float64Array;
  applied: Record<string, number>;
  profile: Record<string, any>;
  /** field names of the hash */
  fields: string[];
}

/** Every profile of one key prefix (namespace `main`), decoded. */
export async function snapshot(redis: RedisClient, keyPrefix: string): Promise<Map<string, UserSnapshot>> {
  const keys = new Keys(keyPrefix, NAMESPACE);
  const out = new Map<string, UserSnapshot>();
  for await (const { keys: found } of scanKeys(redis, keys.allProfilesPattern(), 1000)) {
    for (const k of found) {
      const userId = keys.userIdOf(k);
      expect(userId, k).toBeDefined();
      const h = await redis.hgetallBuffer(k);
      const state = decodeState(h.meta!.toString('utf8'), h.c!, DIM);
      out.set(userId!, {
        version: Number(h.v!.toString()),
        meta: JSON.parse(h.meta!.toString('utf8')) as Record<string, unknown>,
        centroid: state.centroid,
        applied: JSON.parse(h.applied!.toString('utf8')) as Record<string, number>,
        profile: JSON.parse(h.profile!.toString('utf8')) as Record<string, any>,
        fields: Object.keys(h).sort(),
      });
    }
  }
  return out;
}

/**
 * The faulty run's aggregates equal the clean run's, user by user: the same users; the same
 * comment count, decayed label scores, term counts, evidence, first/last seen and applied offsets
 * (exactly: `meta` round-trips doubles exactly); the decayed centroid sum within float32 rounding
 * (it is stored as float32 after every batch, and batches may end at other places); the same
 * published profile apart from `updatedAt`, `causedBy` and the version.
 * With `versions: 'equal'` the per-user versions must be equal too.
 */
export function expectSameAggregates(clean: Map<string, UserSnapshot>, faulty: Map<string, UserSnapshot>, o: { versions: 'equal' | 'any' }): void {
  expect([...faulty.keys()].sort()).toEqual([...clean.keys()].sort());
  expect(clean.size).toBeGreaterThan(0);
  let versionDiffs = 0;
  for (const [u, a] of clean) {
    const b = faulty.get(u)!;
    expect(b.meta, `meta of ${u}`).toEqual(a.meta);
    expect(b.applied, `applied offsets of ${u}`).toEqual(a.applied);
    const w = Math.max(1, Number(a.meta.weight));
    let maxDiff = 0;
    a.centroid.forEach((x, i) => (maxDiff = Math.max(maxDiff, Math.abs(x - b.centroid[i]!))));
    expect(maxDiff / w, `centroid of ${u}`).toBeLessThan(1e-5);
    const { updatedAt: _ua, causedBy: _ca, version: va, centroid: ca, ...restA } = a.profile;
    const { updatedAt: _ub, causedBy: _cb, version: vb, centroid: cb, ...restB } = b.profile;
    expect(restB, `profile of ${u}`).toEqual(restA);
    expectSameCentroid(cb, ca, `profile centroid of ${u}`);
    expect(vb).toBe(b.version);
    expect(va).toBe(a.version);
    if (o.versions === 'equal') expect(b.version, `version of ${u}`).toBe(a.version);
    if (a.version !== b.version) versionDiffs++;
  }
  if (o.versions === 'equal') expect(versionDiffs).toBe(0);
}

/** Every user's count and applied events match the data: nothing lost, nothing counted twice. */
export function expectCountsMatchData(snap: Map<string, UserSnapshot>, valid: Map<string, string[]>): void {
  expect([...snap.keys()].sort()).toEqual([...valid.keys()].sort());
  for (const [u, ids] of valid) expect(snap.get(u)!.profile.commentCount, u).toBe(ids.length);
}

export interface StreamReport {
  users: number;
  messages: number;
  /** messages that repeat a (user, version) already published */
  duplicates: number;
  /** versions missing between 1 and the stored version (only counted with gapFree: false) */
  gaps: number;
}

/**
 * What a downstream consumer of the profiles topic sees, per user:
 * - a version number always comes with the same content (a repeat is byte-identical: the stored profile re-sent);
 * - dropping versions it has already seen, it sees strictly increasing versions, the last one the stored profile;
 * - each version adds at least one comment; consecutive versions differ by exactly the comments in `causedBy`,
 *   and no event id is in the `causedBy` of two versions (nothing counted twice);
 * - with `gapFree`: the versions are exactly 1..stored version, and their `causedBy` together are
 *   exactly the user's valid events, in order (nothing lost).
 */
export function checkProfileStream(msgs: readonly ReadMessage[], stored: Map<string, UserSnapshot>, valid: Map<string, string[]>, o: { gapFree: boolean }): StreamReport {
  const byUser = new Map<string, { raw: string; v: Record<string, any> }[]>();
  for (const m of msgs) {
    expect(m.value, 'no tombstone expected').not.toBeNull();
    const raw = m.value!.toString('utf8');
    const v = JSON.parse(raw) as Record<string, any>;
    expect(m.key!.toString('utf8')).toBe(v.userId);
    const list = byUser.get(v.userId) ?? [];
    list.push({ raw, v });
    byUser.set(v.userId, list);
  }
  expect([...byUser.keys()].sort()).toEqual([...stored.keys()].sort());
  let duplicates = 0;
  let gaps = 0;
  for (const [u, list] of byUser) {
    const byVersion = new Map<number, { raw: string; v: Record<string, any> }>();
    let max = 0;
    for (const x of list) {
      const seen = byVersion.get(x.v.version);
      if (seen) {
        expect(x.raw, `${u} version ${x.v.version} published twice with different content`).toBe(seen.raw);
        duplicates++;
        continue;
      }
      expect(x.v.version, `${u}: version ${x.v.version} first published after ${max}`).toBeGreaterThan(max);
      byVersion.set(x.v.version, x);
      max = x.v.version;
    }
    const s = stored.get(u)!;
    expect(max, `${u}: last published version`).toBe(s.version);
    expect(byVersion.get(max)!.v).toEqual(s.profile);
    const versions = [...byVersion.keys()].sort((x, y) => x - y);
    const ids = new Set<string>();
    let prev: { version: number; count: number } = { version: 0, count: 0 };
    for (const ver of versions) {
      const p = byVersion.get(ver)!.v;
      const caused = p.causedBy as string[];
      expect(caused.length).toBeGreaterThan(0);
      for (const id of caused) {
        expect(ids.has(id), `${u}: event ${id} folded into two versions`).toBe(false);
        ids.add(id);
      }
      expect(p.commentCount - prev.count, `${u} v${ver}`).toBeGreaterThanOrEqual(ver - prev.version);
      if (ver === prev.version + 1) expect(p.commentCount - prev.count, `${u} v${ver}: count step vs causedBy`).toBe(caused.length);
      prev = { version: ver, count: p.commentCount };
    }
    const missing = max - versions.length;
    if (o.gapFree) {
      expect(versions, `${u}: versions`).toEqual(versions.map((_, i) => i + 1));
      expect(
        versions.flatMap((ver) => byVersion.get(ver)!.v.causedBy as string[]),
        `${u}: causedBy`,
      ).toEqual(valid.get(u));
    } else {
      for (const id of ids) expect(valid.get(u), `${u}: ${id} is not an event of this user`).toContain(id);
    }
    gaps += missing;
  }
  return { users: byUser.size, messages: msgs.length, duplicates, gaps };
}

/** Dead letters as a set of "partition:offset reason" (a redelivered chunk may dead-letter a record twice). */
export function deadLetterSet(msgs: readonly ReadMessage[]): Set<string> {
  return new Set(msgs.map((m) => `${m.headers!['portrait-dlq-source-partition']!.toString()}:${m.headers!['portrait-dlq-source-offset']!.toString()} ${m.headers!['portrait-dlq-reason']!.toString()}`));
}

/**
 * Everything both runs left behind, compared: Redis aggregates, the profiles topics, the dead
 * letters. Returns the faulty run's stream report (for the file's own assertions and the docs).
 */
export async function compareRuns(s: Scenario, o: { versions: 'equal' | 'any'; gapFree: boolean } & RedisWhere): Promise<StreamReport> {
  const redis = await readyRedis(o);
  try {
    const valid = validEventIds(s.data.events);
    const clean = await snapshot(redis, s.a.keyPrefix);
    const faulty = await snapshot(redis, s.b.keyPrefix);
    expectCountsMatchData(clean, valid);
    expectSameAggregates(clean, faulty, { versions: o.versions });
    checkProfileStream(await readAll(s.kafka, s.admin, s.a.profiles), clean, valid, { gapFree: true });
    const report = checkProfileStream(await readAll(s.kafka, s.admin, s.b.profiles), faulty, valid, { gapFree: o.gapFree });
    const versionDiffs = [...clean].filter(([u, a]) => faulty.get(u)!.version !== a.version).length;
    console.info(`[compareRuns] users ${report.users}, profile events ${report.messages}, repeated versions ${report.duplicates}, version gaps ${report.gaps}, users whose version differs from the clean run ${versionDiffs}`);
    const dlqA = deadLetterSet(await readAll(s.kafka, s.admin, s.a.deadLetter));
    const dlqB = deadLetterSet(await readAll(s.kafka, s.admin, s.b.deadLetter));
    const expected = s.data.messages.map((m) => expectedRejection(m)).filter((r): r is string => r !== null);
    expect(expected.length).toBeGreaterThanOrEqual(s.data.bad.length);
    expect([...dlqA].map((x) => x.split(' ')[1]).sort()).toEqual(expected.sort());
    expect([...dlqB].sort()).toEqual([...dlqA].sort());
    return report;
  } finally {
    redis.disconnect();
  }
}

/** `portrait run` on one side of a scenario until it has committed the whole topic, then stopped with SIGTERM (exit code 0 expected). */
export async function runToEnd(s: Scenario, side: RunSide, env: Record<string, string>, timeoutMs = 150_000): Promise<void> {
  const run = startRun(env);
  await waitForCommitted(s.admin, side.groupId, s.comments, s.data.messages.length, () => isRunning(run), timeoutMs);
  await stopRun(run);
}

/** Run A: a clean `portrait run` over the whole topic, stopped with SIGTERM once caught up. */
export async function cleanRun(s: Scenario, o: { brokers?: string[] } & RedisWhere = {}): Promise<void> {
  await runToEnd(s, s.a, runEnv(s, s.a, o), 170_000);
}

/**
 * The opening of a Redis network-fault scenario: the scenario, its clean run done, and a TCP proxy
 * in front of the suite's Redis for the side under test to reach it through (`proxiedUrl`).
 */
export async function scenarioBehindRedisProxy(opts: { comments: number; users: number; partitions: number; seed: number }): Promise<{ s: Scenario; total: number; proxy: TcpProxy; proxiedUrl: string }> {
  const s = await setupScenario(opts);
  await cleanRun(s);
  const target = new URL(redisUrl());
  const proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  return { s, total: s.data.messages.length, proxy, proxiedUrl: `redis://127.0.0.1:${proxy.port}` };
}

// ---------------------------------------------------------------------------------------------
// a test's own redis-server (never the shared one)

export interface OwnRedis {
  port: number;
  url: string;
  pid(): number | undefined;
  start(): Promise<void>;
  /** SIGTERM (AOF flushed) and wait for the exit */
  stop(): Promise<void>;
}

export function ownRedis(port: number, extraArgs: string[] = []): OwnRedis {
  const dir = tempDir('redis');
  let proc: ChildProcess | undefined;
  const r: OwnRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: () => proc?.pid,
    async start() {
      // appendfsync always: a write Redis acknowledged survives the stop/start
      proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, ...extraArgs], { stdio: 'ignore' });
      const p = proc;
      if ((await waitForPort('127.0.0.1', port, 15_000, () => p.exitCode === null)) !== 'up') throw new Error(`redis-server on ${port} did not start`);
    },
    async stop() {
      const p = proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const gone = new Promise((res) => p.once('exit', res));
      p.kill('SIGTERM');
      await gone;
    },
  };
  registerCleanup(() => r.stop()); // before the folder goes (clean-ups run last first)
  return r;
}

// ---------------------------------------------------------------------------------------------
// where a crash left things

export interface InjectedFault {
  fault: string;
  chunk: number;
  partition: number;
  firstOffset: number;
  lastOffset: number;
}

/** Start the fault run, expect it to kill itself (SIGKILL: nobody else sends a signal) and return where it crashed. */
export async function crashAt(env: Record<string, string>, fault: string): Promise<InjectedFault> {
  const crashing = startFaultRun(env, fault);
  expect(await crashing.exited).toEqual({ code: null, signal: 'SIGKILL' });
  return injectedFault(crashing);
}

/** The chunk an injected crash (startFaultRun) happened in, from the line fault-run.ts writes just before it. */
export function injectedFault(run: ChildRun): InjectedFault {
  const line = run
    .stderr()
    .split('\n')
    .find((l) => l.includes('injected fault: killing this process'));
  expect(line, `no injected-fault line; stderr tail:\n${run.stderr().slice(-2000)}`).toBeDefined();
  return JSON.parse(line!) as InjectedFault;
}

export interface CrashState {
  /** the committed offset of the crashed chunk's partition (-1: none) */
  committed: number;
  /** users whose Redis state includes events of the crashed chunk */
  applied: number;
  /** profile events on run B's topic caused by events of the crashed chunk */
  published: number;
}

/**
 * After an injected crash of run B: how far the crashed chunk got. Its records are never
 * committed; crash-after-store leaves them in Redis only, crash-after-produce in Redis and on the
 * profiles topic.
 */
export async function crashState(s: Scenario, f: InjectedFault, url = redisUrl()): Promise<CrashState> {
  const committed = (await committedOffsets(s.admin, s.b.groupId, s.comments))[f.partition] ?? -1;
  // the partition's applied offset, in whatever incarnation of the topic (`topic@<topicId>:p`, or `topic:p` without IDs)
  const isTp = (k: string) => k === `${s.comments}:${f.partition}` || (k.startsWith(`${s.comments}@`) && k.endsWith(`:${f.partition}`) && !k.slice(s.comments.length + 1, -`:${f.partition}`.length).includes(':'));
  const redis = new Redis(url, { maxRetriesPerRequest: 3 });
  let applied = 0;
  try {
    for (const snap of (await snapshot(redis, s.b.keyPrefix)).values()) if (Object.entries(snap.applied).some(([k, o]) => isTp(k) && o > f.firstOffset)) applied++;
  } finally {
    redis.disconnect();
  }
  const inChunk = new Set<string>();
  for (const m of await readAll(s.kafka, s.admin, s.comments)) {
    if (m.partition !== f.partition || Number(m.offset) < f.firstOffset || Number(m.offset) > f.lastOffset) continue;
    try {
      const e = JSON.parse(m.value!.toString('utf8')) as { eventId?: unknown };
      if (typeof e.eventId === 'string') inChunk.add(e.eventId);
    } catch {
      /* a bad record */
    }
  }
  expect(inChunk.size).toBeGreaterThan(0);
  let published = 0;
  for (const m of await readAll(s.kafka, s.admin, s.b.profiles)) {
    const p = JSON.parse(m.value!.toString('utf8')) as { causedBy: string[] };
    if (p.causedBy.some((id) => inChunk.has(id))) published++;
  }
  return { committed, applied, published };
}

// ---------------------------------------------------------------------------------------------
// a test's own Kafka broker (never the shared one)

export interface OwnKafka {
  bootstrap: string;
  dir: string;
  /** start the broker; `keepData` restarts it with its topics and committed offsets */
  start(keepData?: boolean): Promise<void>;
  /** controlled shutdown (SIGTERM) */
  stop(): Promise<void>;
  /** a client of this broker (with `sasl` when its listener needs it) */
  client(sasl?: SASLOptions): Kafka;
}

/** A single-node KRaft broker from the stack's Maven jars, in a temp folder, on its own ports. */
export function ownKafka(o: { port: number; controllerPort: number; extraProperties?: Record<string, string> }): OwnKafka {
  const cfg = loadConfig({ env: {} });
  const dir = tempDir('kafka');
  // reuse the jars the suite's stack resolved, when there are any (else mvn resolves them here)
  const shared = join(projectPath(cfg.stack.dir), `kafka-${cfg.stack.kafkaVersion}`);
  if (existsSync(join(shared, 'libs', '.complete'))) symlinkSync(shared, join(dir, `kafka-${cfg.stack.kafkaVersion}`));
  else mkdirSync(dir, { recursive: true });
  const opts: KafkaStackOptions = {
    dir,
    pom: projectPath('stack/pom.xml'),
    version: cfg.stack.kafkaVersion,
    log4jSlf4jVersion: cfg.stack.log4jSlf4jVersion,
    host: '127.0.0.1',
    port: o.port,
    controllerPort: o.controllerPort,
    heap: '384m',
    startTimeoutMs: 120_000,
    ...(o.extraProperties ? { extraProperties: o.extraProperties } : {}),
  };
  const bootstrap = `127.0.0.1:${o.port}`;
  const k: OwnKafka = {
    bootstrap,
    dir,
    async start(keepData = false) {
      const r = await startKafka({ ...opts, keepData });
      if (r.state !== 'started') throw new Error(`port ${o.port} is taken by another broker (${r.state}); pick other ports`);
    },
    async stop() {
      await stopKafka({ dir });
    },
    client: (sasl) => new KafkaClient({ clientId: uniqueName('own'), brokers: [bootstrap], logLevel: logLevel.NOTHING, ...(sasl ? { sasl } : {}), retry: { retries: 5 } }),
  };
  registerCleanup(() => k.stop()); // before the folder goes (clean-ups run last first)
  return k;
}

/** An admin client of a given Kafka, disconnected after the file. */
export async function adminOf(kafka: Kafka): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  registerCleanup(() => admin.disconnect());
  return admin;
}

// ---------------------------------------------------------------------------------------------
// what a processor counted (its /metrics, with PORTRAIT_METRICS_PORT set)

/** The sum of a counter's series on a processor's /metrics whose labels include `labels` (0 when none). */
export async function metricSum(port: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

/** What a faulty run's processor counted: records read beyond the topic (redelivered), comments skipped as applied, chunks retried, partitions rewound. */
export async function runCounts(port: number, total: number): Promise<{ recordsRead: number; redelivered: number; skippedAsApplied: number; retries: number; rewinds: number }> {
  const recordsRead = await metricSum(port, 'portrait_events_in_total');
  return {
    recordsRead,
    redelivered: recordsRead - total,
    skippedAsApplied: await metricSum(port, 'portrait_events_skipped_total', { reason: 'redelivered' }),
    retries: await metricSum(port, 'portrait_retries_total'),
    rewinds: await metricSum(port, 'portrait_partition_rewinds_total'),
  };
}
