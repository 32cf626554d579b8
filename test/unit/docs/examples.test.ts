/**
 * Every event example in the docs is valid against its schema (docs/schemas): the ```json blocks
 * that hold a comment, forget or profile event, and `key|{json}` lines given to a console producer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { renderSchemas, type SchemaFileName } from '../../../src/events/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FILES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];

interface Example {
  file: string;
  value: Record<string, unknown>;
}

function examples(): Example[] {
  const out: Example[] = [];
  for (const file of FILES) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/```json\n([\s\S]*?)```/g)) {
      try {
        const v = JSON.parse(m[1]!) as unknown;
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) out.push({ file, value: v as Record<string, unknown> });
      } catch {
        // not a JSON value (an excerpt): not an example
      }
    }
    for (const m of text.matchAll(/^[^\s|]+\|(\{.*\})\s*$/gm)) out.push({ file, value: JSON.parse(m[1]!) as Record<string, unknown> });
  }
  return out;
}

/** Which contract an example is of, by its fields; undefined for other JSON (API errors, artifacts). */
function schemaOf(v: Record<string, unknown>): SchemaFileName | undefined {
  if (v.type === 'forget') return 'forget-event.schema.json';
  if ('version' in v && 'interests' in v) return 'profile-event.schema.json';
  if ('userId' in v && 'text' in v) return 'comment-event.schema.json';
  return undefined;
}

describe('event examples in the docs', () => {
  const all = examples().filter((e) => schemaOf(e.value) !== undefined);

  it('finds the examples (comment, forget and profile events, console-producer lines)', () => {
    const kinds = new Set(all.map((e) => schemaOf(e.value)));
    expect(kinds).toEqual(new Set(['comment-event.schema.json', 'forget-event.schema.json', 'profile-event.schema.json']));
    expect(all.some((e) => e.file === join('docs', 'docker.md'))).toBe(true);
  });

  it('are each valid against their schema', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const schemas = renderSchemas();
    const validators = new Map(Object.entries(schemas).map(([name, text]) => [name, ajv.compile(JSON.parse(text) as object)]));
    const invalid = all.flatMap((e) => {
      const validate = validators.get(schemaOf(e.value)!)!;
      return validate(e.value) ? [] : [`${e.file}: ${JSON.stringify(e.value).slice(0, 80)}… ${ajv.errorsText(validate.errors)}`];
    });
    expect(invalid).toEqual([]);
  });
});
