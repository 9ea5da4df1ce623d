#!/usr/bin/env node
/**
 * leakGuard's module-scope reader: what one scan costs, warm and first, with the
 * targets of issue 5. Run after `npm run build` (it imports dist/), ideally on Node 24:
 *
 *   node --expose-gc bench/scope.mjs
 *
 * - warm: one scan (fresh inspector session, read, roots built) of a module with 50
 *   top-level variables, CommonJS and ES module, timed in this process;
 * - first: the first scans of a fresh process (inspector loaded, discovery done), in
 *   child processes, one per sample: with `targets`, and found from LAMBDA_TASK_ROOT
 *   and _HANDLER through Middy's wrapper (an ES module: its namespace arrives after
 *   the first call, so the second call is the one that discovers).
 *
 * Exits with code 1 when a target is missed.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describeRun, formatNs, printTable, runCases } from './lib/runner.mjs'

const { createScopeRoots } = await import('../dist/leak-guard/scope/index.js')

const VARIABLES = 50
const FIRST_SAMPLES = 7
// Under the repository, so the generated Lambda handler resolves @middy/core.
const work = fileURLToPath(new URL('../.tmp/bench-scope/', import.meta.url))
const logOnce = (code, message) => console.error(`scope: ${code}: ${message}`)

/** A module with VARIABLES top-level variables that its handler refers to. */
const moduleSource = (esm) => {
  const lines = []
  for (let i = 0; i < VARIABLES; i++) {
    const value = [`'value ${i}'`, `{ id: ${i}, tags: ['a', 'b'] }`, `${i}`, `[${i}, ${i + 1}]`][
      i % 4
    ]
    lines.push(`let v${i} = ${value}`)
  }
  const names = Array.from({ length: VARIABLES }, (_, i) => `v${i}`).join(', ')
  const body = `(event) => { v0 = event.card; return [${names}].length }`
  lines.push(esm ? `export const handler = ${body}` : `exports.handler = ${body}`)
  return `${lines.join('\n')}\n`
}

const lambdaSource = `import middy from '@middy/core'
import { record } from './lib.mjs'
let creditCard
export const handler = middy(async (event) => { creditCard = event.card; return record(event) })
`
const lambdaLibSource = `let last
export const record = (event) => { last = event.card; return { ok: true } }
`

const writeFixtures = () => {
  mkdirSync(join(work, 'lambda'), { recursive: true })
  writeFileSync(join(work, 'module50.cjs'), moduleSource(false))
  writeFileSync(join(work, 'module50.mjs'), moduleSource(true))
  writeFileSync(join(work, 'lambda/index.mjs'), lambdaSource)
  writeFileSync(join(work, 'lambda/lib.mjs'), lambdaLibSource)
}

const event = { card: '4111111111111111' }
const loadCjs = () => createRequire(import.meta.url)(join(work, 'module50.cjs'))
const loadEsm = () => import(pathToFileURL(join(work, 'module50.mjs')).href)

/** One warm-scan case: the provider is called until it has discovered, then timed. */
const warmCase = (id, label, load) => ({
  id,
  label,
  setup: async () => {
    const module = await load()
    module.handler(event)
    const provider = createScopeRoots({ targets: [module], logOnce, env: {} })
    const scanned = () => [...provider()]
    scanned()
    return {
      sync: true,
      run: scanned,
      check: () => {
        const roots = scanned()
        if (roots.length !== VARIABLES) throw new Error(`${id}: ${roots.length} roots`)
      },
    }
  },
})

/** In a child process: times the first two scans of a fresh process, prints JSON. */
const firstScans = async (mode) => {
  const calls = []
  let roots = 0
  if (mode === 'targets') {
    const module = await loadEsm()
    module.handler(event)
    const provider = createScopeRoots({ targets: [module], logOnce, env: {} })
    for (let i = 0; i < 2; i++) {
      const t0 = performance.now()
      roots = [...provider()].length
      calls.push(performance.now() - t0)
    }
  } else {
    const module = await import(pathToFileURL(join(work, 'lambda/index.mjs')).href)
    const provider = createScopeRoots({ logOnce })
    for (let i = 0; i < 2; i++) {
      await module.handler(event, {})
      const t0 = performance.now()
      roots = [...provider()].length
      calls.push(performance.now() - t0)
      await new Promise((done) => setImmediate(done)) // the next invocation comes later
    }
  }
  console.log(JSON.stringify({ calls, roots }))
}

const sampleFirstScans = (mode, env = {}) => {
  const samples = []
  for (let i = 0; i < FIRST_SAMPLES; i++) {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), 'first', mode], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    })
    samples.push(JSON.parse(out))
  }
  return samples
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

const main = async () => {
  writeFixtures()
  console.log('## leakGuard module-scope reader: cost per scan')
  console.log(describeRun())
  console.log(`Module: ${VARIABLES} top-level variables referred to by its handler.\n`)
  const results = await runCases([
    warmCase('cjs', `warm scan, CommonJS, ${VARIABLES} variables`, loadCjs),
    warmCase('esm', `warm scan, ES module, ${VARIABLES} variables`, loadEsm),
  ])
  printTable(results, 'cjs')

  const lambdaEnv = { LAMBDA_TASK_ROOT: join(work, 'lambda'), _HANDLER: 'index.handler' }
  const first = [
    ['first scan, targets (ES module, 50 variables)', sampleFirstScans('targets'), 0, VARIABLES],
    ['discovering scan, Middy handler from _HANDLER', sampleFirstScans('lambda', lambdaEnv), 1, 2],
  ]
  console.log(`\nFirst scans of a fresh process (${FIRST_SAMPLES} processes each):`)
  console.log('| case | first call ms (median) | discovering call ms (median / max) | roots |')
  console.log('|---|---:|---:|---:|')
  for (const [label, samples, discovering, expected] of first) {
    const at = (k) => samples.map((sample) => sample.calls[k])
    const roots = samples[0].roots
    if (roots !== expected) throw new Error(`${label}: ${roots} roots, expected ${expected}`)
    console.log(
      `| ${label} | ${median(at(0)).toFixed(2)} | ${median(at(discovering)).toFixed(2)} / ${Math.max(...at(discovering)).toFixed(2)} | ${roots} |`,
    )
  }

  const warm = Math.max(...results.map((result) => result.median))
  const firstWorst = Math.max(
    ...first.flatMap(([, samples, k]) =>
      samples.map((sample) => Math.max(sample.calls[0], sample.calls[k])),
    ),
  )
  const targets = [
    [`warm scan of ${VARIABLES} variables ≤ 1 ms`, warm <= 1e6, formatNs(warm)],
    ['first scan ≤ 10 ms (worst sample)', firstWorst <= 10, `${firstWorst.toFixed(2)} ms`],
  ]
  console.log('\nTargets:')
  for (const [label, met, actual] of targets) {
    console.log(`  ${met ? 'MET   ' : 'MISSED'}  ${label}: ${actual}`)
    if (!met) process.exitCode = 1
  }
}

if (process.argv[2] === 'first') await firstScans(process.argv[3])
else await main()
