/**
 * Clean-up that runs when the current test ends, or after the file's tests when registered outside
 * a test (in beforeAll or at file level).
 */
import { afterAll, onTestFinished } from 'vitest';

// This module is evaluated once per test file, at collection time, so this afterAll is file-level.
const fileCleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const fn of fileCleanups.splice(0).reverse()) await fn();
});

/** Run `fn` when the current test ends, or after the file's tests when called outside a test. */
export function registerCleanup(fn: () => Promise<void> | void): void {
  try {
    onTestFinished(async () => {
      await fn();
    });
  } catch {
    fileCleanups.push(fn);
  }
}
