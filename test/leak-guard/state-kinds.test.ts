/**
 * The leaks of issue 12, in process: each fixture under `leak-fixtures/` proves its own
 * leak (state from one invocation visible in the next) and leakGuard, given the module as
 * a target (outside Lambda the only way in), names the place. Values are made at run
 * time (see `cardNumber` in helpers.ts) and never appear in the guard's output.
 */
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import middy from '@middy/core'
import { afterEach, describe, expect, test } from 'vitest'
import { type LeakFinding, leakGuard } from '../../src/leak-guard/index.js'
import { context, type FixtureBase, guardModule } from './helpers.js'

const require = createRequire(import.meta.url)

const email = () => `user.${randomBytes(6).toString('hex')}@example.com`
const token = () => `tok_${randomBytes(16).toString('hex')}`

/**
 * A fixture module. vitest rewrites an ES module's imports into namespace objects, so a
 * fixture about what an imported binding holds is loaded as CommonJS by Node's own
 * `require` here (the ES module files run unchanged under the runtime client in the
 * end-to-end tests).
 */
const fixtureModule = async (name: string) =>
  (name.endsWith('.cjs')
    ? require(`./leak-fixtures/${name}`)
    : await import(`./leak-fixtures/${name}.mjs`)) as { base: FixtureBase }

const guarded = async (fixture: string) => guardModule(await fixtureModule(fixture))

afterEach(() => {
  delete process.env.USER_EMAIL
})

test('process.env written with request data: process.env.USER_EMAIL', async () => {
  const { invoke, findings, lines } = await guarded('env')
  const [a, b] = [email(), email()]
  await invoke({ email: a }, 'env-1')
  expect(process.env.USER_EMAIL).toBe(a) // the leak itself
  await invoke({ email: b }, 'env-2')
  expect(findings).toContainEqual(
    expect.objectContaining({
      kind: 'persisted',
      where: 'process.env.USER_EMAIL',
      field: 'body.email',
      requestId: 'env-1',
      sensitive: 'email',
    }),
  )
  expect(lines.join('\n')).not.toContain(a)
  expect(lines.join('\n')).not.toContain(b)
})

test('a class static field: Api.instance.token', async () => {
  const { invoke, findings, lines } = await guarded('static-field')
  const [a, b] = [token(), token()]
  await invoke({ token: a }, 'static-1')
  await invoke({ token: b }, 'static-2')
  const where = 'module test/leak-guard/leak-fixtures/static-field.mjs: Api.instance.token'
  expect(findings).toContainEqual(
    expect.objectContaining({
      kind: 'persisted',
      where,
      field: 'body.token',
      requestId: 'static-1',
    }),
  )
  expect(lines.join('\n')).not.toMatch(new RegExp(`${a}|${b}`))
})

test('an imported HTTP client’s defaults: axios.defaults.headers.common.Authorization', async () => {
  const { invoke, findings, lines } = await guarded('axios-defaults.cjs')
  const axios = require('axios') as typeof import('axios').default
  const [a, b] = [token(), token()]
  await invoke({ token: a }, 'axios-1')
  expect(axios.defaults.headers.common.Authorization).toBe(`Bearer ${a}`) // the leak itself
  await invoke({ token: b }, 'axios-2')
  expect(findings).toContainEqual(
    expect.objectContaining({
      kind: 'persisted',
      where:
        'module test/leak-guard/leak-fixtures/axios-defaults.cjs: axios.defaults.headers.common.Authorization',
      as: 'substring',
      field: 'body.token',
      requestId: 'axios-1',
    }),
  )
  expect(lines.join('\n')).not.toMatch(new RegExp(`${a}|${b}`))
})

test('a reply carrying the data of an overlapping request that has already ended is critical', async () => {
  const { invoke, findings, lines } = await guarded('tenant')
  const [a, b] = [
    `tenant-${randomBytes(5).toString('hex')}`,
    `tenant-${randomBytes(5).toString('hex')}`,
  ]
  // A keeps its tenant and waits; B starts meanwhile, overwrites it and ends first.
  const [replyA] = await Promise.all([
    invoke({ tenant: a, afterMs: 150 }, 'long-a'),
    invoke({ tenant: b, beforeMs: 30 }, 'short-b'),
  ])
  expect(replyA).toEqual({ statusCode: 200, body: JSON.stringify({ tenant: b }) }) // the mix-up
  const cross = findings.filter((finding) => finding.kind === 'cross-request')
  expect(cross).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        severity: 'critical',
        where: 'response.body',
        as: 'substring',
        field: 'body.tenant',
        requestId: 'short-b',
        foundBy: 'long-a',
      }),
      expect.objectContaining({
        severity: 'critical',
        where: 'module test/leak-guard/leak-fixtures/tenant.mjs: tenantId',
        requestId: 'short-b',
        foundBy: 'long-a',
      }),
    ]),
  )
  // Reported although B's own check already reported the same place as persisted.
  expect(findings).toContainEqual(
    expect.objectContaining({ kind: 'persisted', requestId: 'short-b', foundBy: 'short-b' }),
  )
  expect(lines).toContainEqual(
    expect.stringMatching(
      /^leakGuard: CRITICAL cross-request: response\.body \(as part of a string\) holds body\.tenant = .* of request short-b, an overlapping request, found at the end of request long-a$/,
    ),
  )
  expect(lines.join('\n')).not.toMatch(new RegExp(`${a}|${b}`))
})

test('invocations that never overlapped are not "others" to each other', async () => {
  const { invoke, findings } = await guarded('tenant')
  await invoke({ tenant: `tenant-${randomBytes(5).toString('hex')}` }, 'first')
  await invoke({ tenant: `tenant-${randomBytes(5).toString('hex')}` }, 'second')
  expect(findings.map((finding) => finding.kind)).not.toContain('cross-request')
  expect(findings).toContainEqual(
    expect.objectContaining({ kind: 'persisted', requestId: 'first' }),
  )
})

describe('private class fields, read through the inspector', () => {
  test('Powertools Logger: a persistent key (appendPersistentKeys)', async () => {
    const { invoke, findings, lines } = await guarded('logger-persistent')
    const [a, b] = [email(), email()]
    await invoke({ email: a }, 'persist-1')
    await invoke({ email: b }, 'persist-2')
    expect(findings).toContainEqual(
      expect.objectContaining({
        kind: 'persisted',
        where: expect.stringMatching(
          /^module test\/leak-guard\/leak-fixtures\/logger-persistent\.mjs: logger\.#attributesStore\.#persistentAttributes\.userEmail$/,
        ),
        field: 'body.email',
        requestId: 'persist-1',
        sensitive: 'email',
      }),
    )
    expect(lines.join('\n')).not.toMatch(new RegExp(`${a}|${b}`))
  })

  test('Powertools Logger: appendKeys never reset', async () => {
    const { invoke, findings } = await guarded('logger-append')
    await invoke({ email: email() }, 'append-1')
    await invoke({ email: email() }, 'append-2')
    expect(findings).toContainEqual(
      expect.objectContaining({
        kind: 'persisted',
        where: expect.stringMatching(
          /^module test\/leak-guard\/leak-fixtures\/logger-append\.mjs: logger\.#attributesStore\.#temporaryAttributes\..*\.userEmail$/,
        ),
        requestId: 'append-1',
      }),
    )
  })

  test('Powertools Logger with resetKeys stays silent', async () => {
    const { invoke, findings } = await guarded('clean-logger')
    for (let i = 0; i < 3; i++) await invoke({ email: email() }, `reset-${i}`)
    expect(findings).toEqual([])
  })
})

test('a closure kept by a listener on a module-level emitter', async () => {
  const { invoke, findings, lines } = await guarded('emitter')
  const [a, b] = [email(), email()]
  await invoke({ email: a }, 'listener-1')
  await invoke({ email: b }, 'listener-2')
  expect(findings).toContainEqual(
    expect.objectContaining({
      kind: 'persisted',
      where: expect.stringMatching(
        /^module test\/leak-guard\/leak-fixtures\/emitter\.mjs: bus\._events\.shutdown.*\[\[closure\]\]\.event\.body$/,
      ),
      as: 'substring',
      field: 'body.email',
      requestId: 'listener-1',
    }),
  )
  expect(lines.join('\n')).not.toMatch(new RegExp(`${a}|${b}`))
})

describe('work that outlives its invocation (pending)', () => {
  test('a timer left pending, holding the event: named with where it was created', async () => {
    const { invoke, findings, lines } = await guarded('fire-and-forget')
    const a = email()
    const audits: number[] = []
    const log = console.log
    console.log = () => audits.push(Date.now())
    try {
      const returned = Date.now()
      await invoke({ email: a, auditInMs: 40 }, 'forget-1')
      expect(audits).toEqual([]) // returned before its audit ran...
      await new Promise((done) => setTimeout(done, 80))
      expect(audits[0]).toBeGreaterThanOrEqual(returned) // ...which ran afterwards
    } finally {
      console.log = log
    }
    expect(findings).toContainEqual(
      expect.objectContaining({
        kind: 'pending',
        severity: 'high',
        where: expect.stringMatching(
          /^pending setTimeout \(40 ms\) created at test\/leak-guard\/leak-fixtures\/fire-and-forget\.mjs:11:3\.callback\[\[closure\]\]\.event\.body$/,
        ),
        as: 'substring',
        field: 'body.email',
        requestId: 'forget-1',
        sensitive: 'email',
      }),
    )
    expect(lines.join('\n')).not.toContain(a)
  })

  test('awaited, cleared and unref’d timers stay silent', async () => {
    const { invoke, findings } = await guarded('awaited-timers')
    for (let i = 0; i < 3; i++) await invoke({ email: email() }, `timers-${i}`)
    expect(findings).toEqual([])
  })

  test('pending: false turns it off', async () => {
    const module = await fixtureModule('fire-and-forget')
    const findings: LeakFinding[] = []
    const handler = middy(module.base).use(
      leakGuard({
        targets: [module],
        pending: false,
        onLeak: (f) => findings.push(f),
        logger: { warn: () => {} },
      }),
    )
    await handler({ body: JSON.stringify({ email: email(), auditInMs: 1 }) }, context('off-1'))
    expect(findings.filter((f) => f.kind === 'pending')).toEqual([])
  })
})

test('module variables rebound at every invocation with no request data stay silent', async () => {
  const { invoke, findings } = await guarded('rebinding')
  for (let i = 0; i < 4; i++) {
    await invoke({ email: email(), productId: `p${i % 3}` }, `rebinding-${i}`)
  }
  expect(findings).toEqual([])
})
