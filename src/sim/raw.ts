/** `portrait produce --raw`: the lines of a file as Kafka messages, unchanged (pure). */
import { splitLines } from './jsonl.js';

/** One Kafka message to publish. */
export interface OutMessage {
  key: string | null;
  value: string;
}

/**
 * Every non-blank line as it is (the first `limit` of them). The key is the line's `userId` when the
 * line is a JSON object with a non-empty string or numeric userId, else null; lines that are not
 * JSON at all are published too, so bad input can be tested end to end.
 */
export function rawMessages(text: string, limit?: number): OutMessage[] {
  const lines = splitLines(text);
  return (limit === undefined ? lines : lines.slice(0, limit)).map(({ text: line }) => {
    let key: string | null = null;
    try {
      const v = JSON.parse(line) as unknown;
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        const id = (v as Record<string, unknown>).userId;
        if ((typeof id === 'string' && id !== '') || typeof id === 'number') key = String(id);
      }
    } catch {
      // not JSON: published as it is, with a null key (that is what --raw is for)
    }
    return { key, value: line };
  });
}
