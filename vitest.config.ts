import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores on the CI machines: a few files at a time keeps PostgreSQL and scrypt from starving each other.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
