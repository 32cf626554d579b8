import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { encodeProfileEvent, renderSchemas, writeSchemas, type SchemaFileName } from '../../../src/events/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { comment, profileEvent, profileEventV2, profileViewV2 } from './helpers.js';

const DOCS = fileURLToPath(new URL('../../../docs/schemas/', import.meta.url));

describe('docs/schemas', () => {
  it('match the zod schemas (regenerate: see src/events/json-schema.ts)', () => {
    const rendered = renderSchemas();
    for (const [name, text] of Object.entries(rendered)) {
      const onDisk = readFileSync(join(DOCS, name), 'utf8');
      expect(onDisk, `${name} is stale: run npx tsx -e "import('./src/events/json-schema.ts').then((m) => m.writeSchemas('docs/schemas'))"`).toBe(text);
    }
    expect(
      readdirSync(DOCS)
        .filter((f) => f.endsWith('.schema.json'))
        .sort(),
    ).toEqual(Object.keys(rendered).sort());
  });

  it('writeSchemas writes the rendered files', () => {
    const dir = tempDir('schemas');
    const paths = writeSchemas(dir);
    expect(paths).toHaveLength(3);
    for (const [name, text] of Object.entries(renderSchemas())) expect(readFileSync(join(dir, name), 'utf8')).toBe(text);
  });

  it('are usable JSON Schemas: examples validate, broken examples do not', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const schemas = renderSchemas();
    const validator = (name: SchemaFileName) => ajv.compile(JSON.parse(schemas[name]) as object);
    const c = validator('comment-event.schema.json');
    expect(c(comment())).toBe(true);
    expect(c({ ...comment(), ts: 1714550400000, type: undefined })).toBe(true);
    expect(c({ ...comment(), userId: '{a}:*' })).toBe(true);
    expect(c({ ...comment(), userId: 'a\nb' })).toBe(false);
    expect(c({ ...comment(), text: 5 })).toBe(false);
    const f = validator('forget-event.schema.json');
    expect(f({ type: 'forget', schemaVersion: 1, eventId: 'e', userId: 'u', ts: '2025-01-01T00:00:00Z' })).toBe(true);
    expect(f({ type: 'comment', schemaVersion: 1, eventId: 'e', userId: 'u', ts: '2025-01-01T00:00:00Z' })).toBe(false);
    const p = validator('profile-event.schema.json');
    const enc = encodeProfileEvent(profileEvent());
    if (!enc.ok) throw new Error(enc.detail);
    expect(p(JSON.parse(enc.value.toString('utf8')))).toBe(true);
    expect(p({ ...profileEvent(), text: 'leak' })).toBe(false);
    const enc2 = encodeProfileEvent(profileEventV2());
    if (!enc2.ok) throw new Error(enc2.detail);
    expect(p(JSON.parse(enc2.value.toString('utf8')))).toBe(true);
    const { centroid: c2, ...none } = profileEventV2();
    expect(p(none)).toBe(true);
    expect(p({ ...profileEventV2(), text: 'leak' })).toBe(false);
    expect(p({ ...profileEventV2(), centroid: profileEvent().centroid })).toBe(false);
    expect(p({ ...profileEvent(), centroid: c2 })).toBe(false);
    expect(p({ ...profileEventV2(), centroid: { ...c2!, data: 'f3-_fw==' } })).toBe(false);
    expect(p({ ...profileEventV2(), centroid: { ...c2!, encoding: 'float16' } })).toBe(false);
    expect(p({ ...profileEventV2(), schemaVersion: 3 })).toBe(false);
    // version 2: interests and topTerms as arrays (prefixItems, nothing after), never objects; version 1 the other way round
    expect(profileEventV2().interests[0]).toEqual(['sports', 4.2, 0.6, 0.42]);
    expect(p({ ...profileEventV2(), interests: profileViewV2().interests })).toBe(false);
    expect(p({ ...profileEventV2(), topTerms: profileViewV2().topTerms })).toBe(false);
    expect(p({ ...profileEventV2(), interests: [['sports', 4.2, 0.6]] })).toBe(false);
    expect(p({ ...profileEventV2(), interests: [['sports', 4.2, 0.6, 0.42, 0]] })).toBe(false);
    expect(p({ ...profileEventV2(), interests: [['sports', 4.2, 1.5, 0.42]] })).toBe(false);
    expect(p({ ...profileEventV2(), topTerms: [['t', 1, 2]] })).toBe(false);
    expect(p({ ...profileEventV2(), topTerms: [[1, 't']] })).toBe(false);
    expect(p({ ...profileEvent(), interests: profileEventV2().interests })).toBe(false);
    expect(p({ ...profileEvent(), topTerms: profileEventV2().topTerms })).toBe(false);
  });
});
