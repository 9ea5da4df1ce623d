// @ts-check
/**
 * Mutation testing (`npm run test:mutation`): StrykerJS changes the pure modules one
 * mutant at a time and reruns the tests that cover each mutant (vitest, the fast
 * in-process files listed in vitest.mutation.config.ts). Not in CI: it takes tens of
 * minutes on two cores. Report: reports/mutation/index.html, and a table on stdout.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'src/cache/http.ts',
    'src/cache/rules.ts',
    'src/cache/key.ts',
    'src/cache/snapshot.ts',
    'src/cache/options.ts',
    'src/shared/env.ts',
    'src/leak-guard/tokens.ts',
    'src/leak-guard/sensitive.ts',
    'src/leak-guard/mask.ts',
    'src/leak-guard/walk.ts',
    'src/leak-guard/findings.ts',
  ],
  coverageAnalysis: 'perTest',
  // Static mutants (module-level constants) would rerun every test for each one.
  ignoreStatic: true,
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: `${process.env.STRYKER_REPORT ?? 'reports/mutation/index'}.html` },
  jsonReporter: { fileName: `${process.env.STRYKER_REPORT ?? 'reports/mutation/mutation'}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: false },
  tempDirName: '.tmp/stryker',
  ignorePatterns: ['dist', '.tmp', 'reports', 'coverage', 'test/e2e/runtime-client/node_modules'],
  cleanTempDir: true,
}
