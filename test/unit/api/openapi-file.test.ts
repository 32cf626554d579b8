import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderOpenApi } from '../../../src/api/openapi.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const FILE = resolve(ROOT, 'docs/openapi.json');

describe('docs/openapi.json', () => {
  it('is the document the API generates (regenerate: see src/api/openapi.ts)', async () => {
    const file = readFileSync(FILE, 'utf8');
    expect(file).toBe(await renderOpenApi());
  });

  it('names every operation and keeps shared schemas under components/schemas', () => {
    const doc = JSON.parse(readFileSync(FILE, 'utf8')) as { paths: Record<string, Record<string, { operationId?: string }>>; components: { schemas?: Record<string, unknown> } };
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ at: `${method} ${path}`, id: op.operationId })));
    expect(ops.filter((o) => !o.id).map((o) => o.at)).toEqual([]);
    expect(new Set(ops.map((o) => o.id)).size).toBe(ops.length);
    expect(Object.keys(doc.components.schemas ?? {})).toContain('Error');
    expect(JSON.stringify(doc.paths['/v1/users/{userId}/profile'])).toContain('#/components/schemas/Error');
  });

  it('passes the OpenAPI linter (redocly lint, redocly.yaml)', () => {
    const r = spawnSync(process.execPath, [resolve(ROOT, 'node_modules/@redocly/cli/bin/cli.js'), 'lint', 'docs/openapi.json', '--format=summary'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain('Your API description is valid');
  }, 60_000);
});
