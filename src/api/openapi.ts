/**
 * docs/openapi.json: the OpenAPI document of `portrait api` with every route, generated from the
 * route schemas (the same document GET /openapi.json serves). Regenerate after changing a route:
 *
 *   npx tsx -e "import('./src/api/openapi.ts').then((m) => m.writeOpenApi('docs/openapi.json'))"
 *
 * test/unit/api/openapi-file.test.ts fails while the file differs.
 */
import { writeFileSync } from 'node:fs';
import { createRegistry } from '../metrics/registry.js';
import { buildApi } from './app.js';
import { combineStats } from './stats.js';

export async function renderOpenApi(): Promise<string> {
  const app = await buildApi({
    config: { token: '' },
    registry: createRegistry({ defaultMetrics: false }),
    profiles: { getProfile: async () => null },
    history: { read: async () => [] },
    similar: { status: () => ({ ready: true, users: 0, profiles: 0, tombstones: 0, skipped: 0, dim: null, kernel: null, memoryBytes: 0 }), similarTo: () => undefined },
    stats: async (ns) => combineStats(ns ?? 'main', [], 0),
    namespaces: async () => ({ at: 0, namespaces: [] }),
  });
  try {
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
  }
}

export async function writeOpenApi(path: string): Promise<void> {
  writeFileSync(path, await renderOpenApi());
}
