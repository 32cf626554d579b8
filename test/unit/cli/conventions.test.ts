/**
 * The CLI's conventions, on the real command (no services needed): --version, --json on every
 * command that prints data (README, "Commands"), a mistyped PORTRAIT_* variable refused.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';

const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Commands that print data: each takes --json. */
const PRINTING = [
  ['profile'],
  ['forget'],
  ['produce'],
  ['replay'],
  ['namespace', 'list'],
  ['namespace', 'activate'],
  ['namespace', 'drop'],
  ['topics', 'create'],
  ['topics', 'describe'],
  ['stack', 'up'],
  ['stack', 'down'],
  ['fetch-model'],
  ['train'],
  ['evaluate'],
  ['evaluate-profiles'],
  ['calibrate'],
  ['model', 'list'],
  ['model', 'show'],
  ['model', 'register'],
  ['model', 'activate'],
  ['model', 'rollback'],
  ['model', 'deactivate'],
  ['model', 'history'],
];

/** `--help` of each command, three processes at a time (all at once would load a 2-core machine enough to slow the other unit tests). */
async function helpOf(commands: readonly string[][]): Promise<{ stdout: string }[]> {
  const out: { stdout: string }[] = [];
  for (let i = 0; i < commands.length; i += 3) out.push(...(await Promise.all(commands.slice(i, i + 3).map((c) => runCli([...c, '--help'])))));
  return out;
}

describe('portrait CLI conventions', () => {
  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('every command that prints data takes --json', async () => {
    const helps = await helpOf(PRINTING);
    const missing = PRINTING.filter((_, i) => !/--json\b/.test(helps[i]!.stdout)).map((c) => c.join(' '));
    expect(missing).toEqual([]);
  }, 60_000);

  it('every command takes --config <file>, layered over the defaults like PORTRAIT_CONFIG', async () => {
    const all = [...PRINTING, ['run'], ['api'], ['demo']];
    const helps = await helpOf(all);
    expect(all.filter((_, i) => !/--config <file>/.test(helps[i]!.stdout)).map((c) => c.join(' '))).toEqual([]);
    const file = join(tempDir('cli-config'), 'bad.yaml');
    writeFileSync(file, 'kafka:\n  brokerz: [a:1]\n');
    const r = await runCli(['profile', 'u1', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('kafka.brokerz: unknown key');
  }, 60_000);

  it('a mistyped PORTRAIT_* variable stops the command with exit 2, naming the setting meant', async () => {
    const r = await runCli(['profile', 'u1'], { PORTRAIT_REDIS_NAMSPACE: 'x' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PORTRAIT_REDIS_NAMSPACE: not a Portrait setting; did you mean PORTRAIT_REDIS_NAMESPACE?');
  });
});
