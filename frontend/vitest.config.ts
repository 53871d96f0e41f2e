import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
    // Two cores shared with other jobs: few workers, and timeouts with room for a busy machine.
    maxWorkers: 2,
    testTimeout: 15_000,
  },
});
