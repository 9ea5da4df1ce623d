#!/usr/bin/env node
/**
 * Start-up cost (issue 6): what a cold start pays for middy-orc. Run after the build
 * (it uses dist/ through the package's own `exports`, by self-reference from the
 * repository root, as a user's code would through node_modules), on Node 24 for the
 * published figures:
 *
 *   npx tsc -p tsconfig.build.json && "$(node test/e2e/harness/ensure-node.mjs 24)" bench/startup.mjs
 *
 * - import time: one fresh `node` per sample; inside it, `performance.now()` around
 *   `await import()` of the case's entry file, a generated module that statically imports
 *   the case's packages (as a handler module does; one module graph), so process start-up
 *   and the ES module loader's own set-up are not counted. The cases run interleaved
 *   (the order rotates every run) so drift in machine speed hits each alike; the first
 *   runs warm the file-system cache and are dropped. The Δ column is the median of the
 *   per-run differences from `@middy/core` alone (two samples of one run ran a few tens
 *   of ms apart, under the same load). No compile cache (NODE_COMPILE_CACHE unset), as in
 *   Lambda by default.
 * - size: each entry point bundled with esbuild (platform node, ESM, minified), once
 *   whole and once with `lru-cache` and `@middy/core` external (the package's own code),
 *   with gzip sizes. KB = 1024 bytes.
 * - leakGuard's lazy loading, read from `process.moduleLoadList` (Node's list of loaded
 *   built-ins; `node:inspector` is `NativeModule inspector`): which built-ins importing
 *   `middy-orc/leak-guard` adds to @middy/core's, and when `node:inspector` loads. Outside
 *   Lambda: not at import nor creation (`mode: 'off'`, `warn`), at the first guarded
 *   invocation with a scope to read. In Lambda (`_HANDLER` set), with no option: the scope
 *   reader discovers right after the handler module has loaded, so it loads at the end of
 *   init (bench/scope.mjs times that discovery), and never with LEAK_GUARD_SCOPE=false.
 *
 * STARTUP_RUNS (default 60) sets the samples per case. Exits 1 when a target is missed.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
// Generated entry files, under the repository so that they resolve the packages from its
// node_modules and `middy-orc` to the repository itself (self-reference, through dist/).
const work = join(root, '.tmp', 'bench-startup')
const RUNS = Number(process.env.STARTUP_RUNS ?? 60)
const WARMUP_RUNS = 3
const KB = 1024
const TARGET_IMPORT_MS = 5
const TARGET_CACHE_BYTES = 10 * KB
const INSPECTOR = 'NativeModule inspector' // its entry in process.moduleLoadList

if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.error('dist/ is missing: run `npx tsc -p tsconfig.build.json` first.')
  process.exit(1)
}

/** Source files newer than their build output: the figures would describe old code. */
const staleOutputs = (dir = 'src') =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return staleOutputs(path)
    if (!entry.name.endsWith('.ts')) return []
    const out = join(root, 'dist', relative('src', path).replace(/\.ts$/, '.js'))
    return !existsSync(out) || statSync(out).mtimeMs < statSync(join(root, path)).mtimeMs
      ? [path]
      : []
  })

/** A child `node`, started in the repository root (so `middy-orc` resolves to itself). */
const child = (source, args = [], env = {}) => {
  const inherited = { ...process.env }
  for (const name of Object.keys(inherited)) {
    if (
      /^(LEAK_GUARD|ORC_CACHE|LAMBDA_|AWS_LAMBDA_|_HANDLER$|NODE_OPTIONS$|NODE_COMPILE_CACHE$)/.test(
        name,
      )
    ) {
      delete inherited[name]
    }
  }
  const childEnv = { ...inherited, ...env }
  const { status, stdout, stderr, error } = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', source, ...args],
    { cwd: root, env: childEnv, encoding: 'utf8' },
  )
  if (status !== 0) throw new Error(`child failed (${status ?? error}):\n${stdout}\n${stderr}`)
  return JSON.parse(stdout)
}

// ---------------------------------------------------------------------------------------
// Import time

/** Times the dynamic import of the case's entry file (given as the argument). */
const IMPORT_CHILD = `
const t0 = performance.now()
await import(process.argv[1])
const ms = performance.now() - t0
process.stdout.write(JSON.stringify({ ms }))
`

// Each case is a generated entry file with static imports, as a handler module has them
// (one module graph, loaded as Lambda loads the handler). Baseline: an empty file.
const importCases = [
  { id: 'empty', label: 'empty module (baseline)', imports: [] },
  { id: 'core', label: '@middy/core', imports: ['@middy/core'] },
  {
    id: 'lru',
    label: '@middy/core + lru-cache (reference)',
    imports: ['@middy/core', 'lru-cache'],
  },
  {
    id: 'cache',
    label: '@middy/core + middy-orc/cache',
    imports: ['@middy/core', 'middy-orc/cache'],
  },
  {
    id: 'guard',
    label: '@middy/core + middy-orc/leak-guard',
    imports: ['@middy/core', 'middy-orc/leak-guard'],
  },
  { id: 'all', label: '@middy/core + middy-orc', imports: ['@middy/core', 'middy-orc'] },
  {
    id: 'cacheOneFile',
    label: '@middy/core + the cache as one file² (reference)',
    imports: ['@middy/core', './cache.mjs'],
  },
]

const entryUrl = (id) => pathToFileURL(join(work, `entry-${id}.mjs`)).href
const writeEntries = () => {
  for (const { id, imports } of importCases) {
    const source = imports.map((specifier) => `import '${specifier}'\n`).join('')
    writeFileSync(fileURLToPath(entryUrl(id)), source)
  }
}

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]
}
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const deltas = (differences) => ({
  delta: median(differences),
  deltaP25: quantile(differences, 0.25),
  deltaP75: quantile(differences, 0.75),
})

const measureImports = () => {
  const samples = Object.fromEntries(importCases.map(({ id }) => [id, []]))
  for (let run = 0; run < WARMUP_RUNS + RUNS; run++) {
    for (let k = 0; k < importCases.length; k++) {
      const { id } = importCases[(run + k) % importCases.length]
      const { ms } = child(IMPORT_CHILD, [entryUrl(id)])
      if (run >= WARMUP_RUNS) samples[id].push(ms)
    }
  }
  const core = samples.core
  return importCases.map(({ id, label }) => ({
    id,
    label,
    median: median(samples[id]),
    p90: quantile(samples[id], 0.9),
    min: Math.min(...samples[id]),
    ...deltas(samples[id].map((ms, run) => ms - core[run])),
  }))
}

// ---------------------------------------------------------------------------------------
// Bundled size

const entryPoints = ['middy-orc', 'middy-orc/cache', 'middy-orc/leak-guard']

const bundle = async (specifier, external) => {
  const result = await build({
    stdin: { contents: `export * from '${specifier}'`, resolveDir: root, loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    minify: true,
    write: false,
    outfile: 'bundle.js', // named only so that the metafile lists the output; nothing is written
    logLevel: 'silent',
    external,
    metafile: true,
  })
  const code = result.outputFiles[0].contents
  const inputs = Object.keys(result.metafile.inputs)
  const [output] = Object.values(result.metafile.outputs)
  const files = Object.entries(output.inputs)
    .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
    .sort(([, a], [, b]) => b.bytesInOutput - a.bytesInOutput)
    .map(([file, { bytesInOutput }]) => `${file.replace(/^dist\//, '')} ${bytesInOutput}`)
  return { bytes: code.length, gzip: gzipSync(code).length, inputs, files }
}

const measureSizes = () =>
  Promise.all(
    entryPoints.map(async (specifier) => {
      const whole = await bundle(specifier, [])
      const own = await bundle(specifier, ['lru-cache', '@middy/core'])
      const foreign = own.inputs.filter(
        (input) => !input.startsWith('dist/') && input !== '<stdin>',
      )
      if (foreign.length > 0) throw new Error(`${specifier}: own bundle holds ${foreign}`)
      return { specifier, whole, own }
    }),
  )

// ---------------------------------------------------------------------------------------
// leakGuard: what importing and creating it loads, and when the inspector comes in

const GUARD_CHILD = `
const INSPECTOR = ${JSON.stringify(INSPECTOR)}
const inspectorLoaded = () => process.moduleLoadList.includes(INSPECTOR)
const { default: middy } = await import('@middy/core')
const before = new Set(process.moduleLoadList)
const builtinsSince = (seen) =>
  process.moduleLoadList.filter((m) => !seen.has(m) && m.startsWith('NativeModule '))
    .map((m) => m.slice('NativeModule '.length))
const { leakGuard } = await import('middy-orc/leak-guard')
const afterImport = inspectorLoaded()
const importLoads = builtinsSince(before)
const quiet = { warn: () => {} }
const offGuard = leakGuard({ mode: 'off', logger: quiet })
await new Promise((resolve) => setImmediate(resolve))
const afterOff = inspectorLoaded()
let last
const work = async (event) => { last = event.card; return last.length }
const warnGuard = leakGuard({ logger: quiet, targets: [work] })
await new Promise((resolve) => setImmediate(resolve))
const afterCreate = inspectorLoaded()
const context = { awsRequestId: 'r1', getRemainingTimeInMillis: () => 30000 }
await middy(work).use(offGuard)({ card: '4111111111111111' }, context)
const afterOffRun = inspectorLoaded()
await middy(work).use(warnGuard)({ card: '4111111111111111' }, context)
const afterRun = inspectorLoaded()
process.stdout.write(JSON.stringify({ afterImport, importLoads, afterOff, afterCreate, afterOffRun, afterRun }))
`

// In Lambda: the handler module creates the guard with no option; the child plays the
// runtime client (imports the handler module, lets init finish, invokes once).
const LAMBDA_HANDLER = `import middy from '@middy/core'
import { leakGuard } from 'middy-orc/leak-guard'
let last
const guard = leakGuard({ logger: { warn: () => {} } })
globalThis.orcDuringEval = process.moduleLoadList.includes(${JSON.stringify(INSPECTOR)})
export const handler = middy(async (event) => { last = event.card; return last.length }).use(guard)
`
const LAMBDA_CHILD = `
const inspectorLoaded = () => process.moduleLoadList.includes(${JSON.stringify(INSPECTOR)})
const { handler } = await import(process.argv[1])
const duringEval = globalThis.orcDuringEval
const deadline = Date.now() + 2000
while (!inspectorLoaded() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
const atInitEnd = inspectorLoaded()
await handler({ card: '4111111111111111' }, { awsRequestId: 'r1', getRemainingTimeInMillis: () => 30000 })
process.stdout.write(JSON.stringify({ duringEval, atInitEnd, afterRun: inspectorLoaded() }))
`
const lambdaGuard = (env = {}) => {
  const taskRoot = join(work, 'lambda')
  mkdirSync(taskRoot, { recursive: true })
  writeFileSync(join(taskRoot, 'index.mjs'), LAMBDA_HANDLER)
  return child(LAMBDA_CHILD, [pathToFileURL(join(taskRoot, 'index.mjs')).href], {
    LAMBDA_TASK_ROOT: taskRoot,
    _HANDLER: 'index.handler',
    AWS_LAMBDA_FUNCTION_NAME: 'bench-startup',
    ...env,
  })
}

// ---------------------------------------------------------------------------------------

const pad = (cell, width, right) => (right ? cell.padStart(width) : cell.padEnd(width))
const printTable = (header, rows) => {
  const widths = header.map((title, c) =>
    Math.max(title.length, ...rows.map((row) => row[c].length)),
  )
  const line = (cells) => `| ${cells.map((cell, c) => pad(cell, widths[c], c > 0)).join(' | ')} |`
  console.log(line(header))
  console.log(
    `|${widths.map((w, c) => (c > 0 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`,
  )
  for (const row of rows) console.log(line(row))
}
const ms = (value) => value.toFixed(2)
const signedMs = (value) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)}`
const kb = (bytes) => `${bytes} B (${(bytes / KB).toFixed(1)} KB)`

const stale = staleOutputs()
console.log('## Start-up cost: import time and bundled size')
console.log(
  `Node ${process.version} (${process.platform}/${process.arch}), ${RUNS} fresh processes per case (after ${WARMUP_RUNS} warm-up runs), interleaved.`,
)
if (stale.length > 0) {
  console.log(`WARNING: dist/ is older than ${stale.join(', ')}: rebuild for current figures.`)
}

const started = performance.now()
mkdirSync(work, { recursive: true })
await build({
  stdin: { contents: "export * from 'middy-orc/cache'", resolveDir: root, loader: 'js' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  external: ['lru-cache', '@middy/core'],
  outfile: join(work, 'cache.mjs'),
  logLevel: 'silent',
})
writeEntries()
const imports = measureImports()
console.log(
  '\nImport time in a fresh process (ms, `await import()` timed inside the process; Δ: per-run differences, median and quartiles):',
)
printTable(
  ['case', 'median', 'p90', 'min', 'Δ vs @middy/core', 'Δ p25 … p75'],
  imports.map((r) => [
    r.label,
    ms(r.median),
    ms(r.p90),
    ms(r.min),
    r.id === 'core' ? '-' : signedMs(r.delta),
    r.id === 'core' ? '-' : `${signedMs(r.deltaP25)} … ${signedMs(r.deltaP75)}`,
  ]),
)
console.log(
  '² dist/cache and dist/shared bundled by esbuild into one file (lru-cache external): what the 8 files cost as 1.',
)

const sizes = await measureSizes()
console.log('\nBundled with esbuild (platform node, format esm, minify, bundle), KB = 1024 B:')
printTable(
  ['entry point', 'whole bundle', 'gzip', 'own code¹', 'own gzip'],
  sizes.map(({ specifier, whole, own }) => [
    specifier,
    kb(whole.bytes),
    kb(whole.gzip),
    kb(own.bytes),
    kb(own.gzip),
  ]),
)
console.log('¹ lru-cache and @middy/core external (@middy/core is never imported at run time).')
for (const { specifier, own } of sizes.filter(({ specifier }) => specifier !== 'middy-orc')) {
  console.log(`  ${specifier}, own code by file (B): ${own.files.join(', ')}`)
}

const guard = child(GUARD_CHILD)
console.log('\nleakGuard, outside Lambda (no _HANDLER):')
const publicBuiltins = guard.importLoads.filter((name) => !name.startsWith('internal/'))
const internalCount = guard.importLoads.length - publicBuiltins.length
console.log(
  `  Node built-ins its import loads (after @middy/core's): ${publicBuiltins.join(', ') || 'none'} (+${internalCount} internal)`,
)
const state = (loaded) => (loaded ? 'loaded' : 'not loaded')
console.log(`  node:inspector after import: ${state(guard.afterImport)}`)
console.log(`  after leakGuard({ mode: 'off' }) and one invocation: ${state(guard.afterOffRun)}`)
console.log(`  after leakGuard() (warn, with a scope to read): ${state(guard.afterCreate)}`)
console.log(`  after its first guarded invocation: ${state(guard.afterRun)}`)
const lambda = lambdaGuard()
const lambdaNoScope = lambdaGuard({ LEAK_GUARD_SCOPE: 'false' })
const when = (run) =>
  run.duringEval
    ? 'while the handler module is evaluated'
    : run.atInitEnd
      ? 'at the end of init, before the first invocation'
      : run.afterRun
        ? 'at the first invocation'
        : 'never (init and one invocation)'
console.log('leakGuard() with no option in Lambda (_HANDLER set), node:inspector loaded:')
console.log(`  scope reader on (default): ${when(lambda)} (discovery; bench/scope.mjs times it)`)
console.log(`  LEAK_GUARD_SCOPE=false: ${when(lambdaNoScope)}`)

const byId = Object.fromEntries(imports.map((r) => [r.id, r]))
const cacheOwn = sizes.find(({ specifier }) => specifier === 'middy-orc/cache').own.bytes
const lazy = !guard.afterImport && !guard.afterOff && !guard.afterOffRun && !guard.afterCreate
const targets = [
  [
    `importing the cache costs ≤ ${TARGET_IMPORT_MS} ms more than @middy/core alone`,
    byId.cache.delta <= TARGET_IMPORT_MS,
    `${signedMs(byId.cache.delta)} ms (median of per-run differences; medians ${ms(byId.cache.median)} vs ${ms(byId.core.median)} ms)`,
  ],
  [
    `the cache's bundled size without lru-cache ≤ ${TARGET_CACHE_BYTES / KB} KB`,
    cacheOwn <= TARGET_CACHE_BYTES,
    kb(cacheOwn),
  ],
  [
    'leakGuard loads no node:inspector until it first runs',
    lazy,
    lazy
      ? `not by import nor creation; outside Lambda at the first guarded invocation; in Lambda ${when(lambda)}`
      : `loaded early (import ${guard.afterImport}, off ${guard.afterOff || guard.afterOffRun}, created ${guard.afterCreate})`,
  ],
]
console.log('\nTargets:')
for (const [label, met, actual] of targets) {
  console.log(`  ${met ? 'MET   ' : 'MISSED'}  ${label}: ${actual}`)
  if (!met) process.exitCode = 1
}
console.log(`\n(${((performance.now() - started) / 1000).toFixed(1)} s)`)
