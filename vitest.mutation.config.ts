/**
 * The vitest configuration StrykerJS uses (`npm run test:mutation`): the fast
 * in-process tests of the pure modules and the middlewares built on them. Tests that
 * start processes, servers or the Lambda runtime client stay out: each mutant reruns
 * the tests that cover it, so they would cost minutes and add no killing power here.
 * `test/cache/concurrency.test.ts` stays out too: it times single-flight waits (a module
 * not mutated here), and on a loaded machine its timing failed Stryker's initial run.
 */
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: [
      'test/cache/key.test.ts',
      'test/shared/env.test.ts',
      'test/cache/snapshot.test.ts',
      'test/cache/options.test.ts',
      'test/cache/http.test.ts',
      'test/cache/http-unit.test.ts',
      'test/cache/http-date.test.ts',
      'test/cache/rfc9111.test.ts',
      'test/cache/rules.test.ts',
      'test/cache/property.test.ts',
      'test/cache/orc-cache.test.ts',
      'test/cache/strange-events.test.ts',
      'test/cache/powertools.test.ts',
      'test/leak-guard/tokens.test.ts',
      'test/leak-guard/tokens-bounds.test.ts',
      'test/leak-guard/sensitive.test.ts',
      'test/leak-guard/sensitive-bounds.test.ts',
      'test/leak-guard/masking.test.ts',
      'test/leak-guard/walk.test.ts',
      'test/leak-guard/walk-bounds.test.ts',
      'test/leak-guard/walk-hidden.test.ts',
      'test/leak-guard/findings.test.ts',
      'test/leak-guard/guard.test.ts',
      'test/leak-guard/behaviour.test.ts',
      'test/redis/options.test.ts',
      'test/redis/codec.test.ts',
    ],
    setupFiles: ['test/helpers/mutation-setup.ts'],
    environment: 'node',
    testTimeout: 20_000,
  },
})
