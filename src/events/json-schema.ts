/**
 * JSON Schemas of the event contracts, generated from the zod schemas (docs/schemas/*.schema.json).
 * Input events are described as a producer writes them (io: 'input': defaults optional, ts as
 * string or number); the profile event as Portrait writes it (io: 'output').
 *
 * Regenerate after changing src/events/schema.ts:
 *   npx tsx -e "import('./src/events/json-schema.ts').then((m) => m.writeSchemas('docs/schemas'))"
 * test/unit/events/json-schema.test.ts fails while the files on disk differ.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CommentEvent, ForgetEvent, ProfileEvent } from './schema.js';

export const SCHEMA_FILES = {
  'comment-event.schema.json': () => z.toJSONSchema(CommentEvent, { io: 'input' }),
  'forget-event.schema.json': () => z.toJSONSchema(ForgetEvent, { io: 'input' }),
  'profile-event.schema.json': () => z.toJSONSchema(ProfileEvent, { io: 'output' }),
} as const;

export type SchemaFileName = keyof typeof SCHEMA_FILES;

/** File name → file content (pretty JSON with a trailing newline). */
export function renderSchemas(): Record<SchemaFileName, string> {
  const out = {} as Record<SchemaFileName, string>;
  for (const name of Object.keys(SCHEMA_FILES) as SchemaFileName[]) {
    out[name] = `${JSON.stringify(SCHEMA_FILES[name](), null, 2)}\n`;
  }
  return out;
}

/** Write every schema file into `dir` (created if missing); returns the paths written. */
export function writeSchemas(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(renderSchemas()).map(([name, text]) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  });
}
