import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../../config/index.js';
import { withParts } from '../../app/parts.js';
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
      if (r) return { ...result, status: 'done', receipt: r };
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
      } else {
        process.stdout.write('pending: no processor has handled it yet; it will be applied in order when one does (run `portrait forget` again with the same user to check, or watch the profiles topic for the tombstone)\n');
      }
    });
}
