import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** give up after this long (default 120 s) */
  timeoutMs?: number;
  /** between two probes (default 100 ms) */
  intervalMs?: number;
  /** asked after every unmet probe: false ends the wait at once (e.g. the process under test exited) */
  alive?: () => boolean;
}

/**
 * Poll until `probe` returns something other than undefined, null or false, and return that.
 * `what` names what is awaited, with what was seen last, for the error when the deadline passes or
 * `alive()` turns false.
 */
export async function waitFor<T>(what: string | (() => string), probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, o: WaitOptions = {}): Promise<T> {
  const timeoutMs = o.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  const say = () => (typeof what === 'string' ? what : what());
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (o.alive && !o.alive()) throw new Error(`the process exited while waiting for ${say()}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${say()}`);
    await sleep(o.intervalMs ?? 100);
  }
}
