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

/**
 * Each schema's revision, in its `$id`: the profile event schema is at 2 since it reads
 * schemaVersion 2 (the int8 centroid) beside 1.
 */
const SCHEMA_REVISION: Record<SchemaFileName, number> = { 'comment-event.schema.json': 1, 'forget-event.schema.json': 1, 'profile-event.schema.json': 2 };

/** Each schema's `$id`: a URN, so that no host is implied (the files are served from wherever they are copied to). */
export const schemaId = (name: SchemaFileName) => `urn:portrait:schema:${name.replace('.schema.json', '')}:v${SCHEMA_REVISION[name]}`;

/**
 * Unicode property escapes (`\p{Cc}`, `\p{Cs}`) are ECMAScript-only: Python's `re` (jsonschema) and
 * other languages' validators reject them. The same classes as explicit ranges: Cc = U+0000-U+001F and
 * U+007F-U+009F, Cs = U+D800-U+DFFF.
 */
function portablePatterns(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(portablePatterns);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'pattern' && typeof x === 'string' ? x.replaceAll('\\p{Cc}', '\\u0000-\\u001f\\u007f-\\u009f').replaceAll('\\p{Cs}', '\\ud800-\\udfff') : portablePatterns(x)]));
}

/** File name → file content (pretty JSON with a trailing newline). */
export function renderSchemas(): Record<SchemaFileName, string> {
  const out = {} as Record<SchemaFileName, string>;
  for (const name of Object.keys(SCHEMA_FILES) as SchemaFileName[]) {
    const { $schema, ...rest } = SCHEMA_FILES[name]() as Record<string, unknown>;
    out[name] = `${JSON.stringify({ $schema, $id: schemaId(name), ...(portablePatterns(rest) as object) }, null, 2)}\n`;
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
