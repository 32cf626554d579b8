import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { configuredRetention, describeMs, judgeRetention, retentionLine, retentionMs } from '../../../src/kafka/retention.js';
import { portraitTopics } from '../../../src/kafka/topics.js';
import { isPortraitError } from '../../../src/util/errors.js';

const DAY = 86_400_000;

describe('topic retention (issue #20)', () => {
  it('turns days into retention.ms (-1 = forever) and retention.ms into words', () => {
    expect(retentionMs(90)).toBe(String(90 * DAY));
    expect(retentionMs(0.5)).toBe(String(12 * 3_600_000));
    expect(retentionMs(-1)).toBe('-1');
    expect(describeMs('-1')).toBe('forever');
    expect(describeMs(String(DAY))).toBe('1 day');
    expect(describeMs(7 * DAY)).toBe('7 days');
    expect(describeMs(1.5 * DAY)).toBe('1.5 days');
    expect(describeMs(3 * 3_600_000)).toBe('3 hours');
    expect(describeMs(90_000)).toBe('2 minutes');
    expect(describeMs(500)).toBe('500 ms');
    expect(describeMs(undefined)).toBe('unknown');
  });

  it('says how long each kind of topic keeps what it holds', () => {
    expect(retentionLine({ 'cleanup.policy': 'delete', 'retention.ms': String(7 * DAY), 'retention.bytes': '-1' })).toBe('cleanup.policy delete, retention 7 days');
    expect(retentionLine({ 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '1073741824' })).toBe('cleanup.policy delete, retention forever or 1073741824 bytes per partition');
    expect(retentionLine({ 'cleanup.policy': 'compact', 'retention.ms': String(7 * DAY), 'delete.retention.ms': String(DAY) })).toBe('cleanup.policy compact, latest record per key kept forever; tombstones readable for 1 day');
    expect(retentionLine({ 'cleanup.policy': 'compact,delete', 'retention.ms': String(30 * DAY), 'delete.retention.ms': String(DAY) })).toBe(
      'cleanup.policy compact,delete, retention 30 days, latest record per key kept; tombstones readable for 1 day',
    );
  });

  it('warns when the comments topic keeps less than 3 profile half-lives, and says how much a comment that old still weighs', () => {
    const week = judgeRetention('comments', { 'cleanup.policy': 'delete', 'retention.ms': String(7 * DAY) }, 30);
    expect(week).toHaveLength(1);
    expect(week[0]!.message).toMatch(/keeps 7 days of comments.*30-day half-life.*still weighs 85 %.*at least 3 half-lives \(90 days\).*kafka\.retentionDays\.comments/);
    expect(judgeRetention('comments', { 'cleanup.policy': 'delete', 'retention.ms': String(89 * DAY) }, 30)).toHaveLength(1);
    expect(judgeRetention('comments', { 'cleanup.policy': 'delete', 'retention.ms': String(90 * DAY) }, 30)).toEqual([]);
    expect(judgeRetention('comments', { 'cleanup.policy': 'delete', 'retention.ms': String(7 * DAY) }, 2)).toEqual([]);
    expect(judgeRetention('comments', { 'cleanup.policy': 'delete', 'retention.ms': '-1' }, 30)).toEqual([]);
    expect(judgeRetention('comments', { 'cleanup.policy': 'compact', 'retention.ms': String(DAY) }, 30)).toEqual([]);
    expect(judgeRetention('comments', {}, 30)).toEqual([]);
  });

  it('creates the comments and dead-letter topics with the configured retention, the profiles topic compacted', () => {
    const cfg = loadConfig({ env: {}, overrides: { kafka: { retentionDays: { comments: 120, deadLetter: -1 } } } });
    expect(configuredRetention(cfg)).toEqual({ comments: String(120 * DAY), deadLetter: '-1' });
    const specs = portraitTopics(cfg);
    const named = (t: string) => specs.find((s) => s.topic === t);
    const [comments, profiles, dlq] = [named('comments'), named('profiles'), named('comments.dlq')];
    // the feature log (on by default) is compacted, with no time retention
    expect(named('comments.features')!.configEntries).toContainEqual({ name: 'cleanup.policy', value: 'compact' });
    expect(named('comments.features')!.configEntries!.some((e) => e.name === 'retention.ms')).toBe(false);
    expect(comments!.configEntries).toEqual([
      { name: 'cleanup.policy', value: 'delete' },
      { name: 'retention.ms', value: String(120 * DAY) },
    ]);
    expect(profiles!.configEntries).toContainEqual({ name: 'cleanup.policy', value: 'compact' });
    expect(profiles!.configEntries!.some((e) => e.name === 'retention.ms')).toBe(false);
    expect(dlq!.configEntries).toContainEqual({ name: 'retention.ms', value: '-1' });
    // the documented defaults
    expect(configuredRetention(loadConfig({ env: {} }))).toEqual({ comments: String(90 * DAY), deadLetter: String(14 * DAY) });
  });

  it('refuses a retention of 0 or below other than -1, naming the setting', () => {
    for (const bad of [0, -2]) {
      try {
        loadConfig({ env: {}, overrides: { kafka: { retentionDays: { comments: bad, deadLetter: 14 } } } });
        expect.unreachable();
      } catch (err) {
        expect(isPortraitError(err) && err.code).toBe('CONFIG_INVALID');
        expect((err as Error).message).toMatch(/kafka\.retentionDays\.comments/);
      }
    }
  });
});
