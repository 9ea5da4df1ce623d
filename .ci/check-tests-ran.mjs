#!/usr/bin/env node
/**
 * CI: proves from vitest's JSON report that the suite really ran: no test was
 * skipped (the end-to-end tests skip themselves only when the runtime client is
 * missing), none failed, each end-to-end file ran tests that passed, and so did
 * each type-test file.
 *
 * Usage: node .ci/check-tests-ran.mjs <report.json>
 */
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'

/** Files whose tests run handlers under the real runtime client. */
const END_TO_END = [
  'test/e2e/harness.test.ts',
  'test/e2e/orc-cache.e2e.test.ts',
  'test/e2e/shared-tier.e2e.test.ts',
  'test/examples/examples.test.ts',
  'test/examples/demo.test.ts',
  'test/leak-guard/scope-e2e.test.ts',
  'test/leak-guard/leak-e2e.test.ts',
]

/** Type tests of the public API (vitest's typecheck mode): they must run too. */
const TYPE_TESTS = [
  'test/types/cache.test-d.ts',
  'test/types/leak-guard.test-d.ts',
  'test/types/entry-points.test-d.ts',
]

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const problems = []
const passedByFile = new Map()
for (const file of report.testResults) {
  const name = relative(process.cwd(), file.name)
  let passed = 0
  for (const test of file.assertionResults) {
    if (test.status === 'passed') passed++
    else problems.push(`${name}: "${test.fullName}" is ${test.status}`)
  }
  passedByFile.set(name, passed)
}
for (const name of END_TO_END) {
  if (!(passedByFile.get(name) > 0)) problems.push(`${name}: no end-to-end test ran and passed`)
}
for (const name of TYPE_TESTS) {
  if (!(passedByFile.get(name) > 0)) problems.push(`${name}: no type test ran and passed`)
}
const total = report.numPassedTests
if (problems.length > 0 || !(total > 0)) {
  process.stderr.write(
    `The suite did not fully run:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`,
  )
  process.exit(1)
}
process.stdout.write(
  `checked: ${total} tests passed, none skipped; end-to-end files ran: ${END_TO_END.map((n) => passedByFile.get(n)).join(', ')} tests\n`,
)
