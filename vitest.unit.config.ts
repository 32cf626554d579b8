import { defineConfig } from 'vitest/config';

// Pure logic only: no network client, no service. Runs in seconds.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/unit.json' },
  },
});
