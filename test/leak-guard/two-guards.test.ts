/**
 * Two leakGuard instances in one process: in one Middy stack, or one per handler. Each
 * guard keeps the tokens of its invocations in its hooks' closures; the other guard,
 * following Middy's wrapper from the handler (as discovery from `_HANDLER` does), must not
 * take them for request data kept in state. Each guard still finds a real leak.
 */
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import middy from '@middy/core'
import { expect, test } from 'vitest'
import { type LeakFinding, leakGuard } from '../../src/leak-guard/index.js'
import { context, type FixtureBase } from './helpers.js'

const require = createRequire(import.meta.url)

const email = () => `user.${randomBytes(6).toString('hex')}@example.com`

/** A guard whose only way in is the object that will hold the wrapped handler (its exports). */
const guard = (exportsLike: object, findings: LeakFinding[]) =>
  leakGuard({
    targets: [exportsLike],
    onLeak: (finding) => findings.push(finding),
    logger: { warn: () => undefined },
  })

const places = (findings: readonly LeakFinding[]) =>
  findings.map(({ kind, where }) => `${kind} ${where}`)

test('two guards in one stack stay silent on a clean handler', async () => {
  const { base } = (await import('./leak-fixtures/clean-state.mjs')) as { base: FixtureBase }
  const outer: LeakFinding[] = []
  const inner: LeakFinding[] = []
  const exportsLike: { handler?: unknown } = {}
  const handler = middy(base).use(guard(exportsLike, outer)).use(guard(exportsLike, inner))
  exportsLike.handler = handler
  for (let i = 0; i < 4; i++) {
    const body = JSON.stringify({ email: email(), productId: `p${i % 2}`, quantity: 1 })
    await handler({ body }, context(`stack-${i}`))
  }
  expect(places(outer)).toEqual([])
  expect(places(inner)).toEqual([])
})

test('two guards in one stack each report a module-level card, and nothing of the other', async () => {
  const pay = require('./scope-fixtures/guarded/pay.cjs') as { pay: FixtureBase }
  const outer: LeakFinding[] = []
  const inner: LeakFinding[] = []
  const exportsLike: { handler?: unknown } = {}
  const handler = middy(pay.pay).use(guard(exportsLike, outer)).use(guard(exportsLike, inner))
  exportsLike.handler = handler
  for (let i = 0; i < 3; i++) {
    await handler(
      { body: JSON.stringify({ card: `card-${randomBytes(8).toString('hex')}` }) },
      context(`pay-${i}`),
    )
  }
  const where = 'module test/leak-guard/scope-fixtures/guarded/pay.cjs: creditCard'
  for (const findings of [outer, inner]) {
    expect(places(findings)).toContain(`persisted ${where}`)
    expect(findings.every((finding) => finding.where === where)).toBe(true)
  }
})

test('two handlers with a guard each, in one process, stay silent', async () => {
  const clean = (await import('./leak-fixtures/clean-state.mjs')) as { base: FixtureBase }
  const echo = (await import('./leak-fixtures/echo.mjs')) as { base: FixtureBase }
  const first: LeakFinding[] = []
  const second: LeakFinding[] = []
  // Each guard is seeded from both handlers, as if both were exported by one module.
  const exportsLike: { a?: unknown; b?: unknown } = {}
  const a = middy(clean.base).use(guard(exportsLike, first))
  const b = middy(echo.base).use(guard(exportsLike, second))
  Object.assign(exportsLike, { a, b })
  for (let i = 0; i < 3; i++) {
    await a(
      { body: JSON.stringify({ email: email(), productId: 'p1', quantity: 1 }) },
      context(`a-${i}`),
    )
    await b({ body: JSON.stringify({ email: email() }) }, context(`b-${i}`))
  }
  expect(places(first)).toEqual([])
  expect(places(second)).toEqual([])
})
