import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Left out of `npm test` until the hang it shows is fixed (docs/reliability.md, O4): a processor on
 * the replicated cluster sometimes stops committing, silently, after a broker is SIGKILLed (2 of 2
 * scenarios in one clean-clone CI run, about half of the runs here). Run it with
 * `npm run test:replicated-kafka`.
 */
const QUARANTINED = ['test/integration/reliability/replicated-kafka.test.ts'];

// Integration tests against the real Kafka broker, real Redis and the real model.
// The global setup finds or starts them (see test/integration/global-setup.ts).
export default defineConfig({
  test: {
    include: ['test/integration/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(process.env.REPLICATED_KAFKA === '1' ? [] : QUARANTINED)],
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
