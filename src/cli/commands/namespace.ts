import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { createKafka } from '../../kafka/client.js';
import { committedOffsets } from '../../kafka/offsets.js';
import { createRedis } from '../../store/redis-client.js';
import { checkNamespace, Namespaces } from '../../store/namespaces.js';
import { createLogger } from '../../util/logger.js';
import { printJson, usage } from '../output.js';
import { replayGroupId } from './replay.js';

/**
 * A rebuilt namespace may take over only if its replay group has applied at least everything the
 * live group has: the live processor then continues from its own position, and every earlier
 * event is already in the new namespace (per-user applied offsets skip the overlap).
 */
async function behindBy(cfg: ReturnType<typeof loadConfig>, ns: string): Promise<number> {
  const admin = createKafka(cfg, createLogger('warn'), '-namespace').admin();
  await admin.connect();
  try {
    const topic = cfg.kafka.topics.comments;
    const [live, replay] = await Promise.all([committedOffsets(admin, cfg.kafka.groupId, topic), committedOffsets(admin, replayGroupId(cfg, ns), topic)]);
    let behind = 0;
    for (const [p, l] of live) behind += Math.max(0, (l ?? 0) - (replay.get(p) ?? 0));
    return behind;
  } finally {
    await admin.disconnect();
  }
}

export function registerNamespace(program: Command): void {
  const cmd = program.command('namespace').description('profile namespaces: list them, switch reads and live writes atomically, drop old ones');
  const open = () => {
    const cfg = loadConfig();
    const redis = createRedis(cfg, { maxRetriesPerRequest: 2 });
    return { cfg, redis, ns: new Namespaces(redis, cfg.redis.keyPrefix, cfg.redis.namespace) };
  };
  cmd
    .command('list')
    .description('every namespace with its number of profiles; the active one is marked')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { redis, ns } = open();
      try {
        const list = await ns.list();
        if (opts.json) return printJson(list);
        for (const n of list) process.stdout.write(`${n.active ? '*' : ' '} ${n.namespace}  ${n.profiles} profiles\n`);
      } finally {
        redis.disconnect();
      }
    });
  cmd
    .command('activate <namespace>')
    .description('switch reads and live writes to <namespace> (live processors follow within a second)')
    .option('--force', 'activate even if its replay has not caught up with the live group')
    .option('--json', 'print as JSON')
    .action(async (name: string, opts: { force?: boolean; json?: boolean }) => {
      checkNamespace(name);
      const { cfg, redis, ns } = open();
      try {
        const behind = await behindBy(cfg, name);
        if (behind > 0 && !opts.force) {
          throw usage(`namespace ${name} is ${behind} event(s) behind the live processor; let \`portrait replay --from earliest --into ${name}\` run again (it resumes) and retry, or pass --force`);
        }
        const previous = await ns.activate(name);
        if (opts.json) return printJson({ active: name, previous });
        process.stdout.write(`active namespace: ${name} (was ${previous}); drop the old one with: portrait namespace drop ${previous}\n`);
      } finally {
        redis.disconnect();
      }
    });
  cmd
    .command('drop <namespace>')
    .description('delete every key of an inactive namespace')
    .option('--json', 'print as JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const { redis, ns } = open();
      try {
        const n = await ns.drop(name);
        if (opts.json) return printJson({ dropped: name, keys: n });
        process.stdout.write(`dropped namespace ${name}: ${n} keys deleted\n`);
      } finally {
        redis.disconnect();
      }
    });
}
