/**
 * The CLI's conventions, on the real command (no services needed): --version, --json on every
 * command that prints data (README, "Commands"), a mistyped PORTRAIT_* variable refused.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';

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

describe('portrait CLI conventions', () => {
  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('every command that prints data takes --json', async () => {
    const helps = await Promise.all(PRINTING.map((c) => runCli([...c, '--help'])));
    const missing = PRINTING.filter((_, i) => !/--json\b/.test(helps[i]!.stdout)).map((c) => c.join(' '));
    expect(missing).toEqual([]);
  }, 60_000);

  it('a mistyped PORTRAIT_* variable stops the command with exit 2, naming the setting meant', async () => {
    const r = await runCli(['profile', 'u1'], { PORTRAIT_REDIS_NAMSPACE: 'x' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PORTRAIT_REDIS_NAMSPACE: not a Portrait setting; did you mean PORTRAIT_REDIS_NAMESPACE?');
  });
});
