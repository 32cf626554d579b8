import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { featuresTopic, loadConfig, type Config } from '../../config/index.js';
import { erasedBy, featurePosition, parseFeatureKey, type ForgetPosition } from '../../events/feature-record.js';
import { readToEnd } from '../../kafka/read-to-end.js';
import { type Parts, withParts } from '../../app/parts.js';
import type { Delivery } from '../../kafka/types.js';
import type { ForgetReceipt } from '../../store/index.js';
import { createLogger } from '../../util/logger.js';
import { numberOption } from '../options.js';
import { usage } from '../output.js';

export interface ForgetResult {
  status: 'done' | 'pending';
  userId: string;
  eventId: string;
  topic: string;
  partition: number;
  offset: string;
  receipt?: ForgetReceipt;
  /**
   * With the feature log on (kafka.featureLog), once the receipt is there: the user's records
   * erased from it (tombstones sent under their keys) and those kept (comments after the forget).
   */
  featureLog?: { topic: string; tombstoned: number; kept: number };
}

/**
 * Tombstone every record of `userId` in the feature log that the forget erases (erasedBy): read the
 * topic to its end (every partition: a producer that did not key by user id spreads a user over
 * several), then send a tombstone under each key, to the partition it sits in.
 */
async function eraseFeatures(parts: Parts, userId: string, forget: ForgetPosition): Promise<{ topic: string; tombstoned: number; kept: number }> {
  const topic = featuresTopic(parts.cfg);
  const admin = parts.kafka.admin();
  await admin.connect();
  const live = new Map<string, { partition: number; erase: boolean }>();
  try {
    if (!(await admin.listTopics()).includes(topic)) return { topic, tombstoned: 0, kept: 0 };
    await readToEnd(
      parts.kafka,
      admin,
      topic,
      (r) => {
        const k = parseFeatureKey(r.key);
        if (!k || k.userId !== userId) return;
        const key = r.key!.toString();
        if (r.value === null) {
          live.delete(key);
          return;
        }
        const pos = featurePosition(r.value);
        // a record that cannot be read is the user's by its key: erased
        live.set(key, { partition: r.partition, erase: pos === undefined || erasedBy(pos, forget) });
      },
      `${parts.cfg.kafka.groupId}-forget`,
    );
  } finally {
    await admin.disconnect();
  }
  const doomed = [...live].filter(([, v]) => v.erase);
  if (doomed.length > 0) {
    const producer = parts.kafka.producer({ idempotent: true });
    await producer.connect();
    try {
      for (let i = 0; i < doomed.length; i += 500)
        await producer.send(
          topic,
          doomed.slice(i, i + 500).map(([key, v]) => ({ key, value: null, partition: v.partition })),
        );
    } finally {
      await producer.disconnect();
    }
  }
  return { topic, tombstoned: doomed.length, kept: live.size - doomed.length };
}

/**
 * Publish a forget event keyed by the user on the comments topic (so it is ordered after the
 * user's earlier comments), then wait for a processor's receipt.
 */
export async function runForget(userId: string, opts: { waitSeconds: number; reason?: string }, cfg: Readonly<Config> = loadConfig()): Promise<ForgetResult> {
  if (userId.length === 0 || userId.length > 256 || /\p{Cc}/u.test(userId)) throw usage('userId must be 1-256 characters without control characters');
  const log = createLogger(cfg.log.level);
  const eventId = `forget-${randomUUID()}`;
  const event = { type: 'forget', schemaVersion: 1, eventId, userId, ts: Date.now(), ...(opts.reason ? { reason: opts.reason } : {}) };
  return withParts(cfg, log, { redis: { maxRetriesPerRequest: 2 }, kafkaClientIdSuffix: '-forget' }, async (parts) => {
    const producer = parts.kafka.producer({ idempotent: true });
    await producer.connect();
    let meta: Delivery | undefined;
    try {
      [meta] = await producer.send(cfg.kafka.topics.comments, [{ key: userId, value: JSON.stringify(event) }]);
    } finally {
      await producer.disconnect();
    }
    const result: ForgetResult = { status: 'pending', userId, eventId, topic: cfg.kafka.topics.comments, partition: meta?.partition ?? -1, offset: meta?.offset !== undefined ? String(meta.offset) : '?' };
    const store = parts.reader(cfg.redis.namespace);
    const deadline = Date.now() + opts.waitSeconds * 1000;
    while (Date.now() < deadline) {
      const r = await store.receipt(eventId);
      if (r) {
        // the processor has erased the user: every feature record of a comment before the forget is written by now
        if (!cfg.kafka.featureLog || meta?.offset === undefined) return { ...result, status: 'done', receipt: r };
        const ids = parts.kafka.topicIds();
        const topicId = await ids.id(cfg.kafka.topics.comments).finally(() => ids.close());
        const featureLog = await eraseFeatures(parts, userId, { partition: meta.partition, offset: meta.offset, ts: event.ts, topicId });
        return { ...result, status: 'done', receipt: r, featureLog };
      }
      await sleep(250);
    }
    return result;
  });
}

export function registerForget(program: Command): void {
  program
    .command('forget <userId>')
    .description("erase a user: publish a forget event ordered with the user's comments; the processor deletes every key of the user, publishes a tombstone and suppresses older events")
    .option(
      '--wait <seconds>',
      'how long to wait for the receipt (0 = do not wait)',
      numberOption('--wait', (n) => n >= 0, 'a number of seconds >= 0'),
      30,
    )
    .option('--reason <text>', 'why (kept in the event for audit)')
    .option('--json', 'print the receipt as JSON')
    .action(async (userId: string, opts: { wait: number; reason?: string; json?: boolean }) => {
      const r = await runForget(userId, { waitSeconds: opts.wait, ...(opts.reason ? { reason: opts.reason } : {}) });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return;
      }
      process.stdout.write(`forget event ${r.eventId} for ${JSON.stringify(r.userId)} published to ${r.topic} partition ${r.partition} offset ${r.offset}\n`);
      if (r.receipt) {
        process.stdout.write(
          `erased: ${r.receipt.keysDeleted} Redis key(s) deleted across namespaces ${r.receipt.namespaces.join(', ')}; tombstone published on the profiles topic; older events suppressed (at ${new Date(r.receipt.processedAt).toISOString()})\n`,
        );
        if (r.featureLog) process.stdout.write(`feature log ${r.featureLog.topic}: ${r.featureLog.tombstoned} record(s) tombstoned${r.featureLog.kept > 0 ? `, ${r.featureLog.kept} kept (comments after the forget)` : ''}\n`);
      } else {
        process.stdout.write(
          'pending: no processor has handled it yet. When one does, it erases what is stored for the user and drops every comment of the user with an event time at or before the forget\'s, and, in the forget\'s partition, every comment before it (docs/events.md, "Partitioning"). Run `portrait forget` again with the same user to check, or watch the profiles topic for the tombstone\n',
        );
      }
    });
}
