import { configDefaults, defineConfig } from 'vitest/config';

// Integration tests against the real Kafka broker, real Redis and the real model.
// The global setup finds or starts them (see test/integration/global-setup.ts).
export default defineConfig({
  test: {
    include: ['test/integration/**/*.test.ts'],
    exclude: [...configDefaults.exclude],
    globalSetup: ['test/integration/global-setup.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Files share one broker and one Redis; each test isolates itself with random names.
    fileParallelism: false,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/integration.json' },
  },
});
