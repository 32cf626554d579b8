import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { Parts, withParts } from '../../app/parts.js';
import { judgeRetention, RETENTION_SETTINGS, retentionLine } from '../../kafka/retention.js';
import { portraitTopics, type TopicSpec } from '../../kafka/topics.js';
import { createLogger } from '../../util/logger.js';
import type { Config } from '../../config/index.js';
import { Keys } from '../../store/keys.js';
import { readSpread, type SpreadEntry } from '../../store/spread.js';

interface FoldedFrom {
  namespace: string;
  /** the state epoch in force and how it began */
  epoch?: { id: string; kind: string; since: string; versionFloor: number; why: string };
  /** per topic ID of the comments topic: partitions with a checkpoint, and whether it is the topic's current ID */
  incarnations: { topicId: string; current: boolean; partitions: number; events: number }[];
}

/**
 * What Redis says of the comments topic: per namespace, which incarnations (topic IDs) its profiles
 * were folded from (the namespace's continuity record, src/store/continuity.ts); and the partition
 * sets of users the processors saw on more than one partition (src/store/spread.ts).
 */
async function fromRedis(cfg: Readonly<Config>, topic: string, currentId: string | undefined): Promise<{ foldedFrom: FoldedFrom[]; spread: SpreadEntry[] } | { error: string }> {
  const parts = new Parts(cfg, createLogger(cfg.log.level), { redis: { maxRetriesPerRequest: 1, lazyConnect: true }, quietRedis: true });
  try {
    await parts.redis.connect();
    const store = parts.continuity();
    const out: FoldedFrom[] = [];
    for (const { namespace } of await parts.namespaces().list()) {
      const rec = await store.read(namespace);
      if (!rec) continue;
      const byId = new Map<string, { partitions: number; events: number }>();
      for (const [field, next] of Object.entries(rec.checkpoints)) {
        if (!field.startsWith(`${topic}@`)) continue;
        const id = field.slice(topic.length + 1, field.lastIndexOf(':'));
        const e = byId.get(id) ?? { partitions: 0, events: 0 };
        e.partitions++;
        e.events += next;
        byId.set(id, e);
      }
      out.push({
        namespace,
        epoch: { id: rec.epoch.id, kind: rec.epoch.kind, since: new Date(rec.epoch.created).toISOString(), versionFloor: rec.epoch.floor, why: rec.why },
        incarnations: [...byId].map(([topicId, e]) => ({ topicId, current: topicId === currentId, ...e })),
      });
    }
    return { foldedFrom: out, spread: await readSpread(parts.redis, new Keys(cfg.redis.keyPrefix, cfg.redis.namespace), topic) };
  } catch (err) {
    return { error: `Redis ${cfg.redis.url}: ${(err as Error).message}` };
  } finally {
    parts.redis.disconnect();
    await parts.close();
  }
}
import { printJson } from '../output.js';

/** The retention settings a topic spec asks for (the compacted profiles topic asks none). */
function wantedRetention(s: TopicSpec): [string, string][] {
  return (s.configEntries ?? []).filter((e) => e.name === 'retention.ms').map((e) => [e.name, e.value]);
}

export function registerTopics(program: Command): void {
  const topics = program.command('topics').description("create or describe Portrait's Kafka topics (comments, profiles, dead letters)");
  topics
    .command('create')
    .description("create the missing topics with the configured partition counts and retention (profiles: compacted), and show every topic's retention")
    .option('--apply-retention', 'also give existing topics the configured retention (kafka.retentionDays); other topic settings are kept')
    .option('--json', 'print the topics created and their retention as JSON')
    .action(async (opts: { json?: boolean; applyRetention?: boolean }) => {
      const cfg = loadConfig();
      await withParts(cfg, createLogger(cfg.log.level), {}, async (parts) => {
        const admin = parts.kafka.admin();
        await admin.connect();
        try {
          const specs = portraitTopics(cfg);
          const created = await admin.ensureTopics(specs);
          const applied: string[] = [];
          let settings = await admin.topicSettings(
            specs.map((s) => s.topic),
            RETENTION_SETTINGS,
          );
          const differs = specs.filter((s) => !created.includes(s.topic) && wantedRetention(s).some(([name, value]) => settings.get(s.topic)?.[name] !== value));
          if (opts.applyRetention && differs.length > 0) {
            for (const s of differs) {
              await admin.setTopicSettings(s.topic, Object.fromEntries(wantedRetention(s)));
              applied.push(s.topic);
            }
            settings = await admin.topicSettings(
              specs.map((s) => s.topic),
              RETENTION_SETTINGS,
            );
          }
          const rows = specs.map((s) => ({ topic: s.topic, created: created.includes(s.topic), retentionApplied: applied.includes(s.topic), settings: settings.get(s.topic) ?? null }));
          const pending = opts.applyRetention ? [] : differs.map((s) => s.topic);
          if (opts.json) return printJson({ created, retentionApplied: applied, retentionDiffers: pending, topics: rows });
          process.stdout.write(created.length ? `created: ${created.join(', ')}\n` : 'all topics exist\n');
          for (const r of rows) process.stdout.write(`  ${r.topic}: ${r.settings ? retentionLine(r.settings) : 'settings unknown'}${r.retentionApplied ? ' (retention just applied)' : ''}\n`);
          if (pending.length > 0) {
            process.stdout.write(`warning: ${pending.join(', ')} existed already with another retention than the config's (kafka.retentionDays); run portrait topics create --apply-retention to apply it\n`);
          }
        } finally {
          await admin.disconnect();
        }
      });
    });
  topics
    .command('describe')
    .description('partitions, offsets, settings and topic ID of each topic, and which incarnations of the comments topic the profiles in Redis were folded from')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const cfg = loadConfig();
      const kafka = new Parts(cfg, createLogger(cfg.log.level)).kafka;
      const admin = kafka.admin();
      const ids = kafka.topicIds();
      await admin.connect();
      try {
        const specs = portraitTopics(cfg);
        const existing = new Set(await admin.listTopics());
        const identities = await ids.lookup(specs.map((s) => s.topic));
        const settings = await admin.topicSettings(
          specs.map((s) => s.topic).filter((t) => existing.has(t)),
          RETENTION_SETTINGS,
        );
        const out: Record<string, unknown>[] = [];
        for (const s of specs) {
          if (!existing.has(s.topic)) {
            out.push({ topic: s.topic, exists: false });
            continue;
          }
          const offsets = await admin.topicOffsets(s.topic);
          const messages = offsets.reduce((n, o) => n + (o.end - o.start), 0);
          const topicId = identities.get(s.topic)?.topicId ?? null;
          const entry: Record<string, unknown> = { topic: s.topic, exists: true, topicId, partitions: offsets.length, messages, config: s.configEntries ?? [], settings: settings.get(s.topic) ?? null };
          if (s.topic === cfg.kafka.topics.comments) {
            const r = await fromRedis(cfg, s.topic, topicId ?? undefined);
            if ('error' in r) entry.foldedFrom = r;
            else Object.assign(entry, r);
          }
          out.push(entry);
        }
        if (opts.json) printJson(out);
        else
          for (const t of out) {
            if (!t.exists) {
              process.stdout.write(`${String(t.topic)}: missing\n`);
              continue;
            }
            process.stdout.write(`${String(t.topic)}: ${String(t.partitions)} partitions, ${String(t.messages)} messages, topic ID ${(t.topicId as string | null) ?? '(none: the broker has no topic IDs)'}\n`);
            const st = t.settings as Record<string, string | null> | null;
            process.stdout.write(`  ${st ? retentionLine(st) : 'retention: unknown (the broker did not describe the topic)'}\n`);
            if (st && t.topic === cfg.kafka.topics.comments) for (const f of judgeRetention(String(t.topic), st, cfg.profile.halfLifeDays)) process.stdout.write(`  warning: ${f.message}\n`);
            const f = t.foldedFrom as FoldedFrom[] | { error: string } | undefined;
            if (f && 'error' in f) process.stdout.write(`  folded from: unknown (${f.error})\n`);
            else
              for (const n of f ?? []) {
                const inc = n.incarnations.map((i) => `${i.topicId}${i.current ? ' (current)' : ' (an older incarnation)'}: ${i.partitions} partitions, next offsets summing to ${i.events}`).join('; ');
                process.stdout.write(`  namespace ${n.namespace}: state epoch ${n.epoch?.kind} since ${n.epoch?.since}; folded from ${inc || 'nothing yet'}\n`);
              }
            for (const e of (t.spread as SpreadEntry[] | undefined) ?? []) {
              const which = e.topicId === (t.topicId ?? '') ? '' : ` (incarnation ${e.topicId || 'without ID'})`;
              process.stdout.write(
                `  warning: users on more than one partition${which}: partitions ${e.partitions.join(', ')} in ${e.writes} profile writes, last at ${new Date(e.last).toISOString()}. A producer does not key by userId with murmur2: set partitioner=murmur2_random in librdkafka clients (docs/events.md, "Partitioning"); the processors' warning log names the users\n`,
              );
            }
          }
      } finally {
        await ids.close();
        await admin.disconnect();
      }
    });
}
