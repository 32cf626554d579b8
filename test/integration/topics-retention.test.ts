/**
 * `portrait topics create|describe` on a real broker: every topic's retention and cleanup policy
 * from the broker itself, the configured retention on new topics, existing topics left alone until
 * --apply-retention, which keeps the topic's other settings (issue #20).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { brokers, redisUrl, registerCleanup, testAdmin, uniqueName } from '../helpers/services.js';

const DAY = 86_400_000;

describe('topic retention (real broker)', () => {
  it("creates topics with the configured retention, shows every topic's, warns below 3 half-lives and applies a new one on demand", async () => {
    const admin = await testAdmin();
    const run = uniqueName('ret');
    const topics = { comments: `${run}-comments`, profiles: `${run}-profiles`, dlq: `${run}-dlq` };
    registerCleanup(() => admin.deleteTopics({ topics: [...Object.values(topics), `${topics.comments}.features`] }).catch(() => {}));
    const env = (over: Record<string, string> = {}) => ({
      PORTRAIT_LOG_LEVEL: 'silent',
      PORTRAIT_KAFKA_BROKERS: brokers().join(','),
      PORTRAIT_KAFKA_TOPICS_COMMENTS: topics.comments,
      PORTRAIT_KAFKA_TOPICS_PROFILES: topics.profiles,
      PORTRAIT_KAFKA_TOPICS_DEAD_LETTER: topics.dlq,
      PORTRAIT_KAFKA_PARTITIONS: '2',
      PORTRAIT_REDIS_URL: redisUrl(),
      PORTRAIT_REDIS_KEY_PREFIX: run,
      ...over,
    });
    const settingsOf = async (topic: string) => {
      const res = await admin.describeConfigs({ resources: [{ type: 2, name: topic }], includeSynonyms: false });
      return Object.fromEntries(res.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
    };

    // a week: below three 30-day half-lives
    const created = await runCli(['topics', 'create'], env({ PORTRAIT_KAFKA_RETENTION_DAYS_COMMENTS: '7' }));
    expect(created.code, created.stderr).toBe(0);
    // the feature log (kafka.featureLog, on by default) is created with them
    expect(created.stdout).toContain(`created: ${topics.comments}, ${topics.profiles}, ${topics.comments}.features, ${topics.dlq}`);
    expect(created.stdout).toContain(`${topics.comments}.features: cleanup.policy compact, latest record per key kept forever; tombstones readable for`);
    expect(created.stdout).toContain(`${topics.comments}: cleanup.policy delete, retention 7 days`);
    expect(created.stdout).toContain(`${topics.profiles}: cleanup.policy compact, latest record per key kept forever; tombstones readable for`);
    expect(created.stdout).toContain(`${topics.dlq}: cleanup.policy delete, retention 14 days`);
    expect((await settingsOf(topics.comments))['retention.ms']).toBe(String(7 * DAY));

    const described = await runCli(['topics', 'describe'], env({ PORTRAIT_KAFKA_RETENTION_DAYS_COMMENTS: '7' }));
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout).toMatch(new RegExp(`${topics.comments}: 2 partitions[^\\n]*\\n  cleanup\\.policy delete, retention 7 days\\n  warning: the comments topic ${topics.comments} keeps 7 days`));
    expect(described.stdout).toMatch(new RegExp(`${topics.profiles}: 2 partitions[^\\n]*\\n  cleanup\\.policy compact`));
    expect(described.stdout).toMatch(new RegExp(`${topics.dlq}: 2 partitions[^\\n]*\\n  cleanup\\.policy delete, retention 14 days`));
    expect(described.stdout).toMatch(new RegExp(`${topics.comments}\\.features: 2 partitions[^\\n]*\\n  cleanup\\.policy compact`));

    // another setting on the topic, then the default retention (90 days) in the config
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: 2,
          name: topics.comments,
          configEntries: [
            { name: 'retention.ms', value: String(7 * DAY) },
            { name: 'segment.ms', value: '3600000' },
          ],
        },
      ],
    });
    const again = await runCli(['topics', 'create'], env());
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('all topics exist');
    expect(again.stdout).toContain(`warning: ${topics.comments} existed already with another retention than the config's`);
    expect((await settingsOf(topics.comments))['retention.ms']).toBe(String(7 * DAY));

    const applied = await runCli(['topics', 'create', '--apply-retention', '--json'], env());
    expect(applied.code, applied.stderr).toBe(0);
    const out = JSON.parse(applied.stdout) as { retentionApplied: string[]; topics: { topic: string; settings: Record<string, string> }[] };
    expect(out.retentionApplied).toEqual([topics.comments]);
    expect(out.topics.find((t) => t.topic === topics.comments)!.settings['retention.ms']).toBe(String(90 * DAY));
    const after = await settingsOf(topics.comments);
    expect(after['retention.ms']).toBe(String(90 * DAY));
    expect(after['segment.ms']).toBe('3600000');
    const quiet = await runCli(['topics', 'describe'], env());
    expect(quiet.stdout).toContain('retention 90 days');
    expect(quiet.stdout).not.toContain('warning');
  });
});
