/**
 * The event contracts as another language reads them: Python's jsonschema (Debian's
 * python3-jsonschema; .ci/run installs it) validates the same examples as the JavaScript test
 * (json-schema.test.ts) against docs/schemas. Skipped, and named, where python3 has no jsonschema;
 * .ci/run fails on a skipped test.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { encodeProfileEvent, renderSchemas, type SchemaFileName } from '../../../src/events/index.js';
import { comment, profileEvent, profileEventV2, profileViewV2 } from './helpers.js';

const hasJsonschema = spawnSync('python3', ['-c', 'import jsonschema'], { stdio: 'ignore' }).status === 0;

const SCRIPT = `
import json, sys
import jsonschema
cases = json.load(sys.stdin)
out = []
for c in cases:
    schema = c["schema"]
    jsonschema.Draft202012Validator.check_schema(schema)
    out.append(jsonschema.Draft202012Validator(schema).is_valid(c["value"]))
print(json.dumps(out))
`;

describe('docs/schemas in Python (jsonschema)', () => {
  it.skipIf(!hasJsonschema)('accepts the schemas, validates the examples and rejects the broken ones', () => {
    const schemas = renderSchemas();
    const enc = encodeProfileEvent(profileEvent());
    if (!enc.ok) throw new Error(enc.detail);
    const enc2 = encodeProfileEvent(profileEventV2());
    if (!enc2.ok) throw new Error(enc2.detail);
    const { centroid: c, ...none } = profileEventV2();
    const cases: { name: SchemaFileName; value: unknown; valid: boolean }[] = [
      { name: 'comment-event.schema.json', value: comment(), valid: true },
      { name: 'comment-event.schema.json', value: { ...comment(), ts: 1714550400000, type: undefined }, valid: true },
      { name: 'comment-event.schema.json', value: { ...comment(), userId: '{a}:*' }, valid: true },
      { name: 'comment-event.schema.json', value: { ...comment(), text: '中文评论，带表情 👍' }, valid: true },
      { name: 'comment-event.schema.json', value: { ...comment(), userId: 'a\nb' }, valid: false },
      { name: 'comment-event.schema.json', value: { ...comment(), userId: 'a\u0085b' }, valid: false },
      { name: 'comment-event.schema.json', value: { ...comment(), text: 5 }, valid: false },
      { name: 'forget-event.schema.json', value: { type: 'forget', schemaVersion: 1, eventId: 'e', userId: 'u', ts: '2025-01-01T00:00:00Z' }, valid: true },
      { name: 'forget-event.schema.json', value: { type: 'comment', schemaVersion: 1, eventId: 'e', userId: 'u', ts: '2025-01-01T00:00:00Z' }, valid: false },
      { name: 'profile-event.schema.json', value: JSON.parse(enc.value.toString('utf8')), valid: true },
      { name: 'profile-event.schema.json', value: { ...profileEvent(), text: 'leak' }, valid: false },
      { name: 'profile-event.schema.json', value: JSON.parse(enc2.value.toString('utf8')), valid: true },
      { name: 'profile-event.schema.json', value: none, valid: true },
      { name: 'profile-event.schema.json', value: { ...profileEventV2(), text: 'leak' }, valid: false },
      { name: 'profile-event.schema.json', value: { ...profileEventV2(), centroid: profileEvent().centroid }, valid: false },
      { name: 'profile-event.schema.json', value: { ...profileEvent(), centroid: c }, valid: false },
      { name: 'profile-event.schema.json', value: { ...profileEventV2(), centroid: { ...c, data: 'f3-_fw==' } }, valid: false },
      { name: 'profile-event.schema.json', value: { ...profileEventV2(), schemaVersion: 3 }, valid: false },
      // version 2: interests and topTerms as arrays, never objects; version 1 the other way round
      { name: 'profile-event.schema.json', value: { ...profileEventV2(), interests: profileViewV2().interests }, valid: false },
      { name: 'profile-event.schema.json', value: { ...profileEventV2(), topTerms: profileViewV2().topTerms }, valid: false },
      { name: 'profile-event.schema.json', value: { ...profileEventV2(), interests: [['sports', 4.2, 0.6]] }, valid: false },
      { name: 'profile-event.schema.json', value: { ...profileEventV2(), interests: [['sports', 4.2, 0.6, 0.42, 0]] }, valid: false },
      { name: 'profile-event.schema.json', value: { ...profileEventV2(), topTerms: [[1, 't']] }, valid: false },
      { name: 'profile-event.schema.json', value: { ...profileEvent(), interests: profileEventV2().interests }, valid: false },
      { name: 'profile-event.schema.json', value: { ...profileEvent(), topTerms: profileEventV2().topTerms }, valid: false },
    ];
    const input = JSON.stringify(cases.map((c) => ({ schema: JSON.parse(schemas[c.name]), value: c.value })));
    const r = spawnSync('python3', ['-c', SCRIPT], { input, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const verdicts = JSON.parse(r.stdout) as boolean[];
    expect(verdicts).toEqual(cases.map((c) => c.valid));
  });
});
