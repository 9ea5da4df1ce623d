import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Type tests of the public API (test/types/*.test-d.ts), checked by tsc in `npm test`.
    typecheck: {
      enabled: true,
      include: ['test/types/**/*.test-d.ts'],
      tsconfig: 'tsconfig.json',
      ignoreSourceErrors: false,
    },
    // `npm run test:coverage` (scripts/coverage.mjs) turns this on and adds the
    // coverage of the child processes the suite starts.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['json'],
    },
  },
})
