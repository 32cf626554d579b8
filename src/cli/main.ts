import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { PROJECT_ROOT } from '../config/load.js';
import { registerApi } from './commands/api.js';
import { registerDemo } from './commands/demo.js';
import { registerFetchModel } from './commands/fetch-model.js';
import { registerForget } from './commands/forget.js';
import { registerNamespace } from './commands/namespace.js';
import { registerReplay } from './commands/replay.js';
import { registerProduce } from './commands/produce.js';
import { registerProfile } from './commands/profile.js';
import { registerRun } from './commands/run.js';
import { registerTopics } from './commands/topics.js';
import { registerStack } from './commands/stack.js';
import { registerTrain } from './commands/train.js';
import { registerModel } from './commands/model.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerEvaluateProfiles } from './commands/evaluate-profiles.js';
import { registerCalibrate } from './commands/calibrate.js';
import { Exit, failAndExit } from './output.js';

const { version } = JSON.parse(readFileSync(resolve(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
const program = new Command('portrait')
  .description('Portrait: live user profiles from what users write (Kafka → embeddings → classifier → Redis → profiles topic)')
  .version(version, '-V, --version', "print Portrait's version")
  .showHelpAfterError()
  .exitOverride();

registerDemo(program);
registerRun(program);
registerApi(program);
registerProduce(program);
registerProfile(program);
registerForget(program);
registerReplay(program);
registerNamespace(program);
registerTopics(program);
registerStack(program);
registerFetchModel(program);
registerTrain(program);
registerModel(program);
registerEvaluate(program);
registerEvaluateProfiles(program);
registerCalibrate(program);

// --config <file> on every command: a YAML file layered over the defaults, as PORTRAIT_CONFIG (the
// flag wins over the variable); relative paths in it resolve against its folder (src/config/load.ts)
const leaves = (c: Command): Command[] => (c.commands.length === 0 ? [c] : c.commands.flatMap(leaves));
for (const c of program.commands.flatMap(leaves)) c.option('--config <file>', 'a YAML config file layered over the defaults (instead of PORTRAIT_CONFIG)');
program.hook('preAction', (_root, action) => {
  const file = (action.opts() as { config?: string }).config;
  if (file !== undefined) process.env.PORTRAIT_CONFIG = resolve(file);
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? Exit.OK : Exit.USAGE);
  failAndExit(err);
}
