import { defineConfig } from 'vitest/config'

// The fault suite (npm run test:faults): real processes killed, a database stopped, an LLM that hangs.
// One file at a time: each scenario owns the machine's two cores while it runs.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'dist/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default'],
  },
})
