import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // CLI tests run the bundled dist/cli.js, so it is rebuilt once before any test runs; and one
    // throwaway PostgreSQL server serves the run (or GRADSHEET_TEST_POSTGRES names one).
    globalSetup: ['tests/support/build-cli.ts', 'tests/support/postgres-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
