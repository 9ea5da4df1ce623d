#!/usr/bin/env node
/**
 * leakGuard's module-scope reader: what one scan costs, warm and first, with the
 * targets of issue 5. The scope reader (internal) is bundled from src/; ideally on Node 24:
 *
 *   node --expose-gc bench/scope.mjs
 *
 * - warm: one scan (fresh inspector session, read, roots built) of a module with 50
 *   top-level variables, CommonJS and ES module, timed in this process;
 * - fresh processes, one per sample: discovery (inspector loaded, script URLs taken,
 *   functions followed, files' plans read, first full reads) and the first scan. The
 *   reader discovers on its own at the first turn of the event loop after it is created:
 *   with `targets`, the time of that turn is the discovery column, and a first scan in
 *   the same turn as the creation (no turn in between) pays for discovery itself; in
 *   Lambda (found from LAMBDA_TASK_ROOT and _HANDLER through Middy's wrapper) discovery
 *   runs right after the handler module has loaded, before the first invocation;
 * - fresh processes: the whole first and second invocation of a Middy handler with
 *   `leakGuard({ targets })` (engine loaded, two checks, the walk), once the engine has
 *   loaded, and invoked at once (waiting for the engine, then discovering).
 *
 * Exits with code 1 when a target is missed.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describeRun, formatNs, printTable, runCases } from './lib/runner.mjs'
import { importSource } from './lib/source.mjs'

const { createScopeRoots } = await importSource('leak-guard/scope/index.ts')

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
// The same handler with Powertools Logger, Tracer and Metrics loaded (much more code).
const powertoolsSource = `import { Logger } from '@aws-lambda-powertools/logger'
import { Metrics } from '@aws-lambda-powertools/metrics'
import { Tracer } from '@aws-lambda-powertools/tracer'
export { handler } from './index.mjs'
export const tools = [new Logger(), new Metrics({ namespace: 'bench' }), new Tracer()]
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
  writeFileSync(join(work, 'lambda/powertools.mjs'), powertoolsSource)
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
        // Function-valued variables are roots too (their own properties); count the data ones.
        const roots = scanned().filter(({ value }) => typeof value !== 'function')
        if (roots.length !== VARIABLES) throw new Error(`${id}: ${roots.length} roots`)
      },
    }
  },
})

/** Roots that are not functions (function-valued variables are roots for their own properties). */
const dataRoots = (roots) => roots.filter(({ value }) => typeof value !== 'function').length

const turn = () => new Promise((done) => setImmediate(done))

const timed = async (work) => {
  const t0 = performance.now()
  const result = await work()
  return { ms: performance.now() - t0, result }
}

/**
 * In a child process (a fresh process): times discovery and the first scan, prints JSON.
 * `targets`: outside Lambda, the reader discovers at the next turn of the event loop, on
 * its own (timed: that turn); `targets-same-turn`: the first scan comes before the loop
 * turns, and discovers. `lambda`: discovery runs right after the handler module has
 * loaded (as `prepare()`, which the reader schedules on its own in Lambda), then the
 * first invocation's scan.
 */
const firstScans = async (mode) => {
  if (mode.startsWith('guard')) {
    // The whole first invocation a user pays: Middy, leakGuard (its engine loaded with
    // `import()`, two checks, the walk), the module read through `targets`.
    const { leakGuard } = await importSource('leak-guard/index.ts')
    const { default: middy } = await import('@middy/core')
    const module = await loadEsm()
    const handler = middy(module.handler).use(
      leakGuard({ targets: [module], logger: { warn: () => undefined } }),
    )
    // The engine loads, and discovery runs ahead, while the first event is awaited.
    if (mode === 'guard') await new Promise((done) => setTimeout(done, 200))
    const context = (id) => ({ awsRequestId: id, getRemainingTimeInMillis: () => 30_000 })
    const first = await timed(() => handler(event, context('bench-1')))
    const second = await timed(() => handler({ card: '5500005555555559' }, context('bench-2')))
    return { discovery: 0, first: first.ms, second: second.ms, roots: undefined }
  }
  if (mode.startsWith('targets')) {
    const module = await loadEsm()
    module.handler(event)
    const provider = createScopeRoots({ targets: [module], logOnce, env: {} })
    const discovery = mode === 'targets' ? await timed(turn) : { ms: 0 }
    const first = await timed(() => [...provider()])
    return { discovery: discovery.ms, first: first.ms, roots: dataRoots(first.result) }
  }
  const file = `lambda/${process.env._HANDLER.split('.')[0]}.mjs`
  const module = await import(pathToFileURL(join(work, file)).href)
  const provider = createScopeRoots({ logOnce })
  const discovery = await timed(() => provider.prepare())
  await module.handler(event, {})
  const first = await timed(() => [...provider()])
  return { discovery: discovery.ms, first: first.ms, roots: dataRoots(first.result) }
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

  const lambdaEnv = (name) => ({ LAMBDA_TASK_ROOT: join(work, 'lambda'), _HANDLER: name })
  const first = [
    [
      'targets (ES module, 50 variables), discovered at the next loop turn',
      'targets',
      {},
      VARIABLES,
    ],
    ['Middy handler found from _HANDLER', 'lambda', lambdaEnv('index.handler'), 2],
    [
      'the same, with Powertools Logger, Tracer, Metrics loaded',
      'lambda',
      lambdaEnv('powertools.handler'),
      2,
    ],
  ].map(([label, mode, env, expected]) => {
    const samples = sampleFirstScans(mode, env)
    if (samples.some(({ roots }) => roots !== expected)) {
      throw new Error(`${label}: ${samples.map(({ roots }) => roots)} roots, expected ${expected}`)
    }
    return { label, samples, expected }
  })
  const stat = (values) => `${median(values).toFixed(2)} / ${Math.max(...values).toFixed(2)}`
  console.log(`\nFresh processes (${FIRST_SAMPLES} each), ms as median / max:`)
  // Not a target: what a first scan pays when it comes before the loop has turned once.
  const sameTurn = {
    label: 'targets as above, the first scan in the turn that created the reader: it discovers',
    samples: sampleFirstScans('targets-same-turn'),
    expected: VARIABLES,
  }
  console.log(
    '| case | discovery ahead: at the next loop turn, in Lambda at init (off the request path) | first scan | roots |',
  )
  console.log('|---|---:|---:|---:|')
  for (const { label, samples, expected } of [...first, sameTurn]) {
    const discovery = samples.map((sample) => sample.discovery)
    const firstScan = samples.map((sample) => sample.first)
    console.log(
      `| ${label} | ${samples === sameTurn.samples ? '-' : stat(discovery)} | ${stat(firstScan)} | ${expected} |`,
    )
  }

  // Not a target either: the whole first guarded invocation (two checks), and the second.
  const guarded = [
    ['leakGuard({ targets }) under Middy, the engine loaded 200 ms before', 'guard'],
    ['the same, invoked at once (it waits for the engine, then discovers)', 'guard-at-once'],
  ].map(([label, mode]) => ({ label, samples: sampleFirstScans(mode) }))
  console.log(`\nWhole invocations (fresh processes, ${FIRST_SAMPLES} each), ms as median / max:`)
  console.log('| case | first invocation | second invocation |')
  console.log('|---|---:|---:|')
  for (const { label, samples } of guarded) {
    const firstCall = samples.map((sample) => sample.first)
    const secondCall = samples.map((sample) => sample.second)
    console.log(`| ${label} | ${stat(firstCall)} | ${stat(secondCall)} |`)
  }

  const warm = Math.max(...results.map((result) => result.median))
  const firstScan = Math.max(
    ...first.map(({ samples }) => median(samples.map((sample) => sample.first))),
  )
  const sameTurnScan = median(sameTurn.samples.map((sample) => sample.first))
  const targets = [
    [`warm scan of ${VARIABLES} variables ≤ 1 ms`, warm <= 1e6, formatNs(warm)],
    [
      'first scan ≤ 10 ms, discovered ahead (median, worst case)',
      firstScan <= 10,
      `${firstScan.toFixed(2)} ms`,
    ],
  ]
  console.log('\nTargets:')
  for (const [label, met, actual] of targets) {
    console.log(`  ${met ? 'MET   ' : 'MISSED'}  ${label}: ${actual}`)
    if (!met) process.exitCode = 1
  }
  console.log(
    `  (not a target: a first scan in the same turn as the reader's creation, which discovers: ${sameTurnScan.toFixed(2)} ms)`,
  )
}

if (process.argv[2] === 'first') console.log(JSON.stringify(await firstScans(process.argv[3])))
else await main()
