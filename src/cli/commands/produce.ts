/**
 * `portrait produce`: publish comment events to the comments topic, for demos, load tests and
 * evaluation. By default it simulates users from a labelled JSONL file (src/sim/users.ts, described
 * in docs/data.md); with --raw every line of the file is published as it is.
 */
import { Option, type Command } from 'commander';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../config/index.js';
import { Parts } from '../../app/parts.js';
import { portraitTopics, type TopicSpec } from '../../kafka/topics.js';
import { readLabelledRows, readTextFile } from '../../sim/jsonl.js';
import { rawMessages, type OutMessage } from '../../sim/raw.js';
import { batchSizeFor, waitBeforeNext } from '../../sim/pace.js';
import { SIM_DEFAULTS, simulateUsers, type SimUser } from '../../sim/users.js';
import { portAccepts } from '../../stack/proc.js';
import { PortraitError, isPortraitError } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import { createProgress, stepLog } from '../../util/progress.js';
import { intOption, numberOption, rangeOption, timeOption } from '../options.js';
import { printJson } from '../output.js';
import { setTimeout as sleep } from 'node:timers/promises';

const DAY_MS = 86_400_000;

const say = stepLog('produce: ');

export interface ProduceOptions {
  file: string;
  users: number;
  limit?: number;
  rate: number;
  seed: number;
  topic?: string;
  raw?: boolean;
  json?: boolean;
  comments: [number, number];
  interests: [number, number];
  dominant: number;
  spanDays: number;
  start?: number;
  lang?: string;
  userPrefix: string;
}

export interface Prepared {
  mode: 'simulate' | 'raw';
  messages: OutMessage[];
  /** Distinct non-null keys. */
  users: number;
  /** Simulate mode: every user's latent interests. */
  simulated?: SimUser[];
  /** Raw mode: lines published with a null key (no string userId). */
  nullKeys?: number;
  firstTs?: number;
  lastTs?: number;
}

export interface ProduceSummary {
  mode: 'simulate' | 'raw';
  file: string;
  topic: string;
  events: number;
  users: number;
  seconds: number;
  eventsPerSecond: number;
  interrupted: boolean;
  seed?: number;
  firstTs?: number;
  lastTs?: number;
  nullKeys?: number;
  /** Simulate mode: each user's latent interests (main first), comment count and comments per label. */
  userInterests?: SimUser[];
}

// ---------------------------------------------------------------------------------------------
// building the messages (no I/O besides reading the file)

export function prepare(opts: ProduceOptions, now: number): Prepared {
  if (opts.raw) {
    const messages = rawMessages(readTextFile(opts.file), opts.limit);
    const keys = new Set(messages.flatMap((m) => (m.key === null ? [] : [m.key])));
    return { mode: 'raw', messages, users: keys.size, nullKeys: messages.filter((m) => m.key === null).length };
  }
  const rows = readLabelledRows(opts.file);
  const spanMs = Math.max(1, Math.round(opts.spanDays * DAY_MS));
  const sim = simulateUsers(rows, {
    users: opts.users,
    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    commentsPerUser: opts.comments,
    interestsPerUser: opts.interests,
    dominantShare: opts.dominant,
    seed: opts.seed,
    startTs: opts.start ?? now - spanMs,
    spanMs,
    userPrefix: opts.userPrefix,
    ...(opts.lang ? { lang: opts.lang } : {}),
  });
  return {
    mode: 'simulate',
    messages: sim.events.map((e) => ({ key: e.userId, value: JSON.stringify(e) })),
    users: sim.users.length,
    simulated: sim.users,
    ...(sim.events.length > 0 ? { firstTs: sim.events[0]!.ts, lastTs: sim.events[sim.events.length - 1]!.ts } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// publishing

function kafkaError(err: unknown, what: string, cfg: Pick<Config, 'kafka'>): PortraitError {
  if (isPortraitError(err)) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new PortraitError('KAFKA_UNAVAILABLE', `${what} (brokers ${cfg.kafka.brokers.join(',')}): ${msg}`, { cause: err });
}

/** The comments topic's settings (partitions, replication) under the name being produced to. */
function topicSpec(cfg: Pick<Config, 'kafka'>, topic: string): TopicSpec {
  const specs = portraitTopics(cfg);
  const comments = specs.find((s) => s.topic === cfg.kafka.topics.comments) ?? specs[0]!;
  return { ...comments, topic };
}

/**
 * The command's logger: JSON on stderr like util/logger.ts, minus kafkajs's "Limiting retries for
 * the idempotent producer may invalidate EoS guarantees". The producer keeps the client's finite
 * retries on purpose (a dead broker should end the command, not hang it), and the command never
 * re-sends after a failed send, so that warning does not apply here.
 */
function produceLogger(level: string): Logger {
  return pino(
    {
      name: 'portrait',
      level,
      base: { pid: process.pid },
      hooks: {
        logMethod(args, method) {
          if (args.some((a) => typeof a === 'string' && a.startsWith('Limiting retries for the idempotent producer'))) return;
          method.apply(this, args);
        },
      },
    },
    pino.destination({ dest: 2, sync: false }),
  );
}

/**
 * Fail fast when no broker accepts a TCP connection: kafkajs would retry for about two minutes
 * first. A broker that accepts connections but is not ready yet is left to kafkajs's retries.
 */
async function probeBrokers(cfg: Pick<Config, 'kafka'>, timeoutMs = 3000): Promise<void> {
  const tryOne = (hostPort: string) => {
    const i = hostPort.lastIndexOf(':');
    return portAccepts(hostPort.slice(0, i), Number(hostPort.slice(i + 1)), timeoutMs);
  };
  const answers = await Promise.all(cfg.kafka.brokers.map(tryOne));
  if (!answers.some(Boolean)) {
    throw new PortraitError('KAFKA_UNAVAILABLE', `no Kafka broker answers at ${cfg.kafka.brokers.join(',')} (start one with \`portrait stack up\`, or set PORTRAIT_KAFKA_BROKERS)`);
  }
}

async function publish(cfg: Readonly<Config>, log: Logger, topic: string, messages: readonly OutMessage[], rate: number, control: { stopRequested: () => boolean }): Promise<{ sent: number; seconds: number }> {
  await probeBrokers(cfg);
  const { kafka } = new Parts(cfg, log, { kafkaClientIdSuffix: '-produce' });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const created = await admin.ensureTopics([topicSpec(cfg, topic)]);
    if (created.length > 0) say(`created topic ${topic}`);
  } catch (err) {
    throw kafkaError(err, `cannot create or inspect topic ${topic}`, cfg);
  } finally {
    await admin.disconnect().catch(() => {});
  }

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  try {
    await producer.connect();
  } catch (err) {
    throw kafkaError(err, 'cannot connect the producer', cfg);
  }
  const progress = createProgress({ total: messages.length, label: `produce ${topic}` });
  const size = batchSizeFor(rate);
  const started = Date.now();
  let sent = 0;
  try {
    while (sent < messages.length && !control.stopRequested()) {
      const batch = messages.slice(sent, sent + size);
      // Wait until this batch is due, so that n events take at least n / rate seconds.
      const wait = waitBeforeNext(sent + batch.length, rate, Date.now() - started);
      if (wait > 0) await sleep(wait);
      await producer.send(
        topic,
        batch.map((m) => ({ key: m.key, value: m.value })),
      );
      sent += batch.length;
      progress.update(sent);
    }
  } catch (err) {
    throw kafkaError(err, `publishing to ${topic} failed after ${sent} events`, cfg);
  } finally {
    progress.stop();
    await producer.disconnect().catch(() => {});
  }
  return { sent, seconds: (Date.now() - started) / 1000 };
}

/** Run `portrait produce` with parsed options; returns the summary (also used by tests). */
export async function runProduce(opts: ProduceOptions, cfg: Readonly<Config> = loadConfig()): Promise<ProduceSummary> {
  const log = produceLogger(cfg.log.level).child({ component: 'produce' });
  const topic = opts.topic ?? cfg.kafka.topics.comments;
  const prepared = prepare(opts, Date.now());
  if (prepared.messages.length === 0) throw new PortraitError('USAGE', `${opts.file} holds no events to publish`);

  let stop = false;
  const onSigint = () => {
    stop = true;
    say('interrupted, stopping after the current batch (Ctrl-C again to abort)');
  };
  process.once('SIGINT', onSigint);
  let result: { sent: number; seconds: number };
  try {
    result = await publish(cfg, log, topic, prepared.messages, opts.rate, { stopRequested: () => stop });
  } finally {
    process.removeListener('SIGINT', onSigint);
  }

  const summary: ProduceSummary = {
    mode: prepared.mode,
    file: opts.file,
    topic,
    events: result.sent,
    users: prepared.users,
    seconds: Math.round(result.seconds * 1000) / 1000,
    eventsPerSecond: result.seconds > 0 ? Math.round((result.sent / result.seconds) * 10) / 10 : result.sent,
    interrupted: result.sent < prepared.messages.length,
  };
  if (prepared.mode === 'simulate') {
    summary.seed = opts.seed;
    if (prepared.firstTs !== undefined) summary.firstTs = prepared.firstTs;
    if (prepared.lastTs !== undefined) summary.lastTs = prepared.lastTs;
    summary.userInterests = prepared.simulated ?? [];
  } else {
    summary.nullKeys = prepared.nullKeys ?? 0;
  }
  return summary;
}

function printText(s: ProduceSummary): void {
  const who = s.mode === 'simulate' ? `${s.users} simulated users` : `${s.users} distinct keys${s.nullKeys ? ` and ${s.nullKeys} null keys` : ''}`;
  process.stdout.write(`${s.interrupted ? 'interrupted after' : 'produced'} ${s.events} events from ${who} to topic ${s.topic} in ${s.seconds.toFixed(2)} s (${s.eventsPerSecond} events/s)\n`);
  if (s.userInterests && s.userInterests.length > 0) {
    const shown = s.userInterests.slice(0, 20);
    for (const u of shown) process.stdout.write(`  ${u.userId}  ${u.comments} comments  ${u.interests.map((l) => `${l} ${u.labelCounts[l] ?? 0}`).join(', ')}\n`);
    if (s.userInterests.length > shown.length) process.stdout.write(`  … ${s.userInterests.length - shown.length} more (--json lists them all)\n`);
  }
}

export function registerProduce(program: Command): void {
  program
    .command('produce')
    .description('publish comment events to the comments topic: simulated users from a labelled JSONL file, or the lines of a file as they are (--raw)')
    .requiredOption('--file <jsonl>', 'labelled rows {"id","text","label"} (e.g. data/sib200_zh.jsonl), or events with --raw')
    .option('--users <n>', 'how many users to simulate', intOption('--users', 1), 50)
    .option('--limit <n>', 'publish exactly this many events (simulate: dealt round-robin over the users; raw: the first N lines)', intOption('--limit', 1))
    .option(
      '--rate <n>',
      'events per second; 0 = as fast as possible',
      numberOption('--rate', (n) => n >= 0, 'a number >= 0'),
      0,
    )
    .option('--seed <n>', 'seed of the simulation (same seed, same users and comments)', intOption('--seed', 0), 42)
    .option('--topic <topic>', 'topic to publish to (default: kafka.topics.comments from the config)')
    .option('--raw', 'publish every non-blank line as it is (key = its userId, or null): for testing bad input')
    .option('--json', "print the summary as JSON on stdout, with every user's latent interests")
    .addOption(new Option('--comments <n|min-max>', 'comments per user when there is no --limit').argParser(rangeOption('--comments')).default([...SIM_DEFAULTS.commentsPerUser], SIM_DEFAULTS.commentsPerUser.join('-')))
    .addOption(new Option('--interests <n|min-max>', 'latent interests per user').argParser(rangeOption('--interests')).default([...SIM_DEFAULTS.interestsPerUser], SIM_DEFAULTS.interestsPerUser.join('-')))
    .option(
      '--dominant <share>',
      "least share of a user's comments on the main interest",
      numberOption('--dominant', (n) => n > 0 && n <= 1, 'in (0, 1]'),
      SIM_DEFAULTS.dominantShare,
    )
    .option(
      '--span-days <days>',
      'comment times spread over this many days',
      numberOption('--span-days', (n) => n > 0, 'a number > 0'),
      7,
    )
    .option('--start <time>', 'time of the earliest comment, epoch ms or ISO (default: now minus --span-days)', timeOption('--start'))
    .option('--lang <code>', 'lang field for every event (rows with their own lang keep it); omitted by default')
    .option('--user-prefix <prefix>', 'user ids are <prefix>0001, <prefix>0002, …', SIM_DEFAULTS.userPrefix)
    .addHelpText(
      'after',
      `
Examples:
  portrait produce --file data/sib200_zh.jsonl --users 20 --limit 400
  portrait produce --file data/clinc150_en.jsonl --users 500 --rate 200 --seed 7
  portrait produce --file bad-events.jsonl --raw --topic comments-test

Users, interests and comments are simulated as described in docs/data.md.`,
    )
    .action(async (opts: ProduceOptions) => {
      const summary = await runProduce(opts);
      if (opts.json) printJson(summary);
      else printText(summary);
      if (summary.interrupted) process.exitCode = 130;
    });
}
