/**
 * How long each of Portrait's topics keeps its records, chosen in the config, shown by
 * `portrait topics create|describe` and checked at start-up (issue #20). Pure: no I/O.
 *
 * A rebuild (`portrait replay`, or the processor after Redis lost its state) can only fold what the
 * comments topic still holds, while a profile remembers a comment for several half-lives (30 days
 * by default). A comments topic that keeps less than three half-lives rebuilds profiles that miss
 * comments still weighing more than 1/8 in the live ones: the start-up check says so.
 */
import type { Config } from '../config/index.js';

export const DAY_MS = 86_400_000;

/** Retention below this many profile half-lives is worth a warning. */
export const MEANINGFUL_HALF_LIVES = 3;

/** The topic settings that decide how long records stay, as the broker reports them (effective values). */
export const RETENTION_SETTINGS = ['cleanup.policy', 'retention.ms', 'retention.bytes', 'delete.retention.ms'] as const;

/** A config's retention in days (-1 = forever) as Kafka's retention.ms. */
export function retentionMs(days: number): string {
  return days < 0 ? '-1' : String(Math.round(days * DAY_MS));
}

/** "7 days", "36 hours", "forever" for a retention.ms value. */
export function describeMs(ms: string | number | undefined | null): string {
  if (ms === undefined || ms === null || ms === '') return 'unknown';
  const n = Number(ms);
  if (!Number.isFinite(n)) return String(ms);
  if (n < 0) return 'forever';
  if (n % DAY_MS === 0) return `${n / DAY_MS} day${n === DAY_MS ? '' : 's'}`;
  if (n >= DAY_MS) return `${(n / DAY_MS).toFixed(1)} days`;
  if (n % 3_600_000 === 0) return `${n / 3_600_000} hours`;
  if (n >= 60_000) return `${Math.round(n / 60_000)} minutes`;
  return `${n} ms`;
}

/** One line about a topic's retention: cleanup policy and how long records (or tombstones) stay. */
export function retentionLine(settings: Readonly<Record<string, string | null | undefined>>): string {
  const policy = settings['cleanup.policy'] ?? 'unknown';
  const parts = [`cleanup.policy ${policy}`];
  const compact = policy.split(',').includes('compact');
  const del = policy.split(',').includes('delete');
  if (del || !compact) parts.push(`retention ${describeMs(settings['retention.ms'])}${settings['retention.bytes'] && settings['retention.bytes'] !== '-1' ? ` or ${settings['retention.bytes']} bytes per partition` : ''}`);
  if (compact) parts.push(`latest record per key kept${del ? '' : ' forever'}; tombstones readable for ${describeMs(settings['delete.retention.ms'])}`);
  return parts.join(', ');
}

export interface RetentionFinding {
  level: 'warn';
  topic: string;
  value: string;
  message: string;
}

/**
 * Pure: judge the comments topic's retention against the profile half-life. `settings` are the
 * topic's effective values (undefined when the broker did not say).
 */
export function judgeRetention(topic: string, settings: Readonly<Record<string, string | null | undefined>>, halfLifeDays: number): RetentionFinding[] {
  const policy = settings['cleanup.policy'] ?? '';
  if (!policy.split(',').includes('delete')) return []; // compacted only, or unknown: nothing deleted by age
  const ms = Number(settings['retention.ms']);
  if (!Number.isFinite(ms) || ms < 0) return [];
  const halfLifeMs = halfLifeDays * DAY_MS;
  if (ms >= MEANINGFUL_HALF_LIVES * halfLifeMs) return [];
  const edgeWeight = 2 ** -(ms / halfLifeMs);
  return [
    {
      level: 'warn',
      topic,
      value: `retention.ms ${ms} (${describeMs(ms)})`,
      message: `the comments topic ${topic} keeps ${describeMs(ms)} of comments, and profiles decay with a ${halfLifeDays}-day half-life: a rebuild (portrait replay, or after Redis loses its state) folds only the last ${describeMs(ms)}, while a comment that old still weighs ${(edgeWeight * 100).toFixed(0)} % in a live profile. Keep at least ${MEANINGFUL_HALF_LIVES} half-lives (${MEANINGFUL_HALF_LIVES * halfLifeDays} days): set kafka.retentionDays.comments and run portrait topics create --apply-retention (docs/operations.md, "Retention")`,
    },
  ];
}

/** The retention.ms each topic should have from the config (topics not listed keep the broker's). */
export function configuredRetention(cfg: Pick<Config, 'kafka'>): { comments: string; deadLetter: string } {
  return { comments: retentionMs(cfg.kafka.retentionDays.comments), deadLetter: retentionMs(cfg.kafka.retentionDays.deadLetter) };
}
