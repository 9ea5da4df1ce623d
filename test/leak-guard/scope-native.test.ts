/**
 * The scope reader under plain Node, in child processes: native ES modules (the test
 * runner transforms the modules it loads, so a real `Module` scope only exists
 * outside it), Lambda-style discovery of a Middy-wrapped handler, the permission
 * model, and heap flatness over 10,000 scans. The reader is bundled with esbuild
 * first; the child runs under the same Node as the tests.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { childBuildOptions, childCoverageEnv, keepBundle } from '../helpers/child-coverage.js'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const FIXTURES = fileURLToPath(new URL('./scope-fixtures/', import.meta.url))
const DRIVER = join(FIXTURES, 'drivers/scenario.mjs')
const CARD = '4111111111111111'
const EMAIL = 'jane@example.com'
const NODE_MAJOR = Number(process.versions.node.split('.')[0])

interface Report {
  roots: { label: string; value: unknown }[]
  /** Calls for the scripts' URLs (discovery) at creation, at the next turn, at the first scan. */
  atCreation?: number
  atTurn?: number
  atScan?: number
  atHidden?: number
  privates?: [string, unknown][][]
  /** Labels of a scan taken while the target module was still being evaluated. */
  early?: string[]
  whileLoading?: number
  warnings?: string[]
  logs: { code: string; message: string }[]
  heapBefore?: number
  heapAfter?: number
  inspectorLoaded?: boolean
}

let work: string
let reader: string

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'scope-native-'))
  // Same layout as dist/, so the reader recognises its own directory.
  reader = join(work, 'leak-guard/scope/index.mjs')
  await build({
    entryPoints: [join(REPO, 'src/leak-guard/scope/index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: reader,
    logLevel: 'silent',
    ...childBuildOptions,
  })
  keepBundle(reader)
})

afterAll(() => rmSync(work, { recursive: true, force: true }))

const run = (
  args: string[],
  options: {
    nodeFlags?: string[]
    env?: Record<string, string>
    cwd?: string
    /** Measured by `npm run test:coverage` (default true). */
    coverage?: boolean
  } = {},
): Report =>
  JSON.parse(
    execFileSync(process.execPath, [...(options.nodeFlags ?? []), DRIVER, reader, ...args], {
      cwd: options.cwd ?? REPO,
      env: {
        ...process.env,
        ...(options.coverage === false ? {} : childCoverageEnv()),
        ...options.env,
      },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  )

describe(`scope reader under plain Node ${process.version}`, () => {
  test('an ES-module handler: the Module scope, and a helper module it imports', () => {
    const { roots, logs } = run(['targets', join(FIXTURES, 'esm/handler.mjs')])
    expect(logs).toEqual([])
    expect(roots).toContainEqual({
      label: 'module test/leak-guard/scope-fixtures/esm/handler.mjs: creditCard',
      value: CARD,
    })
    // Written by the helper, read by nobody: its writer keeps it in the helper's context.
    expect(roots).toContainEqual({
      label: 'module test/leak-guard/scope-fixtures/esm/store.mjs: lastEmail',
      value: EMAIL,
    })
    // Functions are roots too (their own properties can hold data: a class's static
    // fields), imported ones under the importer as well; `counted` is used by top-level
    // code only, so no function refers to it and it is not in the module's context.
    const labels = roots.map(({ label }) => label)
    expect(labels.filter((label) => /: (handler|remember|counted)$/.test(label)).sort()).toEqual([
      'module test/leak-guard/scope-fixtures/esm/handler.mjs: handler',
      'module test/leak-guard/scope-fixtures/esm/handler.mjs: remember',
      'module test/leak-guard/scope-fixtures/esm/store.mjs: remember',
    ])
  })

  test('an esbuild ES-module bundle: one Module scope for every bundled module', async () => {
    const bundle = join(work, 'bundle/handler.mjs')
    await build({
      entryPoints: [join(FIXTURES, 'esm/handler.mjs')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: bundle,
      logLevel: 'silent',
    })
    const { roots } = run(['targets', bundle], { cwd: join(work, 'bundle') })
    expect(roots).toContainEqual({ label: 'module handler.mjs: creditCard', value: CARD })
    expect(roots).toContainEqual({ label: 'module handler.mjs: lastEmail', value: EMAIL })
  })

  test('a Middy-wrapped handler is found from LAMBDA_TASK_ROOT and _HANDLER alone', () => {
    const { roots, logs } = run(['discover'], {
      env: { LAMBDA_TASK_ROOT: join(FIXTURES, 'lambda'), _HANDLER: 'index.handler' },
    })
    expect(logs).toEqual([])
    expect(roots).toContainEqual({ label: 'module index.mjs: creditCard', value: CARD })
    expect(roots).toContainEqual({
      label: 'module lib/pay.mjs: lastCharge',
      value: { amount: 42, card: CARD },
    })
    // Middy's own scopes (node_modules) are followed, never reported.
    expect(roots.filter(({ label }) => !/^module (index|lib\/pay)\.mjs: /.test(label))).toEqual([])
  })

  test('leakGuard() bundled with Middy and the handler reports the module-level card, and only it', async () => {
    // One script, as esbuild deploys it: Middy and the guard are "first-party" there too.
    const root = join(work, 'guarded')
    await build({
      entryPoints: [join(FIXTURES, 'guarded/index.mjs')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: join(root, 'index.mjs'),
      logLevel: 'silent',
    })
    const { warnings } = run(['invoke'], {
      env: { LAMBDA_TASK_ROOT: root, _HANDLER: 'index.handler' },
    })
    // Discovered while the runtime waited for the first event, so found right after it.
    // The guard's own state (the tokens it looks for) is never searched as a root.
    expect(warnings).toEqual([
      'leakGuard: HIGH persisted: module index.mjs: creditCard holds body.card = card 411111******1111 of request req-1, found at the end of request req-1',
    ])
  })

  test('names the file of code that V8 has flushed since it ran (best-effort coverage forgets it)', () => {
    const flushed = { nodeFlags: ['--expose-gc', '--stress-flush-code'] }
    // handler.cjs is read as a target; store.cjs, whose code was flushed, is found from it.
    const cjs = run(['targetsFlushed', join(FIXTURES, 'cjs/handler.cjs')], flushed)
    expect(cjs.roots).toContainEqual({
      label: 'module test/leak-guard/scope-fixtures/cjs/store.cjs: lastEmail',
      value: EMAIL,
    })
    // In Lambda, a handler found by discovery must be recognised as first-party code.
    const lambda = run(['discoverFlushed'], {
      ...flushed,
      env: { LAMBDA_TASK_ROOT: join(FIXTURES, 'lambda'), _HANDLER: 'index.handler' },
    })
    expect(lambda.logs).toEqual([])
    expect(lambda.roots).toContainEqual({ label: 'module index.mjs: creditCard', value: CARD })
    expect(lambda.roots).toContainEqual({
      label: 'module lib/pay.mjs: lastCharge',
      value: { amount: 42, card: CARD },
    })
  })

  test('heap stays flat over 10,000 scans (fresh session per scan, object group released)', () => {
    const { heapBefore, heapAfter } = run(['memory', join(FIXTURES, 'esm/handler.mjs')], {
      nodeFlags: ['--expose-gc'],
      // V8's precise coverage keeps what the heap measure must see released.
      coverage: false,
    })
    // A leak of even 50 bytes per scan would show as 500 kB.
    expect(heapAfter! - heapBefore!).toBeLessThan(500_000)
    // 10,000 inspector sessions: seconds alone, a minute on two busy vCPUs.
  }, 90_000)

  test('a refused inspector (permission model) is said once, and yields no roots', () => {
    const { roots, logs } = run(['denied', join(FIXTURES, 'esm/handler.mjs')], {
      nodeFlags: [
        NODE_MAJOR >= 22 ? '--permission' : '--experimental-permission',
        '--allow-fs-read=*',
      ],
    })
    expect(roots).toEqual([])
    expect(logs.map(({ code }) => code)).toEqual(['scope-inspector-denied'])
  })

  test('with targets, discovery runs at the next turn of the loop, not in the first scan', () => {
    const { roots, logs, atCreation, atTurn, atScan, atHidden, privates } = run([
      'targetsAhead',
      join(FIXTURES, 'esm/handler.mjs'),
    ])
    expect(logs).toEqual([])
    // Nothing while the reader is created; discovery (the scripts' URLs) at the next turn;
    // the first invocation's scan only reads, and so does the walk's first read of private
    // fields: the scripts' URLs found by discovery are remembered across sessions.
    expect({ atCreation, atTurn, atScan, atHidden }).toEqual({
      atCreation: 0,
      atTurn: 1,
      atScan: 0,
      atHidden: 0,
    })
    expect(privates).toEqual([[['#card', CARD]]])
    expect(roots).toContainEqual({
      label: 'module test/leak-guard/scope-fixtures/esm/handler.mjs: creditCard',
      value: CARD,
    })
    expect(roots).toContainEqual({
      label: 'module test/leak-guard/scope-fixtures/esm/store.mjs: lastEmail',
      value: EMAIL,
    })
  })

  test('a target module still being evaluated is read whole once it has loaded', () => {
    const { roots, logs, early, whileLoading } = run([
      'evaluating',
      join(FIXTURES, 'esm/evaluating.mjs'),
    ])
    expect(logs).toEqual([])
    const file = 'module test/leak-guard/scope-fixtures/esm/evaluating.mjs'
    // While it loads, `handler` is not initialised: its closure cannot be read yet.
    expect(early?.some((label) => label.includes('makeHandler'))).toBe(false)
    // Nor is discovery taken ahead while it loads (it would miss `handler`).
    expect(whileLoading).toBe(0)
    // Once loaded, its exports are collected again, and `handler`'s closure is read.
    expect(roots).toContainEqual({ label: `${file} › makeHandler: lastCard`, value: CARD })
  })

  test('a provider that is never called loads nothing', () => {
    expect(run(['idle']).inspectorLoaded).toBe(false)
  })
})
