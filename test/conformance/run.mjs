#!/usr/bin/env node
/**
 * Prints orcCache's results under the public HTTP caching test suite beside the
 * published results of reverse proxies and CDNs, like cache-tests.fyi:
 *
 *   npm run conformance            # npm run build, then this script
 *   node test/conformance/run.mjs [--all] [--json file]
 *
 * Columns: orcCache (as the suite's site judges: a test whose `depends_on` failed
 * counts as a dependency failure), orcCache's own results ignoring `depends_on`,
 * then each published implementation. By default only tests where orcCache does
 * not pass are listed; `--all` lists every test.
 */
import { writeFile } from 'node:fs/promises'
import * as cacheModule from '../../dist/cache/index.js'
import { publishedResults, runConformance, testsById, verdict } from './harness.mjs'

const args = process.argv.slice(2)
const all = args.includes('--all')
const jsonAt = args.indexOf('--json')

const started = Date.now()
const { results } = await runConformance(cacheModule)
const seconds = ((Date.now() - started) / 1000).toFixed(1)
if (jsonAt !== -1) await writeFile(args[jsonAt + 1], `${JSON.stringify(results, null, 2)}\n`)

const tests = testsById()
const others = await publishedResults()
const columns = [
  { name: 'orcCache', verdictOf: (id) => verdict(results, id) },
  { name: 'orcCache (own)', verdictOf: (id) => verdict(results, id, false) },
  ...others.map(({ name, results: theirs }) => ({
    name,
    verdictOf: (id) => verdict(theirs, id),
  })),
]

const SYMBOL = {
  pass: '✅',
  fail: '⛔',
  optional_fail: '⚠️',
  yes: 'Y',
  no: 'N',
  setup_fail: '🔹',
  harness_fail: '⁉️',
  dependency_fail: '⚪',
  retry: '↻',
  untested: '-',
}

/** Counts per column: required passed/failed, optional passed/failed. */
const summary = columns.map((column) => {
  const counts = { required: 0, requiredFail: 0, optimal: 0, optimalFail: 0, other: 0 }
  for (const [id, test] of tests) {
    const v = column.verdictOf(id)
    if (test.kind === 'required') {
      if (v === 'pass') counts.required++
      else if (v === 'fail') counts.requiredFail++
      else if (v !== 'untested') counts.other++
    } else if (test.kind === 'optimal') {
      if (v === 'pass') counts.optimal++
      else if (v === 'optional_fail') counts.optimalFail++
      else if (v !== 'untested') counts.other++
    }
  }
  return { name: column.name, ...counts }
})

const row = (cells) => `| ${cells.join(' | ')} |`
console.log(
  `## orcCache (default options, behind an API Gateway HTTP API emulator) under http-cache-tests\n`,
)
console.log(
  `Suite run in ${seconds} s, ${tests.size} tests. Published results ship in the package.\n`,
)
console.log(
  row(['', 'required ✅', 'required ⛔', 'optional ✅', 'optional ⚠️', 'dependency/setup/other']),
)
console.log(row(['---', '---:', '---:', '---:', '---:', '---:']))
for (const s of summary) {
  console.log(
    row([s.name, s.required, s.requiredFail, s.optimal, s.optimalFail, s.other].map(String)),
  )
}

console.log(`\n${all ? 'Every test' : 'Tests orcCache does not pass (required and optional)'}:\n`)
console.log(row(['test', 'kind', ...columns.map((c) => c.name)]))
console.log(row(['---', '---', ...columns.map(() => ':-:')]))
for (const [id, test] of tests) {
  const own = columns[1].verdictOf(id)
  if (!all && (own === 'pass' || own === 'yes' || test.kind === 'check')) continue
  console.log(row([id, test.kind, ...columns.map((c) => SYMBOL[c.verdictOf(id)])]))
}
