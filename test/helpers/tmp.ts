import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerCleanup } from './cleanup.js';

/** A new directory `portrait-<name>-XXXXXX` in the OS temp dir, removed when the test ends (after the file's tests when made outside a test). */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `portrait-${name}-`));
  registerCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
