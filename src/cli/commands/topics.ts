import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { createKafka } from '../../kafka/client.js';
import { ensureTopics, portraitTopics } from '../../kafka/topics.js';
import { createLogger } from '../../util/logger.js';
import { printJson } from '../output.js';

export function registerTopics(program: Command): void {
  const topics = program.command('topics').description("create or describe Portrait's Kafka topics (comments, profiles, dead letters)");
  topics
    .command('create')
    .description('create the missing topics with the configured partition counts (profiles: compacted)')
    .action(async () => {
      const cfg = loadConfig();
      const admin = createKafka(cfg, createLogger(cfg.log.level)).admin();
      await admin.connect();
      try {
        const created = await ensureTopics(admin, portraitTopics(cfg));
        process.stdout.write(created.length ? `created: ${created.join(', ')}\n` : 'all topics exist\n');
      } finally {
        await admin.disconnect();
      }
    });
  topics
    .command('describe')
    .description('partitions, offsets and settings of each topic')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const cfg = loadConfig();
      const admin = createKafka(cfg, createLogger(cfg.log.level)).admin();
      await admin.connect();
      try {
        const specs = portraitTopics(cfg);
        const existing = new Set(await admin.listTopics());
        const out = [];
        for (const s of specs) {
          if (!existing.has(s.topic)) {
            out.push({ topic: s.topic, exists: false });
            continue;
          }
          const offsets = await admin.fetchTopicOffsets(s.topic);
          const messages = offsets.reduce((n, o) => n + (Number(o.high) - Number(o.low)), 0);
          out.push({ topic: s.topic, exists: true, partitions: offsets.length, messages, config: s.configEntries ?? [] });
        }
        if (opts.json) printJson(out);
        else for (const t of out) process.stdout.write(t.exists ? `${t.topic}: ${t.partitions} partitions, ${t.messages} messages\n` : `${t.topic}: missing\n`);
      } finally {
        await admin.disconnect();
      }
    });
}
