import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { LeakError, type LeakFinding, leakGuard } from '../../src/leak-guard/index.js'
import { apiEvent, CARD_A, CARD_B, context, deleteGlobals, EMAIL } from './helpers.js'

type G = typeof globalThis & Record<string, unknown>
const g = globalThis as G

const collect = () => {
  const found: LeakFinding[] = []
  const logged: unknown[][] = []
  const logger = { warn: (...args: unknown[]) => void logged.push(args) }
  return { found, logged, options: { logger, onLeak: (f: LeakFinding) => void found.push(f) } }
}

afterEach(() => {
  deleteGlobals('lastCard', 'appState', 'audit', 'leakTestCache', 'hiddenCard', 'hiddenAtInit')
  Reflect.deleteProperty(globalThis, Symbol.for('leak-test.card'))
  vi.useRealTimers()
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

describe('leakGuard with @middy/core and AWS sample events', () => {
  test('a card persisted in a new global is reported at the end of the invocation', async () => {
    const { found, options } = collect()
    const handler = middy(async (event: { body: string }) => {
      const body = JSON.parse(event.body)
      g.lastCard = { number: body.card.number }
      return { statusCode: 200, body: 'ok' }
    }).use(leakGuard(options))

    const response = await handler(apiEvent({ card: { number: CARD_A } }), context('req-1'))
    expect(response).toEqual({ statusCode: 200, body: 'ok' })
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({
      severity: 'high',
      kind: 'new-global',
      where: 'globalThis.lastCard.number',
      as: 'value',
      field: 'body.card.number',
      requestId: 'req-1',
      foundBy: 'req-1',
      phase: 'end',
      sensitive: 'card',
      value: '411111******1111',
      count: 1,
    })
  })

  test('data written into an existing global is "persisted"; one report per place and field, with a count', async () => {
    g.appState = { users: {} as Record<string, unknown> }
    const { found, options } = collect()
    const handler = middy(async (event: { body: string }) => {
      const body = JSON.parse(event.body)
      ;(g.appState as { users: Record<string, unknown> }).users.current = body.user
      return { statusCode: 204 }
    }).use(leakGuard(options))

    await handler(apiEvent({ user: { email: EMAIL, note: 'x' } }), context('req-1'))
    expect(found.map((f) => [f.kind, f.where, f.field, f.phase])).toEqual([
      ['persisted', 'globalThis.appState.users.current.email', 'body.user.email', 'end'],
    ])
    // Seen again at the start (req-1's email) and end (their own) of each next invocation:
    // counted, and reported again only at the 10th sighting, at the start of req-6.
    for (let i = 2; i <= 6; i++) {
      await handler(apiEvent({ user: { email: `user${i}@example.org` } }), context(`req-${i}`))
      if (i < 6) expect(found).toHaveLength(1)
    }
    expect(found).toHaveLength(2)
    expect(found[1]).toMatchObject({
      where: 'globalThis.appState.users.current.email',
      requestId: 'req-5',
      foundBy: 'req-6',
      phase: 'start',
      count: 10,
    })
  })

  test('a token inside a cached Map key is reported as a key, with the key masked', async () => {
    const cache = new Map<string, unknown>()
    const { found, logged, options } = collect()
    const handler = middy(async (event: { body: string }) => {
      const { email } = JSON.parse(event.body)
      cache.set(`profile:${email}`, { plan: 'pro' })
      return { statusCode: 200 }
    }).use(leakGuard({ ...options, watch: { cache } }))

    await handler(apiEvent({ email: EMAIL }), context('req-1'))
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({
      kind: 'persisted',
      as: 'key',
      field: 'body.email',
      sensitive: 'email',
    })
    expect(found[0]?.where).toMatch(/^cache\.get\(<email fp:[0-9a-f]{10}>\)$/)
    expect(JSON.stringify(logged)).not.toContain(EMAIL)
  })

  test('data written by a promise left running after the response is found at the next start', async () => {
    const { found, options } = collect()
    const handler = middy(async (event: { body: string }) => {
      const body = JSON.parse(event.body)
      setTimeout(() => {
        g.audit = [`charged ${body.card.number}`]
      }, 5)
      return { statusCode: 202 }
    }).use(leakGuard(options))

    await handler(apiEvent({ card: { number: CARD_A } }), context('req-1'))
    // At its end, the timer is still pending, holding the card (through `body`).
    expect(found).toEqual([
      expect.objectContaining({
        kind: 'pending',
        where: expect.stringMatching(
          /^pending setTimeout \(5 ms\) created at test\/leak-guard\/guard\.test\.ts:\d+:\d+\.callback\[\[closure\]\]\.body\.card\.number$/,
        ),
        requestId: 'req-1',
        value: '411111******1111',
      }),
    ])
    await new Promise((resolve) => setTimeout(resolve, 30))
    await handler(apiEvent({ card: { number: CARD_B } }), context('req-2'))
    const late = found.find((f) => f.requestId === 'req-1' && f.kind !== 'pending')
    expect(late).toMatchObject({
      kind: 'new-global',
      where: 'globalThis.audit[0]',
      as: 'substring',
      field: 'body.card.number',
      foundBy: 'req-2',
      phase: 'start',
      value: '411111******1111',
    })
    // req-2 left its timer too: let it run before the next test, whose state it would join.
    await new Promise((resolve) => setTimeout(resolve, 30))
  })

  test('a clean handler reusing a database client and configuration has no finding', async () => {
    class FakeDb {
      readonly pool = { size: 4, open: 0, region: 'us-east-1' }
      queries = 0
      constructor(readonly config: { table: string; endpoint: string }) {}
      async get(id: string) {
        this.queries++
        this.pool.open = Math.min(this.pool.open + 1, this.pool.size)
        return { id, name: `user ${id}`, plan: 'pro' }
      }
    }
    const config = {
      table: 'users-prod-table',
      endpoint: 'https://dynamodb.us-east-1.amazonaws.com',
    }
    let db: FakeDb | undefined
    const { found, logged, options } = collect()
    const handler = middy(async (event: { pathParameters: { proxy: string }; body: string }) => {
      db ??= new FakeDb(config)
      const { userId } = JSON.parse(event.body)
      const user = await db.get(userId)
      return { statusCode: 200, body: JSON.stringify(user) }
    }).use(leakGuard({ ...options, watch: { db: () => db, config } }))

    for (const [i, id] of ['user-7f3a9c21', 'user-0b44e1d8', 'user-c2d9aa73'].entries()) {
      const response = await handler(
        apiEvent({ userId: id, card: { number: CARD_A } }),
        context(`req-${i}`),
      )
      expect(response.statusCode).toBe(200)
    }
    expect(found).toEqual([])
    expect(logged).toEqual([])
  })

  test("overlapping invocations: state and response holding the other request's card are cross-request", async () => {
    let current: string | undefined
    const gates = new Map<string, () => void>()
    const { found, options } = collect()
    const handler = middy(async (event: { body: string }, ctx: { awsRequestId: string }) => {
      current = JSON.parse(event.body).card.number
      await new Promise<void>((resolve) => gates.set(ctx.awsRequestId, resolve))
      return { statusCode: 200, body: JSON.stringify({ charged: current }) }
    }).use(leakGuard({ ...options, watch: { current: () => current } }))

    const a = handler(apiEvent({ card: { number: CARD_A } }), context('req-A'))
    await vi.waitFor(() => expect(gates.has('req-A')).toBe(true))
    const b = handler(apiEvent({ card: { number: CARD_B } }), context('req-B'))
    await vi.waitFor(() => expect(gates.has('req-B')).toBe(true))
    gates.get('req-A')?.()
    const responseA = await a
    expect(JSON.parse(responseA.body).charged).toBe(CARD_B)

    const cross = found.filter((f) => f.kind === 'cross-request')
    expect(cross.map((f) => [f.where, f.as, f.requestId, f.foundBy, f.severity, f.value])).toEqual([
      ['current', 'value', 'req-B', 'req-A', 'critical', '555555******4444'],
      ['response.body', 'substring', 'req-B', 'req-A', 'critical', '555555******4444'],
    ])
    gates.get('req-B')?.()
    await b
  })

  test('an invocation ended early by another middleware does not stay "in flight" in one-at-a-time Lambda', async () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'fn')
    let current: string | undefined
    const { found, options } = collect()
    const handler = middy(async (event: { body: string }) => {
      current = JSON.parse(event.body).card.number
      return { statusCode: 200 }
    })
      .use(leakGuard({ ...options, watch: { current: () => current } }))
      .before((request) =>
        JSON.parse((request.event as { body: string }).body).cached
          ? { statusCode: 304 }
          : undefined,
      )

    await handler(apiEvent({ cached: true, card: { number: CARD_B } }), context('req-1'))
    await handler(apiEvent({ card: { number: CARD_A } }), context('req-2'))
    expect(found.filter((f) => f.kind === 'cross-request')).toEqual([])
  })

  test("a response carrying another in-flight request's data is cross-request, even with clean state", async () => {
    const pending = new Map<string, string>()
    const gates: Array<() => void> = []
    const { found, options } = collect()
    const handler = middy(async (event: { body: string }, ctx: { awsRequestId: string }) => {
      const { card } = JSON.parse(event.body)
      pending.set(ctx.awsRequestId, card)
      await new Promise<void>((resolve) => gates.push(resolve))
      // The bug: answers with the latest card instead of its own.
      const latest = [...pending.values()].at(-1)
      pending.delete(ctx.awsRequestId)
      return { statusCode: 200, body: JSON.stringify({ charged: latest }) }
    }).use(leakGuard({ ...options, ignore: ['pending'], watch: { pending } }))

    const a = handler(apiEvent({ card: { number: CARD_A } }), context('req-A'))
    await vi.waitFor(() => expect(gates).toHaveLength(1))
    const b = handler(apiEvent({ card: { number: CARD_B } }), context('req-B'))
    await vi.waitFor(() => expect(gates).toHaveLength(2))
    gates[0]?.()
    await a
    expect(found.map((f) => [f.kind, f.where, f.requestId, f.foundBy])).toEqual([
      ['cross-request', 'response.body', 'req-B', 'req-A'],
    ])
    gates[1]?.()
    await b
  })

  test('throw mode: data left by a promise after the response fails the next invocation at its start', async () => {
    const handler = middy(async (event: { body: string }) => {
      const { card } = JSON.parse(event.body)
      setTimeout(() => {
        g.audit = { card }
      }, 1)
      return { statusCode: 200 }
      // pending: false, or the pending timer fails this invocation already (tested elsewhere).
    }).use(leakGuard({ mode: 'throw', pending: false, logger: { warn: () => undefined } }))
    await expect(handler(apiEvent({ card: CARD_A }), context('req-1'))).resolves.toEqual({
      statusCode: 200,
    })
    await new Promise((resolve) => setTimeout(resolve, 20))
    const error = await handler(apiEvent({ card: CARD_B }), context('req-2')).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(LeakError)
    expect((error as LeakError).findings).toMatchObject([
      { where: 'globalThis.audit.card', requestId: 'req-1', foundBy: 'req-2', phase: 'start' },
    ])
  })

  test.each([
    ['setImmediate', 'setImmediate'],
    ['setInterval', 'setInterval \\(1000 ms\\)'],
  ])('a %s left running is reported as pending, by its kind', async (kind, what) => {
    const { found, options } = collect()
    const keep = (value: unknown) => value
    const timers: Array<ReturnType<typeof setInterval>> = []
    const handler = middy(async (event: { body: string }) => {
      const { card } = JSON.parse(event.body)
      // Still pending when the handler returns: an immediate runs after the response's
      // microtasks (the guard's `after` among them), the interval in a second.
      if (kind === 'setImmediate') setImmediate(() => keep(card))
      else timers.push(setInterval(() => keep(card), 1_000))
      return { statusCode: 202 }
    }).use(leakGuard(options))
    try {
      await handler(apiEvent({ card: CARD_A }), context('req-1'))
    } finally {
      for (const timer of timers) clearInterval(timer)
    }
    expect(found.map((f) => [f.kind, f.where, f.value])).toEqual([
      [
        'pending',
        expect.stringMatching(
          new RegExp(
            `^pending ${what} created at test/leak-guard/guard\\.test\\.ts:\\d+:\\d+\\.callback\\[\\[closure\\]\\]\\.card$`,
          ),
        ),
        '411111******1111',
      ],
    ])
  })

  test('an id longer than a safe integer, kept as a BigInt, is found; its nearest double is another number', async () => {
    const { found, options } = collect()
    // An odd integer between 2^54 and 2^55, made at run time: no double holds it exactly.
    const id = (2n ** 54n + 2n * BigInt(Math.floor(Math.random() * 2 ** 40)) + 1n).toString()
    const handler = middy(async (event: { body: string }) => {
      const { orderId } = JSON.parse(event.body)
      g.appState = { exact: BigInt(orderId), rounded: Number(orderId) }
      return { statusCode: 200 }
    }).use(leakGuard(options))
    await handler(apiEvent({ orderId: id }), context('req-1'))
    expect(BigInt(Number(id))).not.toBe(BigInt(id))
    expect(found.map((f) => [f.where, f.field])).toEqual([
      ['globalThis.appState.exact', 'body.orderId'],
    ])
  })

  test('invoked without a Lambda context (a local call): ids are made up, and leaks still found', async () => {
    const { found, options } = collect()
    const handler = middy(async (event: { body: string }) => {
      const { card, email } = JSON.parse(event.body)
      if (card !== undefined) g.lastCard = card.number
      else g.appState = { email }
      return { statusCode: 200 }
    }).use(leakGuard(options))
    await handler(apiEvent({ card: { number: CARD_A } }), {} as Context)
    await handler(apiEvent({ email: EMAIL }), {} as Context)
    expect(found.map((f) => [f.where, f.requestId, f.foundBy, f.phase])).toEqual([
      ['globalThis.lastCard', 'local-1', 'local-1', 'end'],
      ['globalThis.appState.email', 'local-2', 'local-2', 'end'],
    ])
  })

  test.each(['warn', 'throw'] as const)(
    'an event the guard cannot read (a Proxy whose traps throw), mode %s: answered, the failure logged once',
    async (mode) => {
      const { logged, options } = collect()
      const handler = middy(async () => ({ statusCode: 200 })).use(leakGuard({ ...options, mode }))
      const trap = () => {
        throw new Error('hostile trap')
      }
      const hostile = new Proxy({}, { ownKeys: trap, get: trap, getOwnPropertyDescriptor: trap })
      for (const id of ['req-1', 'req-2']) {
        await expect(handler(hostile as never, context(id))).resolves.toEqual({ statusCode: 200 })
      }
      expect(logged).toEqual([['leakGuard: check failed (Error); the guard skipped it']])
    },
  )

  describe('globals defined out of sight of a plain listing', () => {
    const hide = (name: string, value: unknown) =>
      Object.defineProperty(globalThis, name, { value, writable: true, configurable: true })

    test('a symbol-keyed global, and a non-enumerable one that existed at init, are searched at every check', async () => {
      hide('hiddenAtInit', { card: undefined })
      const { found, options } = collect()
      const handler = middy(async (event: { body: string }) => {
        const { card } = JSON.parse(event.body)
        ;(g.hiddenAtInit as { card?: string }).card = card.number
        Reflect.set(globalThis, Symbol.for('leak-test.card'), card.number)
        return { statusCode: 200 }
      }).use(leakGuard(options))
      // Time stands still: the start lists every key of globalThis, the end only the cheap way.
      vi.useFakeTimers({ toFake: ['performance'] })
      await handler(apiEvent({ card: { number: CARD_A } }), context('req-1'))
      expect(found.map((f) => [f.where, f.kind, f.requestId, f.phase]).sort()).toEqual([
        ['globalThis.hiddenAtInit.card', 'persisted', 'req-1', 'end'],
        ['globalThis[Symbol(leak-test.card)]', 'new-global', 'req-1', 'end'],
      ])
    })

    test('a non-enumerable global defined by an invocation is found by the next full listing, and names that invocation', async () => {
      const { found, options } = collect()
      let define = false
      const handler = middy(async (event: { body: string }) => {
        const body = JSON.parse(event.body)
        if (define) hide('hiddenCard', body.card.number)
        if (body.payment !== undefined) g.hiddenCard = body.payment.card // stays non-enumerable
        return { statusCode: 200 }
      }).use(leakGuard(options))
      vi.useFakeTimers({ toFake: ['performance'] })
      await handler(apiEvent({ card: { number: CARD_B } }), context('req-1'))
      define = true
      await handler(apiEvent({ card: { number: CARD_A } }), context('req-2'))
      define = false
      await handler(apiEvent({}), context('req-3'))
      expect(found).toEqual([])
      vi.advanceTimersByTime(50)
      await handler(apiEvent({}), context('req-4'))
      expect(found.map((f) => [f.where, f.kind, f.requestId, f.foundBy, f.phase])).toEqual([
        ['globalThis.hiddenCard', 'new-global', 'req-2', 'req-4', 'start'],
      ])
      // Known now: searched at every check, so a write is found at the end of its invocation.
      await handler(apiEvent({ payment: { card: CARD_B } }), context('req-5'))
      expect(found.map((f) => [f.where, f.field, f.requestId, f.foundBy, f.phase])).toEqual([
        ['globalThis.hiddenCard', 'body.card.number', 'req-2', 'req-4', 'start'],
        ['globalThis.hiddenCard', 'body.payment.card', 'req-5', 'req-5', 'end'],
      ])
    })
  })
})
