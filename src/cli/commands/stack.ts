import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { stackDown, stackKafkaPid, stackUp, stackUpCluster } from '../../stack/index.js';
import { parseClusterShape } from '../../stack/redis-cluster.js';
import { Parts } from '../../app/parts.js';
import { createLogger } from '../../util/logger.js';
import { printJson } from '../output.js';
import { PortraitError } from '../../util/errors.js';
import { stepLog } from '../../util/progress.js';
import type { Config } from '../../config/index.js';

/**
 * Before the broker's storage is wiped: which Redis namespaces hold profiles folded from its topics.
 * Kept, they go on: the new topics are new incarnations (new topic IDs) and their events are added
 * to the old profiles. With `drop`, their keys are deleted and profiles start from nothing.
 */
async function reportState(cfg: Readonly<Config>, say: (m: string) => void, drop: boolean): Promise<{ namespace: string; keys: number }[]> {
  const parts = new Parts(cfg, createLogger(cfg.log.level), { redis: { maxRetriesPerRequest: 1, lazyConnect: true }, quietRedis: true });
  const close = async () => {
    parts.redis.disconnect();
    await parts.close();
  };
  try {
    await parts.redis.connect();
  } catch {
    say(`Redis (${cfg.redis.url}) does not answer: cannot tell which namespaces hold state from the old topics`);
    await close();
    return [];
  }
  try {
    const ns = parts.namespaces();
    const withState = (await ns.list()).filter((n) => n.profiles > 0);
    if (withState.length === 0) {
      say('no Redis namespace holds profiles from the old topics');
      return [];
    }
    const names = withState.map((n) => `${n.namespace} (${n.profiles} profiles)`).join(', ');
    if (!drop) {
      say(
        `Redis namespaces with profiles folded from the old topics: ${names}. They are kept: events of the new topics are added to them (new topic IDs, offsets compared per topic). To start profiles from nothing, run \`portrait stack down\` and then \`portrait stack up --fresh --drop-state\``,
      );
      return [];
    }
    const out = [];
    for (const n of withState) out.push({ namespace: n.namespace, keys: await ns.wipe(n.namespace) });
    say(`dropped the state of ${out.map((o) => `${o.namespace} (${o.keys} keys)`).join(', ')}`);
    return out;
  } finally {
    await close();
  }
}

export function registerStack(program: Command): void {
  const stack = program.command('stack').description('run a local Kafka broker (from Maven jars) and Redis without Docker');
  stack
    .command('up')
    .description('start Kafka on 127.0.0.1 and make sure Redis answers; reuses what already runs. The broker keeps its topics and offsets across down/up')
    .option('--fresh', 'start the broker on empty storage: every topic, topic ID and committed offset of the earlier broker is gone (the broker must be down)')
    .option('--drop-state', 'with --fresh: also delete the Redis namespaces that hold profiles folded from the old topics')
    .option('--brokers <n>', 'a replicated Kafka cluster of n KRaft nodes (n ≥ 3; replication factor n, min.insync.replicas n - 1) instead of the single broker; with --redis-cluster')
    .option('--redis-cluster <PxR>', 'a Redis Cluster of P primaries with R replicas each (e.g. 3x1) instead of the single Redis; with --brokers')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean; fresh?: boolean; dropState?: boolean; brokers?: string; redisCluster?: string }) => {
      const cfg = loadConfig();
      const say = stepLog('stack: ');
      if (opts.brokers !== undefined || opts.redisCluster !== undefined) {
        if (opts.brokers === undefined || opts.redisCluster === undefined) throw new PortraitError('USAGE', '--brokers and --redis-cluster go together (the replicated topology), e.g. portrait stack up --brokers 3 --redis-cluster 3x1');
        if (opts.dropState) throw new PortraitError('USAGE', '--drop-state goes with the single-node stack; the replicated topology with --fresh starts both Kafka and Redis empty');
        const brokers = Number(opts.brokers);
        if (!Number.isInteger(brokers) || brokers < 3 || brokers > 9) throw new PortraitError('USAGE', `--brokers ${opts.brokers}: expected a whole number from 3 to 9`);
        const info = await stackUpCluster(cfg, { brokers, redisCluster: parseClusterShape(opts.redisCluster), fresh: opts.fresh === true }, say);
        if (opts.json) return printJson(info);
        process.stdout.write(
          `kafka  ${info.kafka.bootstrap}  ${info.kafka.state} (${info.kafka.nodes.length} nodes, ${info.kafka.storage} storage; replication factor ${info.kafka.replicationFactor}, min.insync.replicas ${info.kafka.minInsyncReplicas})\n`,
        );
        process.stdout.write(`redis  cluster ${info.redis.nodes.join(',')}  ${info.redis.state} (${info.redis.primaries} primaries × ${info.redis.replicas} replica${info.redis.replicas === 1 ? '' : 's'})\n`);
        process.stdout.write(
          `point Portrait at it:\n${Object.entries(info.env)
            .map(([k, v]) => `  export ${k}=${v}`)
            .join('\n')}\n`,
        );
        return;
      }
      if (opts.dropState && !opts.fresh) throw new PortraitError('USAGE', '--drop-state only goes with --fresh (it drops the profiles folded from the topics --fresh deletes)');
      const pid = opts.fresh ? stackKafkaPid(cfg) : undefined;
      if (pid !== undefined) throw new PortraitError('USAGE', `the local Kafka broker runs (pid ${pid}); stop it with \`portrait stack down\` before starting it on fresh storage`);
      let dropped: { namespace: string; keys: number }[] | undefined;
      const info = await stackUp(cfg, say, {
        fresh: opts.fresh === true,
        beforeWipe: async () => {
          dropped = await reportState(cfg, say, opts.dropState === true);
        },
      });
      if (info.kafka.storage === 'kept') say('the broker kept its storage from the last start (topics, topic IDs, committed offsets); `portrait stack up --fresh` starts it on empty storage');
      const droppedNow = dropped as { namespace: string; keys: number }[] | undefined;
      if (opts.json) printJson({ ...info, ...(droppedNow ? { dropped: droppedNow } : {}) });
      else {
        process.stdout.write(`kafka  ${info.kafka.bootstrap}  ${info.kafka.state}${info.kafka.pid ? ` (pid ${info.kafka.pid})` : ''}${info.kafka.storage ? `, ${info.kafka.storage} storage` : ''}\n`);
        process.stdout.write(`redis  ${info.redis.url}  ${info.redis.state}${info.redis.pid ? ` (pid ${info.redis.pid})` : ''}\n`);
      }
    });
  stack
    .command('down')
    .description('stop what `stack up` started (SIGTERM, then wait); leaves anything else running')
    .option('--json', 'print what was stopped as JSON (one line per service)')
    .action(async (opts: { json?: boolean }) => {
      const lines = await stackDown(loadConfig());
      if (opts.json) return printJson({ stopped: lines });
      for (const line of lines) process.stdout.write(`${line}\n`);
    });
}
