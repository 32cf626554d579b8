/**
 * Ask a Kafka cluster again while it answers "not ready yet". kafkajs's consumer and producer retry
 * such answers; several of its admin calls do not (they give up at the first one), and a cluster
 * that has just started, or a topic that has just been created, gives them for a moment.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** The kafkajs error type of `err` (its protocol error code's name), or '' when it has none. */
export function kafkaErrorType(err: unknown): string {
  return String((err as { type?: unknown } | null)?.type ?? '');
}

/**
 * `fn`'s result, calling it again (250 ms, doubling to 2 s) for up to `waitMs` while it fails with a
 * kafkajs error whose type is in `notReady`; any other error, or the last one, is thrown.
 */
export async function askAgain<T>(notReady: ReadonlySet<string>, fn: () => Promise<T>, waitMs: number, pause: (ms: number) => Promise<unknown> = sleep): Promise<T> {
  let waited = 0;
  for (let delay = 250; ; delay = Math.min(delay * 2, 2000)) {
    try {
      return await fn();
    } catch (err) {
      if (!notReady.has(kafkaErrorType(err)) || waited + delay > waitMs) throw err;
      await pause(delay);
      waited += delay;
    }
  }
}
