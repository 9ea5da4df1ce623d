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
 * bundle the guard from this repository's `src/`, so its own code counts as the user's;
 * one more case bundles the clean handler with middy-orc installed under `node_modules`
 * (the built package: run `npm run build` first), as a deployed function has it.
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

const bundleCase = (id, label, root, mode, event) => ({
  id,
  label,
  setup: async () => {
    const handler = load(root, mode)
    // Let the guard's discovery (scheduled after the handler module loaded) run.
    await new Promise((resolve) => setImmediate(resolve))
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
  ])
  console.log(`(${warned} findings written by the pending case, deduplicated)`)
  // The pending case's timers (60 s each) would keep the process alive.
  process.exit(process.exitCode ?? 0)
}

await main()
