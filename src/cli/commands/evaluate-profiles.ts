/**
 * `portrait evaluate-profiles`: simulated users through the real pipeline (Kafka → processor →
 * Redis → profile events), scored against their latent interests beside per-comment accuracy.
 * Needs Kafka and Redis (portrait stack up); deletes its topics, group and keys afterwards.
 */
import { Option, type Command } from 'commander';
import { startProcessor } from '../../../consumers/comments.js';
import { withEmbedder } from '../../app/parts.js';
import { loadConfig } from '../../config/index.js';
import { runEvaluateProfiles, type Population, type ProfilesSummary, type UserLevelTable } from '../../eval/profiles-run.js';
import { createLogger } from '../../util/logger.js';
import { intOption } from '../options.js';
import { printJson } from '../output.js';

interface Options {
  data: string;
  population: Population;
  users: number;
  split: string;
  seed: number;
  model?: string;
  zeroShot?: boolean;
  taxonomy?: string;
  perUser?: boolean;
  json?: boolean;
}

const f3 = (x: number) => x.toFixed(3);

function printText(s: ProfilesSummary): void {
  const w = (line: string) => process.stdout.write(`${line}\n`);
  w(
    `${s.users} simulated users, ${s.perComment.comments} comments from ${s.file} (split ${s.split}) through the pipeline with ${s.classifier.kind} ${s.classifier.version}${s.unmixed ? ', profiles unmixed with its confusion' : ', profiles are plain means'}, in ${s.seconds} s`,
  );
  w(`  profile top-1 accuracy (main interest)   ${f3(s.top1)}`);
  w(`  profile top-3 recall (latent interests)   ${f3(s.top3Recall)}`);
  w(`  per-comment accuracy                      ${f3(s.perComment.accuracy)}   (profile gain ${s.gain >= 0 ? '+' : ''}${f3(s.gain)})`);
  w(`  user majority vote of comment labels      ${f3(s.majorityVoteTop1)}`);
  w(`  user mean of comment probabilities        ${f3(s.meanProbabilityTop1)}`);
  if (s.shareError !== undefined) w(`  share error (L1, profile vs true mix)     ${f3(s.shareError)}   (0 exact, 2 disjoint)`);
  for (const [name, t] of [
    ['all users', s.userLevel.all],
    ['users with at least 3 comments', s.userLevel.atLeast3],
  ] as const)
    printUserLevel(w, name, t);
  if (s.profiled < s.users) w(`  warning: ${s.users - s.profiled} users have no profile event`);
  if (s.unmatchedLabels) w(`  warning: the classifier has no label ${s.unmatchedLabels.join(', ')} (another label space: use --zero-shot for the data set's taxonomy, or --model)`);
}

/** One table: the pipeline's profile, then every aggregation of the same per-comment predictions. */
function printUserLevel(w: (line: string) => void, name: string, t: UserLevelTable): void {
  w(`  user level, against each user's majority topic: ${name} (${t.users})`);
  w(`    ${'aggregation'.padEnd(26)}top-1   top-3 recall   ECE    mean confidence`);
  const row = (label: string, x: UserLevelTable['profile']) => w(`    ${label.padEnd(26)}${f3(x.top1)}   ${f3(x.top3Recall)}          ${f3(x.ece)}  ${f3(x.meanConfidence)}`);
  row('profile (the pipeline)', t.profile);
  for (const [agg, x] of Object.entries(t.aggregations)) row(agg, x);
}

export function registerEvaluateProfiles(program: Command): void {
  program
    .command('evaluate-profiles')
    .description('simulate users (forum-shaped authors, or tidy users with 1-3 interests), stream their comments through the real pipeline and score the profiles, beside every user-level aggregation of the same predictions')
    .requiredOption('--data <jsonl>', 'labelled rows the comments are drawn from, e.g. data/sib200_zh.jsonl')
    .option('--users <n>', 'simulated users', intOption('--users', 1), 50)
    .addOption(
      new Option('--population <kind>', 'authors: shaped like forum authors (1-50 posts, a dominant topic and a long tail, drift, near-duplicates; truth = the majority topic); tidy: 1-3 latent interests, 5-30 comments')
        .choices(['authors', 'tidy'])
        .default('authors'),
    )
    .option('--split <names>', "split value(s) the comments are drawn from, or 'all'", 'test')
    .option('--seed <n>', 'seed of the simulation', intOption('--seed', 0), 42)
    .option('--model <dir>', 'classify with this artifact (default: the configured classifier / active registry model)')
    .option('--zero-shot', 'classify with the zero-shot taxonomy of the data (config/taxonomies/<data>.yaml)')
    .option('--taxonomy <file>', 'with --zero-shot: the taxonomy YAML')
    .option('--per-user', "with --json: include every user's latent interests and profile top 3")
    .option('--json', 'print JSON')
    .action(async (opts: Options) => {
      const cfg = loadConfig();
      const log = createLogger(cfg.log.level === 'info' ? 'warn' : cfg.log.level).child({ component: 'evaluate-profiles' });
      const s: ProfilesSummary = await withEmbedder(cfg, (embedder) =>
        runEvaluateProfiles(
          {
            data: opts.data,
            population: opts.population,
            users: opts.users,
            split: opts.split,
            seed: opts.seed,
            ...(opts.model !== undefined ? { model: opts.model } : {}),
            ...(opts.zeroShot ? { zeroShot: true } : {}),
            ...(opts.taxonomy !== undefined ? { taxonomy: opts.taxonomy } : {}),
          },
          cfg,
          embedder,
          startProcessor,
          log,
        ),
      );
      if (opts.json) {
        const { perUser: _perUser, ...rest } = s;
        printJson(opts.perUser ? s : rest);
      } else printText(s);
    });
}
