import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { type Parts, withParts } from '../../app/parts.js';
import { checkNamespace, missingHistory } from '../../store/namespaces.js';
import { createLogger } from '../../util/logger.js';
import { printJson, usage } from '../output.js';
import { replayGroupId, spanJson, spanText } from './replay.js';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/**
 * A rebuilt namespace may take over only if its replay group has applied at least everything the
 * live group has: the live processor then continues from its own position, and every earlier
 * event is already in the new namespace (per-user applied offsets skip the overlap).
 */
async function behindBy(parts: Parts, ns: string): Promise<number> {
  const { cfg } = parts;
  const admin = parts.kafka.admin();
  await admin.connect();
  try {
    const topic = cfg.kafka.topics.comments;
    const [live, replay] = await Promise.all([admin.committedOffsets(cfg.kafka.groupId, topic), admin.committedOffsets(replayGroupId(cfg, ns), topic)]);
    let behind = 0;
    for (const [p, l] of live) behind += Math.max(0, (l ?? 0) - (replay.get(p) ?? 0));
    return behind;
  } finally {
    await admin.disconnect();
  }
}

export function registerNamespace(program: Command): void {
  const cmd = program.command('namespace').description('profile namespaces: list them, switch reads and live writes atomically, drop old ones');
  const open = <T>(fn: (parts: Parts) => Promise<T>) => withParts(loadConfig(), createLogger('warn'), { redis: { maxRetriesPerRequest: 2 }, kafkaClientIdSuffix: '-namespace' }, fn);
  cmd
    .command('list')
    .description('every namespace with its number of profiles; the active one is marked')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      await open(async (parts) => {
        const list = await parts.namespaces().list();
        if (opts.json) return printJson(list);
        for (const n of list) process.stdout.write(`${n.active ? '*' : ' '} ${n.namespace}  ${n.profiles} profiles\n`);
      });
    });
  cmd
    .command('activate <namespace>')
    .description('switch reads and live writes to <namespace> (live processors follow within a second)')
    .option('--force', 'activate even if its replay has not caught up with the live group')
    .option('--accept-partial', 'activate even if it covers less history (older comments) than the namespace it replaces')
    .option('--json', 'print as JSON')
    .action(async (name: string, opts: { force?: boolean; acceptPartial?: boolean; json?: boolean }) => {
      checkNamespace(name);
      await open(async (parts) => {
        const behind = await behindBy(parts, name);
        if (behind > 0 && !opts.force) {
          throw usage(`namespace ${name} is ${behind} event(s) behind the live processor; let \`portrait replay --from earliest --into ${name}\` run again (it resumes) and retry, or pass --force`);
        }
        const namespaces = parts.namespaces();
        const current = await namespaces.active();
        const [candidate, live] = current === name ? [undefined, undefined] : await Promise.all([namespaces.span(name), namespaces.span(current)]);
        const gap = candidate && live ? missingHistory(candidate, live) : undefined;
        if (gap !== undefined && !opts.acceptPartial) {
          const missing = Number.isFinite(gap) ? `${(gap / 86_400_000).toFixed(1)} days of older comments` : 'every comment';
          throw usage(
            `namespace ${name} covers less history than the active namespace ${current}: its oldest comment is ${iso(candidate!.oldestFirstSeen) ?? 'none (no profiles)'}, ${current}'s is ${iso(live!.oldestFirstSeen)} (${missing} missing; ${candidate!.profiles} profiles against ${live!.profiles}). The comments topic no longer holds them (docs/operations.md, "Retention"). Activate it anyway with --accept-partial`,
          );
        }
        const previous = await namespaces.activate(name);
        const coverage = candidate && live ? { activated: spanJson(candidate), replaced: spanJson(live), partial: gap !== undefined } : undefined;
        if (opts.json) return printJson({ active: name, previous, ...(coverage ? { coverage } : {}) });
        process.stdout.write(`active namespace: ${name} (was ${previous}); drop the old one with: portrait namespace drop ${previous}\n`);
        if (coverage) process.stdout.write(`  ${spanText(coverage.activated)}\n  was ${spanText(coverage.replaced)}${coverage.partial ? ' (accepted: the new one covers less history)' : ''}\n`);
      });
    });
  cmd
    .command('drop <namespace>')
    .description('delete every key of an inactive namespace')
    .option('--json', 'print as JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      await open(async (parts) => {
        const n = await parts.namespaces().drop(name);
        if (opts.json) return printJson({ dropped: name, keys: n });
        process.stdout.write(`dropped namespace ${name}: ${n} keys deleted\n`);
      });
    });
}
