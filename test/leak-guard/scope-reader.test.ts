/**
 * The scope reader in this process, on CommonJS code (loaded natively through
 * `createRequire`, so the scopes are Node's real module wrappers).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runInThisContext } from 'node:vm'
import { build } from 'esbuild'
import { afterAll, describe, expect, test } from 'vitest'
import type { NamedRoot } from '../../src/leak-guard/roots.js'
import { createScopeRoots } from '../../src/leak-guard/scope/index.js'
import { createInspectorAccess } from '../../src/leak-guard/scope/inspector.js'

const require = createRequire(import.meta.url)
const FIXTURES = fileURLToPath(new URL('./scope-fixtures/', import.meta.url))
const CJS = 'test/leak-guard/scope-fixtures/cjs'

interface Handler {
  handler(event: { card: string; email: string }): Promise<unknown>
}
const loadHandler = (path: string): Handler => require(path)

const logs: string[] = []
const logOnce = (code: string) => logs.push(code)
const scan = (options: Parameters<typeof createScopeRoots>[0]): NamedRoot[] => [
  ...createScopeRoots(options)(),
]
const rootValue = (roots: NamedRoot[], label: string) =>
  roots.find((root) => root.label === label)?.value

describe('CommonJS handler (module wrapper closure)', () => {
  const module = loadHandler('./scope-fixtures/cjs/handler.cjs')

  test('the module-level card is a root labelled with its file', async () => {
    await module.handler({ card: '4111111111111111', email: 'jane@example.com' })
    const roots = scan({ targets: [module], logOnce, env: {} })
    expect(rootValue(roots, `module ${CJS}/handler.cjs: creditCard`)).toBe('4111111111111111')
    expect(rootValue(roots, `module ${CJS}/handler.cjs: config`)).toEqual({ region: 'eu-west-1' })
  })

  test('values are live: the next scan sees the next invocation', async () => {
    const provider = createScopeRoots({ targets: [module], logOnce, env: {} })
    await module.handler({ card: '5500005555555559', email: 'joe@example.com' })
    expect(rootValue([...provider()], `module ${CJS}/handler.cjs: creditCard`)).toBe(
      '5500005555555559',
    )
    await module.handler({ card: '4012888888881881', email: 'ann@example.com' })
    expect(rootValue([...provider()], `module ${CJS}/handler.cjs: creditCard`)).toBe(
      '4012888888881881',
    )
  })

  test('a variable written only by a helper module, and read by nobody, is found', async () => {
    await module.handler({ card: '4111111111111111', email: 'jane@example.com' })
    const roots = scan({ targets: [module], logOnce, env: {} })
    // Reached by following `store.remember` from the handler's scope into store.cjs.
    expect(rootValue(roots, `module ${CJS}/store.cjs: lastEmail`)).toBe('jane@example.com')
  })

  test('without discovery only the targets are read', async () => {
    await module.handler({ card: '4111111111111111', email: 'jane@example.com' })
    const labels = scan({ targets: [module], discover: false, logOnce, env: {} }).map(
      ({ label }) => label,
    )
    expect(labels).toContain(`module ${CJS}/handler.cjs: creditCard`)
    expect(labels.some((label) => label.includes('store.cjs'))).toBe(false)
  })

  test('what V8 does not keep is not seen: top-level-only variables, and code', () => {
    const labels = scan({ targets: [module], logOnce, env: {} }).map(({ label }) => label)
    // `counted` is used by top-level code only: it never enters the module's context.
    expect(labels.some((label) => label.endsWith(': counted'))).toBe(false)
    // Functions are code, not data (the handler, `require`).
    expect(labels.some((label) => /: (handler|remember|require)$/.test(label))).toBe(false)
  })

  test('excluded values are neither reported nor followed', async () => {
    await module.handler({ card: '4111111111111111', email: 'jane@example.com' })
    const store: unknown = require('./scope-fixtures/cjs/store.cjs')
    const labels = scan({ targets: [module], exclude: [store], logOnce, env: {} }).map(
      ({ label }) => label,
    )
    expect(labels).toContain(`module ${CJS}/handler.cjs: creditCard`)
    expect(labels.some((label) => label.endsWith(': store') || label.includes('store.cjs'))).toBe(
      false,
    )
  })

  test('maxModules bounds the files read', async () => {
    await module.handler({ card: '4111111111111111', email: 'jane@example.com' })
    const files = new Set(
      scan({ targets: [module], maxModules: 1, logOnce, env: {} }).map(
        ({ label }) => label.split(':')[0],
      ),
    )
    expect([...files]).toEqual([`module ${CJS}/handler.cjs`])
  })
})

describe('esbuild bundle in CommonJS format', () => {
  const work = mkdtempSync(join(tmpdir(), 'scope-bundle-'))
  afterAll(() => rmSync(work, { recursive: true, force: true }))

  test('one wrapper closure holds every bundled module: the card is a root', async () => {
    const outfile = join(work, 'handler.cjs')
    await build({
      entryPoints: [join(FIXTURES, 'esm/handler.mjs')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile,
      logLevel: 'silent',
    })
    const bundle = loadHandler(outfile)
    await bundle.handler({ card: '4111111111111111', email: 'jane@example.com' })
    const file = relative(process.cwd(), outfile)
    const roots = scan({ targets: [bundle], logOnce, env: {} })
    expect(rootValue(roots, `module ${file}: creditCard`)).toBe('4111111111111111')
    expect(rootValue(roots, `module ${file}: lastEmail`)).toBe('jane@example.com')
  })
})

describe('classic scripts', () => {
  test('top-level let of a script (the realm-wide Script scope) is labelled script: name', () => {
    const readIt = runInThisContext(
      'let scriptCard = "4111111111111111"; (function readIt() { return scriptCard })',
    ) as () => string
    const roots = scan({ targets: [readIt], discover: false, logOnce, env: {} })
    expect(rootValue(roots, 'script: scriptCard')).toBe(readIt())
  })
})

describe('hostile values', () => {
  test('a Proxy held in a scope is returned as is, and none of its traps runs', () => {
    const trapped: string[] = []
    const held = new Proxy(
      {},
      {
        get: (_, key) => trapped.push(`get ${String(key)}`),
        getPrototypeOf: () => {
          trapped.push('getPrototypeOf')
          return null
        },
        ownKeys: () => {
          trapped.push('ownKeys')
          return []
        },
      },
    )
    const holder = (
      (value: object) => () =>
        value
    )(held)
    const roots = scan({ targets: [holder], logOnce, env: {} })
    const found = roots.some(({ value }) => value === held)
    // Compared before any assertion: formatting a failure message would run the traps.
    const traps = [...trapped]
    expect(found).toBe(true)
    expect(traps).toEqual([])
  })
})

describe('inspector access', () => {
  test('answers synchronously, with the live values of each scope, innermost first', () => {
    const secret = { token: 'abc' }
    const factory = (held: object) => () => held
    const reading = createInspectorAccess(logOnce)((inspector) =>
      inspector.readScopes([factory(secret)]),
    )
    const scopes = reading?.[0]?.scopes ?? []
    expect(scopes[0]?.description).toBe('Closure (factory)')
    expect(scopes[0]?.variables.held).toBe(secret)
    expect(scopes.some(({ description }) => description === 'Global')).toBe(false)
  })

  test('names the script of each function', () => {
    const url = createInspectorAccess(logOnce)((inspector) => {
      const [reading] = inspector.readScopes([
        loadHandler('./scope-fixtures/cjs/handler.cjs').handler,
      ])
      return inspector.scriptUrl(reading?.scriptId ?? '')
    })
    expect(url).toContain('scope-fixtures/cjs/handler.cjs')
  })

  test('logged nothing while the inspector was available', () => {
    expect(logs).toEqual([])
  })
})
