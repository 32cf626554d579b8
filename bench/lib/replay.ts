/**
 * (d) warm-cache rebuild (issue 5): `runReplay` of a topic into a fresh namespace twice, under a
 * fresh key prefix — first with the shared embedding cache cold (every text goes to the model),
 * then into another namespace with the cache warm (the model runs for no text); both read the
 * comments (`--source comments`). When the drain wrote a feature log (kafka.featureLog), a third
 * pass rebuilds from it (`--source features`, the default then: no model call, no cache read).
 */
import { runReplay, replayGroupId, type ReplaySummary } from '../../src/cli/commands/replay.js';
import { loadConfig } from '../../src/config/index.js';
import type { Stack } from './stack.js';

export interface ReplayResult {
  events: number;
  /** eventsPerSecond: while consuming (first batch to end); wall*: the whole command, start-up included */
  cold: Pass;
  warm: Pass;
  /**
   * from the feature log, when the drain wrote one: the whole rebuild (the log, then the comments after it) and the log
   * pass alone (`log*`: first batch to its end), each ÷ the warm pass's consuming rate
   */
  features?: Pass & { records: number; speedupOverWarm: number; logSeconds: number; logEventsPerSecond: number; logSpeedupOverWarm: number };
  /** warm ÷ cold throughput while consuming (the target), and of the whole command's wall time */
  speedup: number;
  wallSpeedup: number;
}

interface Pass {
  eventsPerSecond: number;
  seconds: number;
  wallEventsPerSecond: number;
  wallSeconds: number;
  cache: ReplaySummary['embedCache'];
}

const pass = (s: ReplaySummary): Pass => ({ eventsPerSecond: s.processingEventsPerSecond, seconds: s.processingSeconds, wallEventsPerSecond: s.eventsPerSecond, wallSeconds: s.seconds, cache: s.embedCache });

export async function warmRebuild(stack: Stack, topics: { comments: string; profiles: string }, log: (s: string) => void = () => {}): Promise<ReplayResult> {
  const prefix = stack.prefix();
  const groupId = stack.group('replay');
  const featureLog = (await stack.admin.listTopics()).includes(`${topics.comments}.features`);
  const cfg = loadConfig({
    overrides: {
      kafka: { brokers: stack.brokers, groupId, featureLog, topics: { comments: topics.comments, profiles: topics.profiles, deadLetter: '' } },
      redis: { url: stack.redisUrl, keyPrefix: prefix },
      metrics: { port: 0 },
      log: { level: 'warn' },
    },
  });
  for (const ns of ['rebuild-cold', 'rebuild-warm', 'rebuild-log']) stack.trackGroup(replayGroupId(cfg, ns));
  log('  replay 1: cold shared embedding cache');
  const cold = await runReplay(cfg, { from: 'earliest', into: 'rebuild-cold', quiet: true, source: 'comments' });
  const said = (s: ReplaySummary) =>
    `${s.events} events in ${s.processingSeconds} s after ${Math.round((s.seconds - s.processingSeconds) * 10) / 10} s of start-up (${s.processingEventsPerSecond}/s; ${s.eventsPerSecond}/s wall); ${s.batches} chunks, ${s.batchSeconds} s in them`;
  log(`    ${said(cold)}; replay 2: warm cache`);
  const warm = await runReplay(cfg, { from: 'earliest', into: 'rebuild-warm', quiet: true, source: 'comments' });
  log(`    ${said(warm)}`);
  const ratio = (a: number, b: number) => Math.round((a / Math.max(1e-3, b)) * 100) / 100;
  let features: ReplayResult['features'];
  if (featureLog) {
    log('  replay 3: from the feature log');
    const f = await runReplay(cfg, { from: 'earliest', into: 'rebuild-log', quiet: true, source: 'features' });
    log(`    ${said(f)}; model calls (cache misses) ${f.embedCache?.misses ?? 'n/a'}`);
    const logSeconds = f.fromLog?.seconds ?? 0;
    const logEventsPerSecond = Math.round(((f.fromLog?.records ?? 0) / Math.max(logSeconds, 1e-3)) * 10) / 10;
    features = {
      ...pass(f),
      records: f.fromLog?.records ?? 0,
      speedupOverWarm: ratio(f.processingEventsPerSecond, warm.processingEventsPerSecond),
      logSeconds,
      logEventsPerSecond,
      logSpeedupOverWarm: ratio(logEventsPerSecond, warm.processingEventsPerSecond),
    };
  }
  return {
    ...(features ? { features } : {}),
    events: cold.events,
    cold: pass(cold),
    warm: pass(warm),
    speedup: ratio(warm.processingEventsPerSecond, cold.processingEventsPerSecond),
    wallSpeedup: ratio(warm.eventsPerSecond, cold.eventsPerSecond),
  };
}
