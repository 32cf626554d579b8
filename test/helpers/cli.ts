/** `portrait <args>` as a real process (bin/portrait.js, run from the repository root) that runs to its end. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  /** the exit code; null when a signal (the timeout's included) ended it */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI with `env` on top of this process's environment; resolves when it exits. */
export function runCli(args: string[], env: Record<string, string> = {}, o: { timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['bin/portrait.js', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(o.timeoutMs ? { timeout: o.timeoutMs } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}
