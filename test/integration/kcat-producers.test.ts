/**
 * A real librdkafka peer (Debian's kcat) produces the comments, two `portrait run` instances
 * consume them (docs/events.md, "Partitioning: key = userId, murmur2"):
 *
 * - "spread" users' comments are produced alternately with kcat's default partitioner (CRC32) and
 *   with `-X partitioner=murmur2_random`, so most of them land on two partitions, owned by either
 *   instance; "keyed" users' only with murmur2 (kcat and kafkajs), so each stays on one partition;
 * - `portrait forget` (kafkajs, murmur2) erases one spread user, and comments of that user with
 *   event times before the forget arrive afterwards on the other partition (a late producer);
 * - the profiles topic is read back with kcat.
 *
 * Checked: every count is exact; per user, every version is published with one content, the
 * versions since the last tombstone are 1..stored, their causedBy together are exactly the user's
 * comments, and the topic's last record is the stored profile; the erasure holds across partitions
 * (no comment at or before the forget comes back); the spread users, and only they, are detected
 * (warning log, /metrics, `portrait topics describe`).
 *
 * Needs `kcat` (apt-get install kcat); where it is missing this file's test is skipped, by name,
 * and .ci/run, which installs kcat, fails on any skipped test.
 */
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Keys } from '../../src/store/keys.js';
import { runCli } from '../helpers/cli.js';
import { type ChildRun, committedTotal, freePort, isRunning, ownPipeline, pipelineEnv, spawnPortrait, stopRun, waitForCommitted } from '../helpers/faults.js';
import { brokers } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';

const hasKcat = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;
const NAME = 'a librdkafka producer (kcat) spreads users over partitions; two instances keep counts, versions and erasure exact and report the spread users';
if (!hasKcat) console.warn(`[kcat-producers] kcat not found: "${NAME}" is skipped (apt-get install kcat; .ci/run installs it)`);

const PARTITIONS = 6;
const T0 = Date.now() - 3_600_000;
const TEXTS = [
  '这场篮球比赛太精彩了，最后一分钟绝杀',
  'the new phone camera is amazing in low light',
  '周末去海边旅行，风景很美',
  'this laptop battery lasts all day',
  '球队的防守需要加强',
  'booked a cheap flight to Tokyo for the holidays',
  '新出的手机系统更新很流畅',
  'the match went to penalties and we lost',
];

interface Comment {
  userId: string;
  eventId: string;
  ts: number;
  via: 'kcat-default' | 'kcat-murmur2' | 'kafkajs';
}

const value = (c: Comment, i: number) => JSON.stringify({ type: 'comment', schemaVersion: 1, eventId: c.eventId, userId: c.userId, commentId: `c-${c.eventId}`, text: TEXTS[i % TEXTS.length], ts: new Date(c.ts).toISOString() });

/** Produce with kcat: `key<TAB>value` lines, with kcat's default partitioner or murmur2_random. */
function kcatProduce(topic: string, lines: string[], murmur2: boolean): void {
  if (lines.length === 0) return;
  const args = ['-P', '-b', brokers().join(','), '-t', topic, '-K', '\t', ...(murmur2 ? ['-X', 'partitioner=murmur2_random'] : [])];
  const r = spawnSync('kcat', args, { input: `${lines.join('\n')}\n`, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, `kcat ${args.join(' ')}: ${r.stderr}`).toBe(0);
}

/** The topic read back with kcat: per record its partition, offset, key and value (null for a tombstone). */
function kcatRead(topic: string): { partition: number; offset: number; key: string; value: string | null }[] {
  const r = spawnSync('kcat', ['-C', '-b', brokers().join(','), '-t', topic, '-e', '-q', '-f', '%p\t%o\t%k\t%S\t%s\n'], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  expect(r.status, `kcat -C ${topic}: ${r.stderr}`).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [p, o, k, size, ...rest] = l.split('\t');
      return { partition: Number(p), offset: Number(o), key: k!, value: Number(size) < 0 ? null : rest.join('\t') };
    })
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** Per user, the partitions of the comments topic their comments are on. */
function partitionsByUser(topic: string): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const r of kcatRead(topic)) {
    const s = out.get(r.key) ?? new Set<number>();
    s.add(r.partition);
    out.set(r.key, s);
  }
  return out;
}

describe('producers on librdkafka clients', () => {
  it.skipIf(!hasKcat)(
    NAME,
    async () => {
      const p = await ownPipeline('kcat', PARTITIONS);
      const spreadUsers = Array.from({ length: 12 }, (_, i) => `s${i}-${p.keyPrefix.slice(-6)}`);
      const keyedUsers = Array.from({ length: 4 }, (_, i) => `k${i}-${p.keyPrefix.slice(-6)}`);
      const comments: Comment[] = [];
      let n = 0;
      const add = (userId: string, ts: number, via: Comment['via']): Comment => {
        const c = { userId, eventId: `ev-${n++}`, ts, via };
        comments.push(c);
        return c;
      };
      const produce = async (batch: Comment[]) => {
        kcatProduce(
          p.comments,
          batch.filter((c) => c.via === 'kcat-default').map((c) => `${c.userId}\t${value(c, comments.indexOf(c))}`),
          false,
        );
        kcatProduce(
          p.comments,
          batch.filter((c) => c.via === 'kcat-murmur2').map((c) => `${c.userId}\t${value(c, comments.indexOf(c))}`),
          true,
        );
        const viaKafkajs = batch.filter((c) => c.via === 'kafkajs');
        if (viaKafkajs.length > 0) {
          const producer = p.kafka.producer();
          await producer.connect();
          await producer.send({ topic: p.comments, messages: viaKafkajs.map((c) => ({ key: c.userId, value: value(c, comments.indexOf(c)) })) });
          await producer.disconnect();
        }
      };

      // phase 1: 8 comments per spread user (alternating partitioners), 6 per keyed user
      const phase1: Comment[] = [];
      for (let i = 0; i < 8; i++) for (const u of spreadUsers) phase1.push(add(u, T0 + i * 60_000, i % 2 === 0 ? 'kcat-default' : 'kcat-murmur2'));
      for (let i = 0; i < 6; i++) for (const u of keyedUsers) phase1.push(add(u, T0 + i * 60_000, i === 5 ? 'kafkajs' : 'kcat-murmur2'));

      // the two instances: one group, one key prefix, each its own metrics endpoint
      const ports = [await freePort(), await freePort()];
      const env = (port: number) => ({
        ...pipelineEnv(p),
        PORTRAIT_KAFKA_PARTITIONS: String(PARTITIONS),
        PORTRAIT_KAFKA_MAX_BATCH_SIZE: '8',
        PORTRAIT_KAFKA_SESSION_TIMEOUT_MS: '10000',
        PORTRAIT_KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
        PORTRAIT_METRICS_PORT: String(port),
        PORTRAIT_LOG_LEVEL: 'info',
      });
      const runs: ChildRun[] = ports.map((port) => spawnPortrait(['run'], env(port)));
      const alive = () => runs.every(isRunning);
      // both in the group before the comments come (no rebalance mid-test: a late joiner is another test)
      await waitFor(
        'both instances in the consumer group',
        async () => {
          const [g] = (await p.admin.describeGroups([p.groupId])).groups;
          return g?.state === 'Stable' && g.members.length === 2;
        },
        { timeoutMs: 90_000, alive },
      );
      await produce(phase1);
      await waitForCommitted(p.admin, p.groupId, p.comments, phase1.length, alive, 150_000);

      // the user to erase: one that is on two partitions (its late comments then sit on another partition than the forget)
      const erased = spreadUsers.find((u) => partitionsByUser(p.comments).get(u)!.size > 1)!;
      expect(erased, 'a spread user').toBeDefined();

      // the erasure: portrait forget (kafkajs: murmur2), waiting for its receipt
      const forgotAt = Date.now();
      const forget = await runCli(['forget', erased, '--wait', '60', '--json'], env(0), { timeoutMs: 90_000 });
      expect(forget.code, forget.stderr).toBe(0);
      expect(forget.stderr + forget.stdout).not.toMatch(/applied in order/);

      // phase 2: the erased user's late comments (event times before the forget) on the CRC32
      // partition, and one after it; more comments for everyone else
      const phase2: Comment[] = [];
      const late = [add(erased, T0 + 30 * 60_000, 'kcat-default'), add(erased, forgotAt - 1000, 'kcat-default'), add(erased, forgotAt - 500, 'kcat-murmur2')];
      phase2.push(...late);
      const after = add(erased, forgotAt + 60_000, 'kcat-default');
      phase2.push(after);
      for (let i = 8; i < 12; i++) for (const u of spreadUsers.filter((x) => x !== erased)) phase2.push(add(u, T0 + i * 60_000, i % 2 === 0 ? 'kcat-default' : 'kcat-murmur2'));
      for (const u of keyedUsers) phase2.push(add(u, T0 + 7 * 60_000, 'kcat-murmur2'));
      await produce(phase2);
      const total = phase1.length + 1 + phase2.length; // + the forget event
      await waitForCommitted(p.admin, p.groupId, p.comments, total, alive, 150_000);
      expect(await committedTotal(p.admin, p.groupId, p.comments)).toBe(total);

      // detection, before the instances stop: /metrics of both; both took part
      const scraped = await Promise.all(ports.map(async (port) => await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()));
      const metric = (text: string, name: string) => [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'gm'))].reduce((s, m) => s + Number(m[1]), 0);
      for (const text of scraped) expect(metric(text, 'portrait_events_in_total'), 'each instance consumed comments').toBeGreaterThan(0);
      const spreadWrites = scraped.reduce((s, text) => s + metric(text, 'portrait_spread_user_writes_total'), 0);
      const republished = scraped.reduce((s, text) => s + metric(text, 'portrait_profiles_republished_total'), 0);
      await Promise.all(runs.map((r) => stopRun(r)));
      console.info(`[kcat-producers] ${JSON.stringify({ comments: comments.length, spreadWrites, republished, conflicts: scraped.reduce((s, text) => s + metric(text, 'portrait_store_conflicts_total'), 0) })}`);

      // where each user's comments are: kcat with murmur2 and kafkajs agree, its default does not
      const where = partitionsByUser(p.comments);
      for (const u of keyedUsers) expect(where.get(u)!.size, `${u} (murmur2 only) on one partition`).toBe(1);
      const spread = spreadUsers.filter((u) => where.get(u)!.size > 1);
      expect(spread.length, 'most spread users are on two partitions').toBeGreaterThanOrEqual(6);

      // counts: exact, whatever instance folded which comment; the erased user has only what came after the forget
      const redis = new Redis(`${pipelineEnv(p).PORTRAIT_REDIS_URL}`);
      try {
        const keys = new Keys(p.keyPrefix, 'main');
        const stored = new Map<string, string | null>();
        for (const u of [...spreadUsers, ...keyedUsers]) stored.set(u, await redis.hget(keys.profile(u), 'profile'));
        const expected = (u: string) => comments.filter((c) => c.userId === u && (u !== erased || c.ts > forgotAt)).map((c) => c.eventId);
        for (const u of [...spreadUsers, ...keyedUsers]) {
          const s = JSON.parse(stored.get(u)!) as { commentCount: number };
          expect(s.commentCount, `comment count of ${u}`).toBe(expected(u).length);
        }
        expect(expected(erased)).toEqual([after.eventId]);

        // the profiles topic, read with kcat
        const records = kcatRead(p.profiles);
        for (const u of [...spreadUsers, ...keyedUsers]) {
          const mine = records.filter((r) => r.key === u);
          expect(new Set(mine.map((r) => r.partition)).size, `${u}: profile events on one partition`).toBe(1);
          // the topic's last record is the stored profile, byte for byte
          expect(mine.at(-1)?.value, `${u}: last published = stored`).toBe(stored.get(u));
          // since the last tombstone: every version with one content, versions 1..stored, causedBy exactly the comments
          const lastTombstone = mine.map((r) => r.value).lastIndexOf(null);
          const era = mine.slice(lastTombstone + 1).map((r) => r.value!);
          const byVersion = new Map<number, string>();
          for (const raw of era) {
            const v = (JSON.parse(raw) as { version: number }).version;
            expect(byVersion.get(v) ?? raw, `${u}: version ${v} published with two contents`).toBe(raw);
            byVersion.set(v, raw);
          }
          const versions = [...byVersion.keys()].sort((a, b) => a - b);
          const storedVersion = (JSON.parse(stored.get(u)!) as { version: number }).version;
          expect(versions, `${u}: versions`).toEqual(Array.from({ length: storedVersion }, (_, i) => i + 1));
          const caused = versions.flatMap((v) => (JSON.parse(byVersion.get(v)!) as { causedBy: string[] }).causedBy);
          expect(caused.length, `${u}: an event folded into two versions`).toBe(new Set(caused).size);
          expect(caused.sort(), `${u}: causedBy`).toEqual(expected(u).sort());
          if (u === erased) expect(lastTombstone, 'the erased user has a tombstone').toBeGreaterThanOrEqual(0);
          else expect(lastTombstone, `${u} has no tombstone`).toBe(-1);
        }
        // the erasure: none of the erased user's comments at or before the forget is in any profile after the tombstone
        const erasedIds = new Set(comments.filter((c) => c.userId === erased && c.ts <= forgotAt).map((c) => c.eventId));
        const afterTombstone = records
          .filter((r) => r.key === erased)
          .slice(
            records
              .filter((r) => r.key === erased)
              .map((r) => r.value)
              .lastIndexOf(null) + 1,
          );
        for (const r of afterTombstone) for (const id of (JSON.parse(r.value!) as { causedBy: string[] }).causedBy) expect(erasedIds.has(id), `erased ${id} came back`).toBe(false);

        // detection: every spread user (and no keyed user) is named in a warning, at most once per instance
        const warned = (run: ChildRun) =>
          run
            .stderr()
            .split('\n')
            .filter((l) => l.includes('more than one partition'))
            .map((l) => JSON.parse(l) as { userId: string; partitions: number[] });
        const lines = runs.flatMap(warned);
        const named = new Set(lines.map((l) => l.userId));
        for (const u of spread.filter((x) => x !== erased)) expect(named.has(u), `${u} is warned about`).toBe(true);
        for (const u of keyedUsers) expect(named.has(u), `${u} is not`).toBe(false);
        for (const run of runs) {
          const per = warned(run).map((l) => l.userId);
          expect(per.length, 'once per user per instance').toBe(new Set(per).size);
        }
        for (const l of lines) expect(l.partitions.sort((a, b) => a - b)).toEqual([...where.get(l.userId)!].sort((a, b) => a - b));
        expect(spreadWrites, 'portrait_spread_user_writes_total over both instances').toBeGreaterThanOrEqual(spread.length - 1);

        // and portrait topics describe names the partition sets
        const describe = await runCli(['topics', 'describe'], env(0), { timeoutMs: 60_000 });
        expect(describe.code, describe.stderr).toBe(0);
        for (const u of spread.filter((x) => x !== erased)) {
          const set = [...where.get(u)!].sort((a, b) => a - b).join(', ');
          expect(describe.stdout, `describe names partitions ${set}`).toContain(`users on more than one partition: partitions ${set} in`);
        }
      } finally {
        redis.disconnect();
      }
    },
    420_000,
  );
});
