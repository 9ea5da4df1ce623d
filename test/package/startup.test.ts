/**
 * Start-up behaviour (issue 6): leakGuard loads nothing heavy until it first runs. The
 * scope reader's `node:inspector` must not be loaded by importing the package or creating
 * a guard; `mode: 'off'` never loads it; outside Lambda the first guarded invocation with
 * a scope to read loads it; in Lambda (`_HANDLER` set) discovery loads it at the end of
 * init, after the handler module has been evaluated and before the first invocation (off
 * the request path, by design); `LEAK_GUARD_SCOPE=false` keeps it out altogether.
 * (That `middy-orc/cache` loads no leakGuard file, and the reverse, is checked file by file
 * in packed.test.ts.) Timing is not tested here: bench/startup.mjs measures it.
 *
 * The signal: `process.moduleLoadList`, Node's own list of the built-ins it has loaded,
 * which gains the entry `NativeModule inspector` when `lib/inspector.js` (the public
 * `node:inspector`) is loaded, whether by `import`, `require` or
 * `process.getBuiltinModule` (a loader hook would miss the last: built-ins fetched that
 * way never pass through hooks). Bootstrap loads only internal inspector pieces
 * (`internal/util/inspector`, `internal/inspector_async_hook`, the binding), never that
 * entry; this holds on Node 20, 22 and 24. The list is undocumented, so a control case
 * checks first that it exists and that the entry appears when the inspector loads:
 * should Node change it, this file fails instead of passing on a blind signal.
 *
 * Each case runs in a fresh child `node` (the runtime Node, 22+, as Lambda has), against
 * the current src/, built by the package's own build (scripts/build.mjs: one bundled file
 * per entry point) into a scratch `node_modules/middy-orc` with the repository's
 * package.json, so the package's own `exports` are used.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildJs } from '../../scripts/build.mjs'
import { runtimeNode } from '../e2e/harness/node-binary.js'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'orc-startup-'))
const packageDir = join(work, 'node_modules', 'middy-orc')
const taskRoot = join(work, 'lambda')
const CARD = '4111111111111111'

/** Shared by every probe: marks record, at named points, whether the inspector is loaded. */
const PRELUDE = `
const INSPECTOR = 'NativeModule inspector'
const inspectorLoaded = () => process.moduleLoadList.includes(INSPECTOR)
const checkpoints = {}
globalThis.orcMark = (name) => { checkpoints[name] = inspectorLoaded() }
const mark = globalThis.orcMark
const settle = () => new Promise((resolve) => setImmediate(resolve))
globalThis.orcWarnings = []
const logger = { warn: (message) => globalThis.orcWarnings.push(message) }
const event = { card: '${CARD}' }
const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30000 }
const report = (extra = {}) =>
  process.stdout.write(JSON.stringify({ checkpoints, warnings: globalThis.orcWarnings, ...extra }))
mark('at start')
`

const probes: Record<string, string> = {
  'control.mjs': `${PRELUDE}
const isList = Array.isArray(process.moduleLoadList)
await import('middy-orc/cache')
mark('after importing middy-orc/cache')
await import('middy-orc')
mark('after importing middy-orc (both middlewares)')
process.getBuiltinModule('node:inspector')
mark('after process.getBuiltinModule(node:inspector)')
report({ isList })
`,
  'off.mjs': `${PRELUDE}
const resolved = import.meta.resolve('middy-orc/leak-guard')
const { leakGuard } = await import('middy-orc/leak-guard')
mark('after import')
const { default: middy } = await import('@middy/core')
const guard = leakGuard({ mode: 'off', logger })
mark('after leakGuard({ mode: off })')
let last
const handler = middy(async (input) => { last = input.card; return last.length }).use(guard)
const results = [await handler(event, context), await handler(event, context)]
await settle()
mark('after two invocations')
report({ resolved, results })
`,
  'warn-targets.mjs': `${PRELUDE}
const { leakGuard } = await import('middy-orc/leak-guard')
mark('after import')
const { default: middy } = await import('@middy/core')
let last
const work = async (input) => { last = input.card; return last.length }
const guard = leakGuard({ mode: 'warn', logger, targets: [work] })
mark('after leakGuard({ mode: warn, targets })')
await settle()
mark('after the event loop turns')
const handler = middy(work).use(guard)
const result = await handler(event, context)
mark('after the first guarded invocation')
report({ result })
`,
  'warn-nothing-to-read.mjs': `${PRELUDE}
const { leakGuard } = await import('middy-orc/leak-guard')
const { default: middy } = await import('@middy/core')
const guard = leakGuard({ mode: 'warn', logger })
let last
const handler = middy(async (input) => { last = input.card; return last.length }).use(guard)
await handler(event, context)
await handler(event, { ...context, awsRequestId: 'req-2' })
await settle()
mark('after two guarded invocations')
report()
`,
  // Plays the runtime client: imports the handler module, lets init finish, invokes.
  'lambda.mjs': `${PRELUDE}
const { handler } = await import(${JSON.stringify(pathToFileURL(join(taskRoot, 'index.mjs')).href)})
const deadline = Date.now() + 2000
while (!inspectorLoaded() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
mark('when init has settled (loaded, or 2 s later)')
const result = await handler(event, context)
mark('after the first invocation')
report({ result })
`,
}

// The Lambda handler module: a card kept in a module-level variable, no option given.
const LAMBDA_HANDLER = `import middy from '@middy/core'
import { leakGuard } from 'middy-orc/leak-guard'
const logger = { warn: (message) => globalThis.orcWarnings.push(message) }
let last
const guard = leakGuard({ logger })
globalThis.orcMark('while the handler module is evaluated, after leakGuard()')
export const handler = middy(async (event) => { last = event.card; return last.length }).use(guard)
`

interface ProbeReport {
  checkpoints: Record<string, boolean>
  warnings: string[]
  isList?: boolean
  resolved?: string
  results?: unknown[]
  result?: unknown
}

/** Runs a probe in a fresh runtime `node`, with no Lambda or leakGuard variables but `env`. */
const runProbe = (name: string, env: Record<string, string> = {}): ProbeReport => {
  const childEnv: NodeJS.ProcessEnv = { ...process.env }
  for (const key of Object.keys(childEnv)) {
    if (/^(LEAK_GUARD|ORC_CACHE|AWS_|LAMBDA_|_HANDLER$|NODE_OPTIONS$)/.test(key)) {
      delete childEnv[key]
    }
  }
  const result = spawnSync(runtimeNode().path, [name], {
    cwd: work,
    env: { ...childEnv, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  })
  if (result.status !== 0) {
    throw new Error(
      `${name} failed (${result.status ?? result.signal ?? result.error}):\n${result.stdout}\n${result.stderr}`,
    )
  }
  return JSON.parse(result.stdout) as ProbeReport
}

const lambdaEnv = {
  LAMBDA_TASK_ROOT: taskRoot,
  _HANDLER: 'index.handler',
  AWS_LAMBDA_FUNCTION_NAME: 'startup-probe',
}

beforeAll(async () => {
  // The package as installed: the repository's package.json, dist/ built from src/ now by
  // the package's own build (one bundled file per entry point).
  await buildJs({ root: repoRoot, outdir: join(packageDir, 'dist') })
  cpSync(join(repoRoot, 'package.json'), join(packageDir, 'package.json'))
  // Its dependency and peer, from the repository (their own imports resolve from there).
  for (const name of ['lru-cache', '@middy']) {
    symlinkSync(join(repoRoot, 'node_modules', name), join(work, 'node_modules', name), 'dir')
  }
  // A package of its own, so that `middy-orc` resolves through node_modules.
  writeFileSync(
    join(work, 'package.json'),
    JSON.stringify({ name: 'orc-startup-probe', private: true, type: 'module' }),
  )
  mkdirSync(taskRoot)
  writeFileSync(join(taskRoot, 'index.mjs'), LAMBDA_HANDLER)
  for (const [name, source] of Object.entries(probes)) writeFileSync(join(work, name), source)
}, 60_000)

afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('when leakGuard loads node:inspector', () => {
  it('control: the signal works on this Node, and no entry point loads the inspector', () => {
    const report = runProbe('control.mjs')
    expect(report.isList).toBe(true)
    expect(report.checkpoints).toEqual({
      'at start': false,
      'after importing middy-orc/cache': false,
      'after importing middy-orc (both middlewares)': false,
      'after process.getBuiltinModule(node:inspector)': true,
    })
  })

  it("mode 'off': never, not even after invocations", () => {
    const report = runProbe('off.mjs')
    expect(report.resolved).toBe(
      pathToFileURL(join(packageDir, 'dist', 'leak-guard', 'index.js')).href,
    )
    expect(report.results).toEqual([16, 16])
    expect(report.checkpoints).toEqual({
      'at start': false,
      'after import': false,
      'after leakGuard({ mode: off })': false,
      'after two invocations': false,
    })
    expect(report.warnings).toEqual([])
  })

  it('outside Lambda: not at import nor creation; at the first guarded invocation', () => {
    const report = runProbe('warn-targets.mjs')
    expect(report.result).toBe(16)
    expect(report.checkpoints).toEqual({
      'at start': false,
      'after import': false,
      'after leakGuard({ mode: warn, targets })': false,
      'after the event loop turns': false,
      'after the first guarded invocation': true,
    })
    // It was loaded to some purpose: the module-level card was read through it.
    expect(report.warnings.some((line) => /module .*: last holds card/.test(line))).toBe(true)
  })

  it('outside Lambda with nothing to read (no targets, no _HANDLER): never', () => {
    const report = runProbe('warn-nothing-to-read.mjs')
    expect(report.checkpoints).toEqual({
      'at start': false,
      'after two guarded invocations': false,
    })
  })

  it('in Lambda: not while the handler module is evaluated; at the end of init, before the first invocation', () => {
    const report = runProbe('lambda.mjs', lambdaEnv)
    expect(report.result).toBe(16)
    expect(report.checkpoints).toEqual({
      'at start': false,
      'while the handler module is evaluated, after leakGuard()': false,
      'when init has settled (loaded, or 2 s later)': true,
      'after the first invocation': true,
    })
    expect(report.warnings.some((line) => /module index\.mjs: last holds card/.test(line))).toBe(
      true,
    )
  })

  it('in Lambda with LEAK_GUARD_SCOPE=false: never', () => {
    const report = runProbe('lambda.mjs', { ...lambdaEnv, LEAK_GUARD_SCOPE: 'false' })
    expect(report.result).toBe(16)
    expect(report.checkpoints).toEqual({
      'at start': false,
      'while the handler module is evaluated, after leakGuard()': false,
      'when init has settled (loaded, or 2 s later)': false,
      'after the first invocation': false,
    })
  })
})
