/**
 * (d) warm-cache rebuild (issue 5): `runReplay` of a topic into a fresh namespace twice, under a
 * fresh key prefix — first with the shared embedding cache cold (every text goes to the model),
 * then into another namespace with the cache warm (the model runs for no text).
 */
import { runReplay, replayGroupId, type ReplaySummary } from '../../src/cli/commands/replay.js';
import { loadConfig } from '../../src/config/index.js';
import type { Stack } from './stack.js';

export interface ReplayResult {
  events: number;
  cold: { eventsPerSecond: number; seconds: number; cache: ReplaySummary['embedCache'] };
  warm: { eventsPerSecond: number; seconds: number; cache: ReplaySummary['embedCache'] };
  speedup: number;
}

export async function warmRebuild(stack: Stack, topics: { comments: string; profiles: string }, log: (s: string) => void = () => {}): Promise<ReplayResult> {
  const prefix = stack.prefix();
  const groupId = stack.group('replay');
  const cfg = loadConfig({
    overrides: {
      kafka: { brokers: stack.brokers, groupId, topics: { comments: topics.comments, profiles: topics.profiles, deadLetter: '' } },
      redis: { url: stack.redisUrl, keyPrefix: prefix },
      metrics: { port: 0 },
      log: { level: 'warn' },
    },
  });
  for (const ns of ['rebuild-cold', 'rebuild-warm']) stack.trackGroup(replayGroupId(cfg, ns));
  log('  replay 1: cold shared embedding cache');
  const cold = await runReplay(cfg, { from: 'earliest', into: 'rebuild-cold', quiet: true });
  log(`    ${cold.events} events in ${cold.seconds} s (${cold.eventsPerSecond}/s); replay 2: warm cache`);
  const warm = await runReplay(cfg, { from: 'earliest', into: 'rebuild-warm', quiet: true });
  log(`    ${warm.events} events in ${warm.seconds} s (${warm.eventsPerSecond}/s)`);
  return {
    events: cold.events,
    cold: { eventsPerSecond: cold.eventsPerSecond, seconds: cold.seconds, cache: cold.embedCache },
    warm: { eventsPerSecond: warm.eventsPerSecond, seconds: warm.seconds, cache: warm.embedCache },
    speedup: Math.round((warm.eventsPerSecond / Math.max(1e-3, cold.eventsPerSecond)) * 100) / 100,
  };
}
