/**
 * The main job, end to end on one machine: services up, processor running, sample comments from
 * simulated users streamed, live profile updates printed, final profiles compared with the users'
 * latent interests, and (with the feature log on) the same profiles rebuilt from the feature log with
 * no model call and compared with the live ones.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { startProcessor } from '../../../consumers/comments.js';
import { loadConfig, projectPath, type Config } from '../../config/index.js';
import { fetchBundledModel } from '../../embed/model-fetch.js';
import { profileView } from '../../events/profile-event.js';
import { startApi } from '../../api/server.js';
import { createTelemetry, processorTarget } from '../../app/telemetry.js';
import { stackUp } from '../../stack/index.js';
import { createLogger } from '../../util/logger.js';
import { stepLog } from '../../util/progress.js';
import { intOption, numberOption } from '../options.js';
import { runProduce, type ProduceSummary } from './produce.js';
import { profileMismatch } from './profile-diff.js';
import { runReplay } from './replay.js';

const say = (s = '') => process.stdout.write(`${s}\n`);
/** the services' and the model's own steps, indented under the demo's numbered ones */
const step = stepLog('   ', { stream: process.stdout });

function bar(share: number, width = 20): string {
  const n = Math.round(share * width);
  return '█'.repeat(n) + '·'.repeat(width - n);
}

interface ProfileView {
  userId: string;
  version: number;
  commentCount: number;
  interests: { label: string; share: number; confidence: number }[];
  topTerms: { term: string }[];
}

function usesLocalStack(cfg: Readonly<Config>): boolean {
  return cfg.kafka.brokers.length === 1 && cfg.kafka.brokers[0] === `127.0.0.1:${cfg.stack.kafkaPort}`;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('bring the stack up, start the processor, stream sample comments of simulated users, show live profiles')
    .option('--users <n>', 'simulated users (half Chinese, half English)', intOption('--users', 1), 24)
    .option('--comments <n>', 'comments in total', intOption('--comments', 1), 480)
    .option(
      '--rate <n>',
      'events per second',
      numberOption('--rate', (n) => n >= 0, 'a number >= 0'),
      120,
    )
    .option('--serve', 'keep the processor, the API and the dashboard running afterwards (Ctrl-C stops)')
    .action(async (opts: { users: number; comments: number; rate: number; serve?: boolean }) => {
      const cfg = loadConfig();
      const log = createLogger(process.env.PORTRAIT_LOG_LEVEL ?? 'warn');
      say('Portrait demo\n');
      if (usesLocalStack(cfg)) {
        say('1. services: Kafka (from Maven jars, KRaft) and Redis on 127.0.0.1');
        const info = await stackUp(cfg, step);
        say(`   kafka ${info.kafka.bootstrap} (${info.kafka.state}), redis ${info.redis.url} (${info.redis.state})`);
      } else say(`1. services: using Kafka ${cfg.kafka.brokers.join(',')} and Redis ${cfg.redis.url} from the configuration`);

      const model = fetchBundledModel(projectPath(cfg.embedder.modelDir), step);
      say(`2. model: ${cfg.embedder.model} (${model.state}); starting the processor (${cfg.classifier.kind} classifier)`);
      let applied = 0;
      const telemetry = createTelemetry(cfg, log, { groupId: cfg.kafka.groupId });
      const proc = await startProcessor(cfg, log, {
        checkRedis: false,
        hooks: {
          onBatch: (out, info) => {
            applied += out.stats.applied;
            telemetry.hooks.onBatch(out, info);
          },
        },
      });
      await telemetry.attach(processorTarget(proc));
      const api = await startApi(cfg, log).catch(() => startApi(cfg, log, { port: 0 }));
      say(`   dashboard and API: ${api.url}/  (profiles: ${api.url}/v1/users/<userId>/profile)`);

      // Watch the profiles topic the way a recommender would.
      const run = randomBytes(3).toString('hex');
      const prefix = `demo-${run}-`;
      const latest = new Map<string, ProfileView>();
      let shown = 0;
      let seen = 0;
      const watcher = await proc.parts.kafkaAs('-demo-watch').follow(cfg.kafka.topics.profiles, { groupId: `portrait-demo-${run}`, fromBeginning: false }, async (batch) => {
        for (const r of batch.records) {
          if (!r.value) continue;
          const p = profileView(JSON.parse(r.value.toString()) as unknown) as ProfileView;
          if (!p.userId.startsWith(prefix)) continue;
          latest.set(p.userId, p);
          seen++;
          if (seen % 15 === 1 && shown < 12) {
            shown++;
            const top = p.interests
              .slice(0, 2)
              .map((i) => `${i.label} ${(i.share * 100).toFixed(0)}%`)
              .join(', ');
            say(`   live  ${p.userId.slice(prefix.length)} v${p.version} (${p.commentCount} comments): ${top}`);
          }
        }
      });
      // let the watcher join before producing, so it sees the updates from the start
      await sleep(1500);

      say(`3. streaming ${opts.comments} real comments (SIB-200, Chinese and English) from ${opts.users} simulated users at ${opts.rate}/s`);
      const half = Math.max(1, Math.floor(opts.users / 2));
      const common = { rate: opts.rate / 2, seed: 7, comments: [5, 30] as [number, number], interests: [1, 3] as [number, number], dominant: 0.6, spanDays: 30 };
      const runs: ProduceSummary[] = await Promise.all([
        runProduce({ ...common, file: projectPath('data/sib200_zh.jsonl'), users: half, limit: Math.ceil(opts.comments / 2), userPrefix: `${prefix}zh`, lang: 'zh' }, cfg),
        runProduce({ ...common, file: projectPath('data/sib200_en.jsonl'), users: opts.users - half, limit: Math.floor(opts.comments / 2), userPrefix: `${prefix}en`, lang: 'en', seed: 8 }, cfg),
      ]);
      const produced = runs.reduce((n, r) => n + r.events, 0);
      const deadline = Date.now() + 120_000;
      while (applied < produced && Date.now() < deadline) await sleep(200);
      await sleep(1000);
      say(`   processed ${applied}/${produced} comments into ${latest.size} profiles\n`);

      say('4. final profiles (latent interests of the simulated user → the profile Portrait built)');
      const users = runs.flatMap((r) => r.userInterests ?? []).slice(0, 8);
      for (const u of users) {
        const p = latest.get(u.userId) ?? (profileView(await proc.store.getProfile(u.userId)) as ProfileView | null);
        say(`\n   ${u.userId.slice(prefix.length)}  wrote ${u.comments} comments about: ${u.interests.join(', ')}`);
        if (!p) {
          say('     (no profile yet)');
          continue;
        }
        for (const i of p.interests.slice(0, 3)) say(`     ${i.label.padEnd(14)} ${bar(i.share)} ${(i.share * 100).toFixed(0).padStart(3)}%  confidence ${i.confidence.toFixed(2)}`);
        say(
          `     top terms: ${p.topTerms
            .slice(0, 6)
            .map((t) => t.term)
            .join(' · ')}   (version ${p.version})`,
        );
      }
      say(`\n   npx portrait profile ${users[0]?.userId ?? '<userId>'}   prints a full profile as JSON`);

      await watcher.stop();
      if (cfg.kafka.featureLog)
        await rebuildFromLog(
          cfg,
          proc,
          runs.flatMap((r) => (r.userInterests ?? []).map((u) => u.userId)),
        );
      if (opts.serve) {
        say(`\nServing: dashboard ${api.url}/ (look up ${users[0]?.userId ?? 'a user'}); Ctrl-C stops.`);
        await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      }
      await api.close();
      await telemetry.stop();
      await proc.stop();
      say('\nDone. The stack keeps running (npm run stack:down stops it); npx portrait run starts the processor on its own, npx portrait api the API and dashboard.');
    });
}

/**
 * Step 5: what `portrait replay` does by default, into a throwaway namespace: rebuild from the feature
 * log, compare every demo user's rebuilt profile with the live one, report the model calls (the
 * shared embedding cache's misses), then drop the namespace and the replay's group. A difference
 * sets a failing exit code.
 */
async function rebuildFromLog(cfg: Readonly<Config>, proc: Awaited<ReturnType<typeof startProcessor>>, userIds: readonly string[]): Promise<void> {
  const into = `demo-rebuild-${randomBytes(3).toString('hex')}`;
  say(`\n5. rebuild from the feature log (portrait replay --from earliest --into ${into}: ids, times, terms and int8 vectors, no text)`);
  // the processor above already skipped the Redis persistence check (checkRedis: false); so does the rebuild
  const r = await runReplay({ ...cfg, log: { ...cfg.log, level: 'error' } }, { from: 'earliest', into, quiet: true });
  const [live, rebuilt] = [await proc.parts.store(await proc.parts.namespaces().active()), await proc.parts.store(into)];
  const differ: string[] = [];
  for (const u of userIds) {
    const why = profileMismatch(await live.getProfile(u), await rebuilt.getProfile(u));
    if (why) differ.push(`${u}: ${why}`);
  }
  const calls = r.embedCache?.misses ?? 0;
  say(`   ${r.fromLog?.records ?? 0} log records and ${r.events - (r.fromLog?.records ?? 0)} comments after the log in ${r.seconds} s; model calls: ${calls}`);
  if (differ.length === 0) say(`   the ${userIds.length} demo users' rebuilt profiles equal the live ones (comment counts, times, interests, top terms)`);
  else {
    say(`   ${differ.length} of ${userIds.length} rebuilt profiles differ from the live ones:`);
    for (const d of differ.slice(0, 5)) say(`     ${d}`);
    process.exitCode = 1;
  }
  await proc.parts.namespaces().drop(into);
  const admin = proc.parts.kafka.admin();
  await admin.connect();
  await admin.deleteGroups([r.groupId]).catch(() => {});
  await admin.disconnect();
}
