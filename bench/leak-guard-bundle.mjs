#!/usr/bin/env node
/**
 * leakGuard's per-invocation cost in a deployed shape: a Middy handler bundled by esbuild
 * into one CommonJS file with nothing external (as CDK's NodejsFunction deploys it), the
 * guard found from LAMBDA_TASK_ROOT and _HANDLER with no option (module scope, private
 * fields and closures through the inspector, pending timers). The bundle holds Middy's
 * and the guard's own code, so the walk meets their functions and closures at every check.
 * Needs esbuild (a dev dependency); run on Node 24:
 *
 *   node bench/leak-guard-bundle.mjs
 *
 * Cases: the same bundle with `LEAK_GUARD=off` (baseline) and with the guard on, for a
 * clean handler (config and a client at init, counters, a memo) and for the handler
 * that leaves a timer pending (a finding at every invocation, deduplicated). These
 * bundle the guard from this repository's `src/`, so its own code counts as the user's
 * (and the module variables it rebinds are rebound by "your" code). More cases bundle a
 * handler with middy-orc installed under `node_modules` (the built package: run
 * `npm run build` first), as a deployed function has it: the clean handler; a clean
 * handler that rebinds module variables at every invocation (a flag, a counter, a time,
 * a product id); and the tenant leak (`tenantId` rebound with request data at every
 * invocation: a finding each time, deduplicated). A bundle's module scope holds every
 * bundled module's variables; a rebound one is read through a getter
 * (src/leak-guard/scope/live.ts) rather than by copying the whole scope at every check.
 *
 * Also printed: what the guard adds to init (loading its runtime, discovery, the first
 * full reads and the getters, all before the first invocation), one sample per case.
 * Exits with code 1 when a target is missed.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { describeRun, overheadTarget, printTable, printTargets, runCases } from './lib/runner.mjs'

const repo = fileURLToPath(new URL('..', import.meta.url))
const work = join(repo, '.tmp/bench-bundle')
const require = createRequire(import.meta.url)

/** Bundles a fixture into its own task root; returns the folder. */
const bundle = async (fixture, name) => {
  const root = join(work, name)
  mkdirSync(root, { recursive: true })
  writeFileSync(join(root, 'package.json'), '{"type":"commonjs"}\n')
  await build({
    entryPoints: [join(repo, `test/leak-guard/leak-fixtures/e2e/${fixture}.ts`)],
    outfile: join(root, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    logLevel: 'silent',
  })
  return root
}

/**
 * Bundles a fixture the way a user's project does: middy-orc installed under
 * `node_modules` (the built package, so esbuild marks its code as a dependency's), not
 * bundled from this repository's `src/` (where the guard's own code counts as the
 * user's: the other cases). Needs `npm run build`.
 */
const bundleAsInstalled = async (fixture, name) => {
  const app = join(work, 'app')
  const installed = join(app, 'node_modules/middy-orc')
  rmSync(installed, { recursive: true, force: true })
  mkdirSync(installed, { recursive: true })
  cpSync(join(repo, 'dist'), join(installed, 'dist'), { recursive: true })
  cpSync(join(repo, 'package.json'), join(installed, 'package.json'))
  writeFileSync(join(app, 'package.json'), '{"name":"bench-app","private":true}\n')
  const entry = join(app, `${fixture}.mjs`)
  writeFileSync(
    entry,
    [
      "import middy from '@middy/core'",
      "import { leakGuard } from 'middy-orc/leak-guard'",
      `import { base } from ${JSON.stringify(join(repo, `test/leak-guard/leak-fixtures/${fixture}.mjs`))}`,
      'export const handler = middy(base).use(leakGuard())',
      '',
    ].join('\n'),
  )
  const root = join(work, name)
  mkdirSync(root, { recursive: true })
  writeFileSync(join(root, 'package.json'), '{"type":"commonjs"}\n')
  await build({
    entryPoints: [entry],
    outfile: join(root, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    logLevel: 'silent',
  })
  return root
}

/** Loads a bundle as the runtime client would, with the guard's mode set for its creation. */
const load = (root, mode) => {
  Object.assign(process.env, {
    LAMBDA_TASK_ROOT: root,
    _HANDLER: 'index.handler',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    LEAK_GUARD: mode,
  })
  return require(join(root, 'index.js')).handler
}

const context = (i) => ({
  awsRequestId: `req-${i}`,
  functionName: 'bench',
  getRemainingTimeInMillis: () => 30_000,
})
const cleanEvent = (i) => ({
  body: JSON.stringify({
    email: `user.${i}.${(i * 7919).toString(36)}@example.com`,
    productId: `p${i % 5}`,
    quantity: 1 + (i % 3),
  }),
})
const pendingEvent = (i) => ({
  body: JSON.stringify({
    email: `user.${i}.${(i * 7919).toString(36)}@example.com`,
    auditInMs: 60_000,
  }),
})

let warned = 0
const quiet = () => {
  const warn = console.warn
  console.warn = () => warned++
  return warn
}

const tenantEvent = (i) => ({
  body: JSON.stringify({ tenant: `tenant-${i}.${(i * 7919).toString(36)}` }),
})
const rebindingEvent = (i) => ({ body: JSON.stringify({ productId: `p${i % 5}` }) })

/** Init time by case id: loading the bundle and the turns of the loop the guard uses. */
const initMs = {}
const turn = () => new Promise((resolve) => setImmediate(resolve))

const bundleCase = (id, label, root, mode, event) => ({
  id,
  label,
  setup: async () => {
    const t0 = performance.now()
    const handler = load(root, mode)
    // Let the guard's runtime load and its discovery (scheduled after the handler module
    // loaded, as in Lambda) run: both are done within these turns of the loop.
    await turn()
    await turn()
    initMs[id] = performance.now() - t0
    await new Promise((resolve) => setTimeout(resolve, 20))
    return {
      run: async (i) => {
        const answer = await handler(event(i), context(i))
        if (answer?.statusCode !== 200) throw new Error(`${id}: ${JSON.stringify(answer)}`)
      },
    }
  },
})

const main = async () => {
  const clean = await bundle('clean-state', 'clean')
  const cleanOff = await bundle('clean-state', 'clean-off')
  const pending = await bundle('fire-and-forget', 'pending')
  const installed = await bundleAsInstalled('clean-state', 'installed')
  const rebinding = await bundleAsInstalled('rebinding', 'rebinding')
  const tenant = await bundleAsInstalled('tenant', 'tenant')
  const tenantOff = await bundleAsInstalled('tenant', 'tenant-off')
  const restore = quiet()
  let results
  try {
    results = await runCases([
      bundleCase('off', 'clean handler, LEAK_GUARD=off', cleanOff, 'off', cleanEvent),
      bundleCase('on', 'clean handler, leakGuard() on', clean, 'warn', cleanEvent),
      bundleCase(
        'installed',
        'clean handler, leakGuard() on, middy-orc installed',
        installed,
        'warn',
        cleanEvent,
      ),
      bundleCase(
        'rebinding',
        'clean handler rebinding module variables, installed',
        rebinding,
        'warn',
        rebindingEvent,
      ),
      bundleCase(
        'tenant-off',
        'tenant handler, LEAK_GUARD=off (its two timers of 0 ms included)',
        tenantOff,
        'off',
        tenantEvent,
      ),
      bundleCase(
        'tenant',
        'tenantId rebound with request data, installed',
        tenant,
        'warn',
        tenantEvent,
      ),
      bundleCase('pending', 'a timer left pending each invocation', pending, 'warn', pendingEvent),
    ])
  } finally {
    console.warn = restore
  }
  console.log('## leakGuard per invocation, CommonJS bundle (two checks per invocation)')
  console.log(describeRun())
  printTable(results, 'off')
  printTargets(results, [
    overheadTarget(
      'on',
      'off',
      1_000_000,
      'a warm invocation of a bundled clean handler adds ≤ 1 ms',
    ),
    overheadTarget(
      'installed',
      'off',
      1_000_000,
      'the same with middy-orc installed under node_modules (as deployed) adds ≤ 1 ms',
    ),
    overheadTarget(
      'rebinding',
      'off',
      1_000_000,
      'a handler rebinding module variables, installed, adds ≤ 1 ms',
    ),
    overheadTarget(
      'tenant',
      'tenant-off',
      1_000_000,
      'the tenant leak (a finding each invocation), installed, adds ≤ 1 ms to its own off',
    ),
  ])
  console.log('\nInit (require of the bundle and two turns of the loop), one sample each, ms:')
  console.log('| case | init | added to `off` |')
  console.log('|---|---:|---:|')
  for (const { id, label } of results) {
    const added = id.endsWith('off') ? '' : (initMs[id] - initMs.off).toFixed(1)
    console.log(`| ${label} | ${initMs[id].toFixed(1)} | ${added} |`)
  }
  console.log(`(${warned} findings written by the pending case, deduplicated)`)
  // The pending case's timers (60 s each) would keep the process alive.
  process.exit(process.exitCode ?? 0)
}

await main()
