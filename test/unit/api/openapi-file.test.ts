import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderOpenApi } from '../../../src/api/openapi.js';

describe('docs/openapi.json', () => {
  it('is the document the API generates (regenerate: see src/api/openapi.ts)', async () => {
    const file = readFileSync(resolve(import.meta.dirname, '../../../docs/openapi.json'), 'utf8');
    expect(file).toBe(await renderOpenApi());
  });
});
