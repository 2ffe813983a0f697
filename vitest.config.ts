import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // CLI tests run the bundled dist/cli.js, so it is rebuilt once before any test runs.
    globalSetup: ['tests/support/build-cli.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
