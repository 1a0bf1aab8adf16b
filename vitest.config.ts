import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'tests/**/*.test.ts'],
    // Integration tests spawn promptflow and bundled entries: generous, but bounded.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
