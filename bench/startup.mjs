#!/usr/bin/env node
/**
 * Start-up cost (issues 6 and 13): what a cold start pays for middy-orc, measured as a
 * deployed function pays it. Run on Node 24 for the published figures, after the build:
 *
 *   npm run build && "$(node test/e2e/harness/ensure-node.mjs 24)" bench/startup.mjs
 *   ... bench/startup.mjs --baseline 1afbec8 --baseline old.tgz   # older builds, side by side
 *   ... bench/startup.mjs --instructions --parts                  # instruction counts; parts
 *
 * - The package as deployed: `npm pack` of this repository, installed from the tarball into
 *   a scratch project's `node_modules` (bench/lib/installed.mjs), with `@middy/core` and
 *   `lru-cache` at the lock file's versions. A zip-deployed function loads it that way.
 * - import time, from node_modules: one fresh `node` per sample, no compile cache
 *   (NODE_COMPILE_CACHE unset, as in Lambda by default); inside it `@middy/core` is
 *   imported first, then `performance.now()` is taken around one dynamic `import()` of the
 *   case's specifier: what the package adds to a handler module that already uses Middy.
 *   `lru-cache` alone (our one dependency) is the reference.
 * - import + create, the same way: `performance.now()` around the `import()` and the
 *   factory calls a handler module makes at init, with no options: `orcCache()`,
 *   `leakGuard()` with LEAK_GUARD=off (production), and for the reference
 *   `new LRUCache({ maxSize: 8 MiB })`. What a cold start pays before the first request.
 * - instructions (`--instructions`, needs valgrind): the same children, each run under
 *   `valgrind --tool=cachegrind --cache-sim=no` (instructions executed by the whole
 *   process, every thread), with `node --single-threaded --hash-seed=1 --random-seed=1`
 *   and address randomisation off (`setarch -R`), so that a run repeats within about 1%;
 *   the figure is the median difference from the same child importing nothing after
 *   `@middy/core`. Timing on a loaded shared machine moves by several ms from run to run;
 *   instruction counts do not (they count no waiting and no other process), but they
 *   leave out the time spent in the kernel reading files. `perf stat -e instructions`
 *   would be faster, but this machine's virtual CPU exposes no counters.
 *   STARTUP_IRUNS (default 3) sets the runs per case.
 * - import time, bundled: how CDK's NodejsFunction and SAM's esbuild builder deploy. A small
 *   handler module that re-exports the case's API (`export { orcCache } from
 *   'middy-orc/cache'`, so nothing is tree-shaken away) beside a Middy handler is bundled
 *   by esbuild into one ESM file (bundle, platform node, target node24, not minified: the
 *   CDK default); a fresh `node` times the `import()` of that file. The figure is the
 *   difference from the same handler without the package (Middy only).
 * - first request, the same way: import, create, and one invocation of a Middy handler
 *   with the entry's middlewares (an HTTP API event; for the cache a miss that stores the
 *   response), LEAK_GUARD=off: what a cold start pays up to its first response, so that
 *   work moved from import to the first request shows.
 * - parts (`--parts`): what the cache entry's import is made of, from files imported the
 *   same way: one more ES module file (re-exporting lru-cache), a minimal cache
 *   (bench/lib/minimal-cache.mjs), the cache's built code inside a function never called
 *   (parsed only) and as a string (read only). See setUpParts.
 * - Every case, all kinds, runs interleaved (the order rotates every run) so drift in
 *   machine speed hits each alike; the first runs warm the file-system cache and are
 *   dropped. Differences are the median of per-run differences (two samples of one run
 *   ran a few tens of ms apart, under the same load).
 * - size: each entry point of the installed package bundled with esbuild (platform node,
 *   ESM, minified), once whole and once with `lru-cache` and `@middy/core` external (the
 *   package's own code), with gzip sizes; the own code by source file from src/. KB = 1024 B.
 * - leakGuard's lazy loading, read from `process.moduleLoadList` (Node's list of loaded
 *   built-ins; `node:inspector` is `NativeModule inspector`): not at import nor creation
 *   (`mode: 'off'`, `warn`), outside Lambda at the first guarded invocation with a scope to
 *   read; in Lambda (`_HANDLER` set), with no option, right after the handler module has
 *   loaded (end of init; bench/scope.mjs times that discovery), and never with
 *   LEAK_GUARD_SCOPE=false.
 *
 * The load average (1 min) is printed at the start and the end: above the machine's core
 * count, timings are inflated and noisy; compare before/after within one run only.
 *
 * STARTUP_RUNS (default 21) sets the samples per case; STARTUP_WORK names the scratch
 * folder under .tmp/ (default bench-startup), so that two runs do not share it. `--tarball file.tgz` measures that
 * tarball instead of packing the repository; `--baseline file.tgz` or `--baseline <git
 * revision>` (repeatable) adds another build of the package to every case, side by side: a
 * tarball, or this repository at that revision, built and packed under the scratch folder
 * (bench/lib/installed.mjs packRevision). "Not worse" goals compare with the first
 * baseline. Exits 1 when a target is missed.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { basename, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { installScratch, pack, packRevision } from './lib/installed.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const work = join(root, '.tmp', process.env.STARTUP_WORK ?? 'bench-startup')
const RUNS = Number(process.env.STARTUP_RUNS ?? 21)
const INSTRUCTION_RUNS = Number(process.env.STARTUP_IRUNS ?? 3)
const WARMUP_RUNS = 3
const KB = 1024
const INSPECTOR = 'NativeModule inspector' // its entry in process.moduleLoadList
// Targets (issue 13), Node 24, one run.
const TARGET_CACHE_OVER_LRU_MS = 1
const TARGET_ROOT_OVER_LRU_MS = 2
const TARGET_GUARD_MS = 2
const TARGET_CACHE_GZIP = 10 * KB

const { values: flags } = parseArgs({
  options: {
    tarball: { type: 'string' },
    baseline: { type: 'string', multiple: true, default: [] },
    instructions: { type: 'boolean', default: false },
    parts: { type: 'boolean', default: false },
  },
})

/** Source files newer than the build: the figures would describe old code. */
const newestIn = (dir) =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .reduce(
      (newest, entry) => Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs),
      0,
    )
const oldestIn = (dir) =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
    .reduce(
      (oldest, entry) => Math.min(oldest, statSync(join(entry.parentPath, entry.name)).mtimeMs),
      Number.POSITIVE_INFINITY,
    )

const childEnv = (env) => {
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
  return { ...inherited, ...env }
}

/** A child `node` running `source` as an ES module in `cwd`; returns its JSON output. */
const child = (cwd, source, args = [], env = {}) => {
  const { status, stdout, stderr, error } = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', source, ...args],
    { cwd, env: childEnv(env), encoding: 'utf8' },
  )
  if (status !== 0) throw new Error(`child failed (${status ?? error}):\n${stdout}\n${stderr}`)
  return JSON.parse(stdout)
}

// ---------------------------------------------------------------------------------------
// Set-up: the package installed from its tarball (and the baseline's, if given)

// `create`: what a handler module calls at init, `api` being the imported module.
// `use`: the middlewares a handler takes for its first request (`first`), as an array.
const entryPoints = [
  {
    specifier: 'lru-cache',
    names: ['LRUCache'],
    reference: true,
    create: 'new api.LRUCache({ maxSize: 8 * 1024 * 1024 })',
    // The reference's first request: the handler with no middleware, and one set and get.
    use: '(lru => [{ after: (r) => { lru.set("k", r.response, { size: 16 }); lru.get("k") } }])(new api.LRUCache({ maxSize: 8 * 1024 * 1024 }))',
  },
  {
    specifier: 'middy-orc/cache',
    names: ['orcCache'],
    create: 'api.orcCache()',
    use: '[api.orcCache()]',
  },
  {
    specifier: 'middy-orc/leak-guard',
    names: ['leakGuard'],
    create: 'api.leakGuard()',
    use: '[api.leakGuard()]',
  },
  {
    specifier: 'middy-orc',
    names: ['orcCache', 'leakGuard'],
    create: 'api.orcCache(); api.leakGuard()',
    use: '[api.orcCache(), api.leakGuard()]',
  },
]

/** Handler modules to bundle: Middy alone, and Middy beside each entry point. */
const handlerSource = (entry) =>
  `import middy from '@middy/core'
export const handler = middy(async () => 'ok')
${entry ? `export { ${entry.names.join(', ')} } from '${entry.specifier}'\n` : ''}`

const setUp = async (name, tarball) => {
  const project = installScratch(root, join(work, name), tarball)
  const bundles = {}
  const bundleBytes = {}
  for (const [id, entry] of [['middy', undefined], ...entryPoints.map((e) => [e.specifier, e])]) {
    const file = `handler-${id.replace(/\W/g, '_')}`
    writeFileSync(join(project, `${file}.mjs`), handlerSource(entry))
    await build({
      entryPoints: [join(project, `${file}.mjs`)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      outfile: join(project, 'bundled', `${file}.mjs`),
      logLevel: 'silent',
    })
    bundles[id] = pathToFileURL(join(project, 'bundled', `${file}.mjs`)).href
    bundleBytes[id] = readFileSync(join(project, 'bundled', `${file}.mjs`)).length
  }
  return { name, project, bundles, bundleBytes }
}

/**
 * `--parts`: what the cache entry's import is made of, as files imported like an entry
 * point (after @middy/core), each a lower bound of what a cache must pay:
 * - `one more file`: a module that only re-exports lru-cache: what any further ES module
 *   file costs (resolve, read, compile, link), whatever its size;
 * - `a minimal cache`: bench/lib/minimal-cache.mjs, a working LRU response cache in 1 KB
 *   (a key from method and path, 200s stored, hits served): the least a cache costs;
 * - `the cache's code, parsed only`: the installed dist/cache/index.js inside a function
 *   that is never called (V8 pre-parses it and runs nothing): its size's cost;
 * - `the cache's code, read only`: the same text as a string literal (scanned, not parsed).
 */
const setUpParts = ({ project }) => {
  const dir = join(project, 'parts')
  mkdirSync(dir, { recursive: true })
  const code = readFileSync(
    join(project, 'node_modules', 'middy-orc', 'dist', 'cache', 'index.js'),
    'utf8',
  )
  const imports = /import\{[^}]*\}from"lru-cache";/.exec(code)
  const exports = /export\{[^}]*\};\s*(\/\/# sourceMappingURL=\S*\s*)?$/.exec(code)
  if (imports === null || exports === null)
    throw new Error('--parts: unexpected dist/cache/index.js')
  const body =
    code.slice(0, imports.index) + code.slice(imports.index + imports[0].length, exports.index)
  const files = {
    'one more file': "export { LRUCache } from 'lru-cache'\n",
    'a minimal cache': readFileSync(join(root, 'bench', 'lib', 'minimal-cache.mjs'), 'utf8'),
    "the cache's code, parsed only": `${imports[0]}\nexport function never() {${body}}\n`,
    "the cache's code, read only": `${imports[0]}\nexport const text = ${JSON.stringify(body)}\n`,
  }
  return Object.entries(files).map(([id, source], i) => {
    const file = join(dir, `part-${i}.mjs`)
    writeFileSync(file, source)
    return { id, url: pathToFileURL(file).href, bytes: Buffer.byteLength(source) }
  })
}

// ---------------------------------------------------------------------------------------
// Import time

/** After @middy/core: times the dynamic import of the specifier given as the argument. */
const INSTALLED_CHILD = `
await import('@middy/core')
const t0 = performance.now()
await import(process.argv[1])
process.stdout.write(JSON.stringify({ ms: performance.now() - t0 }))
`
/** The same, and the entry's factory calls (`create`), as a handler module makes them at init. */
const createChild = ({ create }) => `
await import('@middy/core')
const t0 = performance.now()
const api = await import(process.argv[1])
${create}
process.stdout.write(JSON.stringify({ ms: performance.now() - t0 }))
`
/**
 * The same, and the first request: a Middy handler with the entry's middlewares (`use`)
 * invoked once with an HTTP API event (for the cache, a miss that stores the response).
 * What a cold start pays up to its first response.
 */
const firstChild = ({ use }) => `
const { default: middy } = await import('@middy/core')
const t0 = performance.now()
const api = await import(process.argv[1])
const handler = middy(async () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"id":1}' }))
for (const m of ${use}) handler.use(m)
const event = { version: '2.0', routeKey: 'GET /items/{id}', rawPath: '/items/1', rawQueryString: '', headers: { host: 'example.com' }, pathParameters: { id: '1' }, requestContext: { http: { method: 'GET', path: '/items/1' } } }
const response = await handler(event, { awsRequestId: 'r1', getRemainingTimeInMillis: () => 30000 })
if (response.statusCode !== 200) throw new Error('the first request failed')
process.stdout.write(JSON.stringify({ ms: performance.now() - t0 }))
`
/** LEAK_GUARD=off: leakGuard() as created in production (the import+create cases). */
const CREATE_ENV = { LEAK_GUARD: 'off' }
/** Times the dynamic import of a bundled handler file (Middy inside it). */
const BUNDLED_CHILD = `
const t0 = performance.now()
await import(process.argv[1])
process.stdout.write(JSON.stringify({ ms: performance.now() - t0 }))
`

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]
}
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const pairedDelta = (a, b) => median(a.map((value, run) => value - b[run]))

const measureImports = (builds) => {
  const cases = builds.flatMap(({ name, project, bundles, parts }) => [
    ...entryPoints.map(({ specifier }) => ({
      key: `${name} installed ${specifier}`,
      run: () => child(project, INSTALLED_CHILD, [specifier]).ms,
    })),
    ...entryPoints.map((entry) => ({
      key: `${name} created ${entry.specifier}`,
      run: () => child(project, createChild(entry), [entry.specifier], CREATE_ENV).ms,
    })),
    ...entryPoints.map((entry) => ({
      key: `${name} first ${entry.specifier}`,
      run: () => child(project, firstChild(entry), [entry.specifier], CREATE_ENV).ms,
    })),
    ...(parts ?? []).map(({ id, url }) => ({
      key: `${name} part ${id}`,
      run: () => child(project, INSTALLED_CHILD, [url]).ms,
    })),
    ...Object.entries(bundles).map(([id, url]) => ({
      key: `${name} bundled ${id}`,
      run: () => child(project, BUNDLED_CHILD, [url]).ms,
    })),
  ])
  const samples = Object.fromEntries(cases.map(({ key }) => [key, []]))
  for (let run = 0; run < WARMUP_RUNS + RUNS; run++) {
    for (let k = 0; k < cases.length; k++) {
      const { key, run: sample } = cases[(run + k) % cases.length]
      const ms = sample()
      if (run >= WARMUP_RUNS) samples[key].push(ms)
    }
  }
  return samples
}

// ---------------------------------------------------------------------------------------
// Instructions executed (valgrind), a figure the machine's load does not move

const NOTHING_CHILD = `
await import('@middy/core')
process.stdout.write('{}')
`
const hasCommand = (command, args) => spawnSync(command, args, { encoding: 'utf8' }).status === 0

/** Instructions executed by a child `node` running `source` (every thread, whole process). */
const instructionsOf = (cwd, source, args = [], env = {}) => {
  const valgrind = [
    'valgrind',
    '--tool=cachegrind',
    '--cache-sim=no',
    '--cachegrind-out-file=/dev/null',
    process.execPath,
    '--single-threaded',
    '--hash-seed=1',
    '--random-seed=1',
    '--input-type=module',
    '-e',
    source,
    ...args,
  ]
  const [command, ...rest] = hasCommand('setarch', ['-R', 'true'])
    ? ['setarch', '-R', ...valgrind]
    : valgrind
  const { status, stderr, error } = spawnSync(command, rest, {
    cwd,
    env: childEnv(env),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  const match = /I\s+refs:\s+([\d,]+)/.exec(stderr ?? '')
  if (status !== 0 || match === null) {
    throw new Error(`valgrind child failed (${status ?? error}):\n${stderr}`)
  }
  return Number(match[1].replaceAll(',', ''))
}

/** Median instructions per case, interleaved; `nothing` is the child importing nothing. */
const measureInstructions = (builds) => {
  const cases = [
    { key: 'nothing', run: () => instructionsOf(builds[0].project, NOTHING_CHILD) },
    ...builds.flatMap(({ name, project, bundles, parts }) => [
      ...Object.entries(bundles).map(([id, url]) => ({
        key: `${name} bundled ${id}`,
        run: () => instructionsOf(project, BUNDLED_CHILD, [url]),
      })),
      ...entryPoints.flatMap((entry) => [
        {
          key: `${name} installed ${entry.specifier}`,
          run: () => instructionsOf(project, INSTALLED_CHILD, [entry.specifier]),
        },
        {
          key: `${name} created ${entry.specifier}`,
          run: () => instructionsOf(project, createChild(entry), [entry.specifier], CREATE_ENV),
        },
        {
          key: `${name} first ${entry.specifier}`,
          run: () => instructionsOf(project, firstChild(entry), [entry.specifier], CREATE_ENV),
        },
      ]),
      ...(parts ?? []).map(({ id, url }) => ({
        key: `${name} part ${id}`,
        run: () => instructionsOf(project, INSTALLED_CHILD, [url]),
      })),
    ]),
  ]
  const counts = Object.fromEntries(cases.map(({ key }) => [key, []]))
  for (let run = 0; run < INSTRUCTION_RUNS; run++) {
    for (let k = 0; k < cases.length; k++) {
      const { key, run: sample } = cases[(run + k) % cases.length]
      counts[key].push(sample())
    }
  }
  const nothing = median(counts.nothing)
  return Object.fromEntries(
    Object.entries(counts).map(([key, values]) => [key, median(values) - nothing]),
  )
}

// ---------------------------------------------------------------------------------------
// Bundled size

const bundleSize = async ({ project }, specifier, external) => {
  const result = await build({
    stdin: { contents: `export * from '${specifier}'`, resolveDir: project, loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    minify: true,
    write: false,
    logLevel: 'silent',
    external,
    metafile: true,
  })
  const code = result.outputFiles[0].contents
  const foreign = Object.keys(result.metafile.inputs).filter(
    (input) => input !== '<stdin>' && !input.includes('node_modules/middy-orc/'),
  )
  return { bytes: code.length, gzip: gzipSync(code).length, foreign }
}

/** The package's own code by source file (from src/, minified, dependencies external). */
const ownBySource = async (entry) => {
  const result = await build({
    entryPoints: [join(root, 'src', entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    minify: true,
    write: false,
    outfile: 'bundle.js', // named only so that the metafile lists the output
    logLevel: 'silent',
    packages: 'external',
    metafile: true,
  })
  const [output] = Object.values(result.metafile.outputs)
  return Object.entries(output.inputs)
    .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
    .sort(([, a], [, b]) => b.bytesInOutput - a.bytesInOutput)
    .map(([file, { bytesInOutput }]) => `${file.replace(/^src\//, '')} ${bytesInOutput}`)
}

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
const lambdaGuard = ({ project }, env = {}) => {
  const taskRoot = join(project, 'lambda')
  mkdirSync(taskRoot, { recursive: true })
  writeFileSync(join(taskRoot, 'index.mjs'), LAMBDA_HANDLER)
  return child(project, LAMBDA_CHILD, [pathToFileURL(join(taskRoot, 'index.mjs')).href], {
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

console.log('## Start-up cost: import time and bundled size')
console.log(
  `Node ${process.version} (${process.platform}/${process.arch}), no compile cache; ${RUNS} fresh processes per case (after ${WARMUP_RUNS} warm-up runs), all cases interleaved.`,
)
let tarball = flags.tarball && resolve(flags.tarball)
if (tarball === undefined) {
  if (!existsSync(join(root, 'dist', 'index.js'))) {
    console.error('dist/ is missing: run `npm run build` first.')
    process.exit(1)
  }
  if (newestIn(join(root, 'src')) > oldestIn(join(root, 'dist'))) {
    console.log('WARNING: src/ is newer than dist/: rebuild (`npm run build`) for current figures.')
  }
  tarball = pack(root, work)
}
const started = performance.now()
const builds = [await setUp('package', tarball)]
for (const baseline of flags.baseline) {
  // A tarball, named after its file (`1afbec8.tgz` is "1afbec8"), or a git revision of
  // this repository, packed as it was then, named by its commit.
  const revision = !baseline.endsWith('.tgz') && !existsSync(baseline)
  const { tarball: file, commit } = revision
    ? packRevision(root, baseline, join(work, 'revisions'))
    : { tarball: resolve(baseline) }
  let name = commit ?? basename(file).replace(/\.tgz$/, '')
  while (builds.some((build) => build.name === name)) name += "'"
  builds.push(await setUp(name, file))
}
const baselines = builds.slice(1).map(({ name }) => name)
if (flags.parts) builds[0].parts = setUpParts(builds[0])
console.log(
  `Package: ${relative(root, tarball)}${baselines.length > 0 ? `; baselines: ${flags.baseline.join(', ')}` : ''}`,
)

const loadBefore = loadavg()[0]
console.log(
  `Load average (1 min) at the start: ${loadBefore.toFixed(2)} on ${availableParallelism()} cores.`,
)
const samples = measureImports(builds)
const loadAfter = loadavg()[0]
const figures = (name) => {
  const installed = (specifier) => samples[`${name} installed ${specifier}`]
  const created = (specifier) => samples[`${name} created ${specifier}`]
  const bundled = (id) => samples[`${name} bundled ${id}`]
  const first = (specifier) => samples[`${name} first ${specifier}`]
  return Object.fromEntries(
    entryPoints.map(({ specifier }) => [
      specifier,
      {
        median: median(installed(specifier)),
        p25: quantile(installed(specifier), 0.25),
        p75: quantile(installed(specifier), 0.75),
        overLru: pairedDelta(installed(specifier), installed('lru-cache')),
        created: median(created(specifier)),
        createdOverLru: pairedDelta(created(specifier), created('lru-cache')),
        first: median(first(specifier)),
        firstOverLru: pairedDelta(first(specifier), first('lru-cache')),
        bundled: pairedDelta(bundled(specifier), bundled('middy')),
        bundledOverLru: pairedDelta(bundled(specifier), bundled('lru-cache')),
      },
    ]),
  )
}
const results = Object.fromEntries(builds.map(({ name }) => [name, figures(name)]))
const middyBundle = median(samples['package bundled middy'])

console.log(
  `\nImport cost (ms), load average ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}: from node_modules, \`import()\` after @middy/core (median, p25 … p75, and the per-run difference from lru-cache alone); import + create, the same with the factory calls a handler makes at init (\`orcCache()\`, \`leakGuard()\` with LEAK_GUARD=off; for lru-cache \`new LRUCache({ maxSize })\`); bundled by esbuild, the difference from the same bundle without the package (Middy only):`,
)
const header = [
  'import',
  'node_modules',
  'p25 … p75',
  'vs lru-cache',
  'import + create',
  'vs lru-cache',
  'first request',
  'vs lru-cache',
  'bundled',
  'vs lru-cache',
  'bundle grows by',
]
const rows = []
for (const { name, bundleBytes } of builds) {
  for (const { specifier, reference } of entryPoints) {
    const r = results[name][specifier]
    rows.push([
      `${builds.length > 1 ? `${name}: ` : ''}${specifier}${reference ? ' (reference)' : ''}`,
      `+${ms(r.median)}`,
      `${ms(r.p25)} … ${ms(r.p75)}`,
      reference ? '-' : signedMs(r.overLru),
      `+${ms(r.created)}`,
      reference ? '-' : signedMs(r.createdOverLru),
      `+${ms(r.first)}`,
      reference ? '-' : signedMs(r.firstOverLru),
      signedMs(r.bundled),
      reference ? '-' : signedMs(r.bundledOverLru),
      `${((bundleBytes[specifier] - bundleBytes.middy) / KB).toFixed(1)} KB`,
    ])
  }
}
printTable(header, rows)
console.log(
  'First request: import, create, and one invocation of a Middy handler with the middlewares (an HTTP API event; for the cache a miss that stores), LEAK_GUARD=off; for lru-cache the handler with one set and get.',
)
console.log(
  `Bundled: a handler module with Middy, re-exporting the import's API, bundled to one file (esbuild: bundle, platform node, ESM, target node24, not minified); the Middy-only bundle imports in ${ms(middyBundle)} ms.`,
)

let instructions
/** Instructions the bundled handler adds to the Middy-only bundle. */
const bundledInstructions = (name, id) =>
  instructions[`${name} bundled ${id}`] - instructions[`${name} bundled middy`]
if (flags.instructions) {
  if (!hasCommand('valgrind', ['--version'])) {
    console.error('--instructions needs valgrind on the PATH.')
    process.exit(1)
  }
  instructions = measureInstructions(builds)
  console.log(
    `\nInstructions executed (millions; valgrind cachegrind, node --single-threaded, median of ${INSTRUCTION_RUNS} runs, the difference from a child that imports nothing after @middy/core):`,
  )
  const mega = (count) => (count / 1e6).toFixed(2)
  const signedMega = (count) => `${count >= 0 ? '+' : '−'}${Math.abs(count / 1e6).toFixed(2)}`
  printTable(
    [
      'import',
      'import',
      'vs lru-cache',
      'import + create',
      'vs lru-cache',
      'first request',
      'vs lru-cache',
      'bundled',
    ],
    builds.flatMap(({ name }) =>
      entryPoints.map(({ specifier, reference }) => {
        const imported = instructions[`${name} installed ${specifier}`]
        const created = instructions[`${name} created ${specifier}`]
        const first = instructions[`${name} first ${specifier}`]
        return [
          `${builds.length > 1 ? `${name}: ` : ''}${specifier}${reference ? ' (reference)' : ''}`,
          `+${mega(imported)}`,
          reference ? '-' : signedMega(imported - instructions[`${name} installed lru-cache`]),
          `+${mega(created)}`,
          reference ? '-' : signedMega(created - instructions[`${name} created lru-cache`]),
          `+${mega(first)}`,
          reference ? '-' : signedMega(first - instructions[`${name} first lru-cache`]),
          signedMega(bundledInstructions(name, specifier)),
        ]
      }),
    ),
  )
  console.log(
    'Bundled: the difference from the Middy-only bundle (the same handler modules as above).',
  )
}

if (flags.parts) {
  const { name, parts } = builds[0]
  const lru = samples[`${name} installed lru-cache`]
  const cache = samples[`${name} installed middy-orc/cache`]
  const rows = [...parts.map(({ id, bytes }) => ({ id, bytes })), { id: 'middy-orc/cache' }].map(
    ({ id, bytes }) => {
      const timed = id === 'middy-orc/cache' ? cache : samples[`${name} part ${id}`]
      const counted =
        instructions &&
        (id === 'middy-orc/cache'
          ? instructions[`${name} installed middy-orc/cache`]
          : instructions[`${name} part ${id}`])
      return [
        id,
        bytes === undefined ? '-' : `${bytes} B`,
        signedMs(pairedDelta(timed, lru)),
        counted === undefined
          ? '-'
          : `${counted >= instructions[`${name} installed lru-cache`] ? '+' : '−'}${(Math.abs(counted - instructions[`${name} installed lru-cache`]) / 1e6).toFixed(2)} M`,
      ]
    },
  )
  console.log(
    "\nParts of the cache entry's import (--parts): files imported as an entry point is, after @middy/core, against lru-cache alone:",
  )
  printTable(['file', 'size', 'vs lru-cache, ms', 'vs lru-cache, instructions'], rows)
  console.log(
    "  one more file: re-exports lru-cache, nothing else; a minimal cache: bench/lib/minimal-cache.mjs; the cache's code, parsed only: dist/cache/index.js in a function never called; read only: the same text as a string.",
  )
}

const sizes = {}
for (const build of builds) {
  sizes[build.name] = []
  for (const { specifier } of entryPoints.filter(({ reference }) => !reference)) {
    const whole = await bundleSize(build, specifier, [])
    const own = await bundleSize(build, specifier, ['lru-cache', '@middy/core'])
    if (own.foreign.length > 0) throw new Error(`${specifier}: own bundle holds ${own.foreign}`)
    sizes[build.name].push({ specifier, whole, own })
  }
}
console.log(
  '\nSize, bundled with esbuild (platform node, format esm, minify, bundle), KB = 1024 B:',
)
printTable(
  ['entry point', 'whole bundle', 'gzip', 'own code¹', 'own gzip'],
  builds.flatMap(({ name }) =>
    sizes[name].map(({ specifier, whole, own }) => [
      `${builds.length > 1 ? `${name}: ` : ''}${specifier}`,
      kb(whole.bytes),
      kb(whole.gzip),
      kb(own.bytes),
      kb(own.gzip),
    ]),
  ),
)
console.log('¹ lru-cache and @middy/core external (@middy/core is never imported at run time).')
if (flags.tarball === undefined) {
  for (const entry of ['cache/index.ts', 'leak-guard/index.ts']) {
    console.log(`  ${entry}, own code by source file (B): ${(await ownBySource(entry)).join(', ')}`)
  }
}

const guard = child(builds[0].project, GUARD_CHILD)
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
const lambda = lambdaGuard(builds[0])
const lambdaNoScope = lambdaGuard(builds[0], { LEAK_GUARD_SCOPE: 'false' })
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

const ours = results.package
const [first] = baselines // "not worse": against the first --baseline
const cacheSize = (name) => sizes[name].find(({ specifier }) => specifier === 'middy-orc/cache').own
const lazy = !guard.afterImport && !guard.afterOff && !guard.afterOffRun && !guard.afterCreate
const overLru = (name, specifier) => `${signedMs(results[name][specifier].overLru)} ms`
const size = (own) => `${kb(own.gzip)} gzip, ${own.bytes} B minified`
const own = entryPoints.filter(({ reference }) => !reference)
/**
 * Rows of [goal, figure for each build, met]: `figure(name)` gives a build's cell (or
 * undefined), met is a boolean, or undefined for a figure with no goal.
 */
const targets = [
  [
    `middy-orc/cache ≤ lru-cache + ${TARGET_CACHE_OVER_LRU_MS} ms`,
    (name) => overLru(name, 'middy-orc/cache'),
    ours['middy-orc/cache'].overLru <= TARGET_CACHE_OVER_LRU_MS,
  ],
  [
    `middy-orc ≤ lru-cache + ${TARGET_ROOT_OVER_LRU_MS} ms`,
    (name) => overLru(name, 'middy-orc'),
    ours['middy-orc'].overLru <= TARGET_ROOT_OVER_LRU_MS,
  ],
  [
    `middy-orc/leak-guard ≤ ${TARGET_GUARD_MS} ms`,
    (name) => `${ms(results[name]['middy-orc/leak-guard'].median)} ms`,
    ours['middy-orc/leak-guard'].median <= TARGET_GUARD_MS,
  ],
  ...own.map(({ specifier }) => [
    `bundled ${specifier}: not worse than ${first ?? 'the baseline'}`,
    (name) => `${signedMs(results[name][specifier].bundled)} ms`,
    first ? ours[specifier].bundled <= results[first][specifier].bundled : undefined,
  ]),
  ...(instructions && first
    ? own.map(({ specifier }) => [
        `bundled ${specifier}: not worse than ${first}, in instructions`,
        (name) => `+${(bundledInstructions(name, specifier) / 1e6).toFixed(2)} M`,
        bundledInstructions('package', specifier) <= bundledInstructions(first, specifier),
      ])
    : []),
  [
    `the cache's own code ≤ ${TARGET_CACHE_GZIP / KB} KB gzip`,
    (name) => size(cacheSize(name)),
    cacheSize('package').gzip <= TARGET_CACHE_GZIP,
  ],
  [
    'leakGuard loads no node:inspector until it first runs',
    (name) => (name === 'package' ? (lazy ? 'yes' : 'no') : undefined),
    lazy,
  ],
  ...entryPoints.map(({ specifier, reference }) => [
    `(no goal) import + create ${specifier}${reference ? '' : ', vs lru-cache'}`,
    (name) =>
      reference
        ? `${ms(results[name][specifier].created)} ms`
        : `${signedMs(results[name][specifier].createdOverLru)} ms`,
    undefined,
  ]),
  ...entryPoints.map(({ specifier, reference }) => [
    `(no goal) first request ${specifier}${reference ? '' : ', vs lru-cache'}`,
    (name) =>
      reference
        ? `${ms(results[name][specifier].first)} ms`
        : `${signedMs(results[name][specifier].firstOverLru)} ms`,
    undefined,
  ]),
]
console.log(
  `\nTargets (issue 13; Node 24, this run, load average ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}):`,
)
printTable(
  ['goal', 'now', ...baselines, 'met'],
  targets.map(([goal, figure, met]) => [
    goal,
    ...builds.map(({ name }) => figure(name) ?? '-'),
    met === undefined ? '-' : met ? 'yes' : 'NO',
  ]),
)
if (!lazy) {
  console.log(
    `  node:inspector loaded early (import ${guard.afterImport}, off ${guard.afterOff || guard.afterOffRun}, created ${guard.afterCreate})`,
  )
} else {
  console.log(
    `  node:inspector: not by import nor creation; outside Lambda at the first guarded invocation; in Lambda ${when(lambda)}`,
  )
}
for (const [, , met] of targets) if (met === false) process.exitCode = 1
console.log(`\n(${((performance.now() - started) / 1000).toFixed(1)} s)`)
