import middy from '@middy/core'
import { LRUCache } from 'lru-cache'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { LeakError, type LeakFinding, leakGuard } from '../../src/leak-guard/index.js'
import { ORC_CACHE_BRAND } from '../../src/shared/brand.js'
import { ConfigError } from '../../src/shared/env.js'
import { apiEvent, CARD_A, CARD_B, context, deleteGlobals, EMAIL } from './helpers.js'

const g = globalThis as typeof globalThis & Record<string, unknown>

const cardLeaker = () =>
  middy(async (event: { body: string }) => {
    g.lastCard = JSON.parse(event.body).card
    return { statusCode: 200, body: 'ok' }
  })

const quiet = { warn: () => undefined }

afterEach(() => {
  deleteGlobals('lastCard', 'lastUser')
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

describe('modes and configuration', () => {
  test('throw mode fails the leaking invocation with a LeakError, a clean one passes', async () => {
    const guard = leakGuard({ mode: 'throw', logger: quiet })
    const leaky = cardLeaker().use(guard)
    await expect(leaky(apiEvent({ card: CARD_A }), context('req-1'))).rejects.toBeInstanceOf(
      LeakError,
    )
    deleteGlobals('lastCard')
    const clean = middy(async () => ({ statusCode: 200 })).use(
      leakGuard({ mode: 'throw', logger: quiet }),
    )
    await expect(clean(apiEvent({ card: CARD_B }), context('req-2'))).resolves.toEqual({
      statusCode: 200,
    })
  })

  test('throw mode after a failed handler: the LeakError carries the handler error as its cause', async () => {
    const failing = middy(async (event: { body: string }) => {
      g.lastCard = JSON.parse(event.body).card
      throw new TypeError('payment declined')
    }).use(leakGuard({ mode: 'throw', logger: quiet }))
    const error = await failing(apiEvent({ card: CARD_A }), context('req-1')).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(LeakError)
    expect((error as Error).cause).toBeInstanceOf(TypeError)
  })

  test('warn mode after a failed handler reports, and the handler error is what the caller gets', async () => {
    const found: LeakFinding[] = []
    const failing = middy(async (event: { body: string }) => {
      g.lastCard = JSON.parse(event.body).card
      throw new TypeError('payment declined')
    }).use(leakGuard({ logger: quiet, onLeak: (f) => void found.push(f) }))
    await expect(failing(apiEvent({ card: CARD_A }), context('req-1'))).rejects.toThrow(
      'payment declined',
    )
    expect(found.map((f) => f.where)).toEqual(['globalThis.lastCard'])
  })

  test('off (LEAK_GUARD=off) is a pass-through: no finding, nothing but a no-op hook', async () => {
    vi.stubEnv('LEAK_GUARD', 'off')
    const onLeak = vi.fn()
    const guard = leakGuard({ onLeak, logger: quiet })
    expect(Object.keys(guard).sort()).toEqual(['before', 'name'])
    await cardLeaker().use(guard)(apiEvent({ card: CARD_A }), context('req-1'))
    expect(onLeak).not.toHaveBeenCalled()
  })

  test('sample rate 0 checks nothing; 1 checks everything', async () => {
    const onLeak = vi.fn()
    await cardLeaker().use(leakGuard({ sampleRate: 0, onLeak, logger: quiet }))(
      apiEvent({ card: CARD_A }),
      context('r'),
    )
    expect(onLeak).not.toHaveBeenCalled()
    vi.stubEnv('LEAK_GUARD_SAMPLE_RATE', '1')
    await cardLeaker().use(leakGuard({ onLeak, logger: quiet }))(
      apiEvent({ card: CARD_B }),
      context('r'),
    )
    expect(onLeak).toHaveBeenCalledTimes(1)
  })

  test('bad configuration fails at factory time, naming the option or variable', () => {
    expect(() => leakGuard({ mode: 'loud' as never })).toThrow(ConfigError)
    expect(() => leakGuard({ mode: 'loud' as never })).toThrow(
      /mode must be one of: warn, throw, off/,
    )
    vi.stubEnv('LEAK_GUARD_SAMPLE_RATE', '2')
    expect(() => leakGuard()).toThrow(/LEAK_GUARD_SAMPLE_RATE="2" must be a number from 0 to 1/)
    vi.unstubAllEnvs()
    vi.stubEnv('LEAK_GUARD_MAX_NODES', 'lots')
    expect(() => leakGuard()).toThrow(/LEAK_GUARD_MAX_NODES/)
    vi.unstubAllEnvs()
    expect(() => leakGuard({ logger: {} as never })).toThrow(/logger/)
    expect(() => leakGuard({ onLeak: 'x' as never })).toThrow(/onLeak/)
    expect(() => leakGuard({ ignore: [''] })).toThrow(/ignore/)
    expect(() => leakGuard({ roots: ['x'] as never })).toThrow(/roots/)
  })
})

describe('never harmful', () => {
  test('never changes the event or the response', async () => {
    const event = apiEvent({ card: CARD_A, user: { email: EMAIL } })
    const before = structuredClone(event)
    const response = { statusCode: 200, body: JSON.stringify({ ok: true }) }
    const handler = middy(async () => {
      g.lastUser = { email: EMAIL }
      return response
    }).use(leakGuard({ logger: quiet }))
    expect(await handler(event, context('req-1'))).toBe(response)
    expect(event).toEqual(before)
    expect(response).toEqual({ statusCode: 200, body: JSON.stringify({ ok: true }) })
  })

  test('its own failures (a throwing watch getter, onLeak, logger) are logged once and swallowed', async () => {
    const warnings: string[] = []
    let calls = 0
    const logger = {
      warn: (message: string) => {
        if (message.includes('CARD') || message.includes('HIGH')) throw new Error('logger down')
        warnings.push(message)
      },
    }
    const handler = cardLeaker().use(
      leakGuard({
        logger,
        watch: {
          broken: () => {
            throw new Error('no')
          },
        },
        onLeak: () => {
          calls++
          throw new Error('callback down')
        },
      }),
    )
    await expect(handler(apiEvent({ card: CARD_A }), context('req-1'))).resolves.toEqual({
      statusCode: 200,
      body: 'ok',
    })
    await expect(handler(apiEvent({ card: CARD_B }), context('req-2'))).resolves.toEqual({
      statusCode: 200,
      body: 'ok',
    })
    expect(calls).toBeGreaterThan(0)
    expect(warnings.filter((w) => w.includes('watch.broken threw'))).toHaveLength(1)
    expect(warnings.filter((w) => w.includes('onLeak threw'))).toHaveLength(1)
    expect(warnings.filter((w) => w.includes('the logger threw'))).toHaveLength(1)
  })

  test('a walk that runs out of budget says so once and still answers', async () => {
    const warnings: string[] = []
    const big = { items: Array.from({ length: 500 }, (_, i) => ({ id: `item-${i}` })) }
    const handler = middy(async () => ({ statusCode: 200 })).use(
      leakGuard({
        maxNodes: 100,
        watch: { big },
        logger: { warn: (m: string) => void warnings.push(m) },
      }),
    )
    await handler(apiEvent({ card: CARD_A }), context('req-1'))
    await handler(apiEvent({ card: CARD_B }), context('req-2'))
    expect(warnings).toEqual([
      'leakGuard: a check stopped after 100 values (maxNodes); state beyond was not searched',
    ])
  })
})

describe('intended state', () => {
  test('ignore: a global name, a watch name, a path prefix (its properties and its items)', async () => {
    const sessions = new Map<string, unknown>()
    const cacheHolder = {
      keep: {} as Record<string, unknown>,
      recent: [] as unknown[],
      report: {} as Record<string, unknown>,
    }
    const found: LeakFinding[] = []
    const handler = middy(async (event: { body: string }) => {
      const { card, email } = JSON.parse(event.body)
      g.lastCard = card
      sessions.set('s', email)
      cacheHolder.keep.email = email
      cacheHolder.recent.push(email)
      cacheHolder.report.email = email
      return { statusCode: 200 }
    }).use(
      leakGuard({
        logger: quiet,
        onLeak: (f) => void found.push(f),
        watch: { sessions, holder: cacheHolder },
        ignore: ['lastCard', 'sessions', 'holder.keep', 'holder.recent'],
      }),
    )
    await handler(apiEvent({ card: CARD_A, email: EMAIL }), context('req-1'))
    expect(found.map((f) => f.where)).toEqual(['holder.report.email'])
  })

  test('values present in state before the invocation are not request data', async () => {
    const config = { tenant: 'tenant-4f9a2c', apiKeyId: 'key-77b1e2aa' }
    const found: LeakFinding[] = []
    const handler = middy(async () => ({ statusCode: 200 })).use(
      leakGuard({ logger: quiet, onLeak: (f) => void found.push(f), watch: { config } }),
    )
    await handler(apiEvent({ tenant: 'tenant-4f9a2c', apiKeyId: 'key-77b1e2aa' }), context('req-1'))
    expect(found).toEqual([])
  })

  test('an orcCache store: entries are intended state; only sensitive data inside is reported', async () => {
    const store = new LRUCache<string, object>({ max: 100 })
    Object.defineProperty(store, ORC_CACHE_BRAND, { value: true })
    const found: LeakFinding[] = []
    const handler = middy(async (event: { path: string; body: string }) => {
      const { orderId, email } = JSON.parse(event.body)
      const response = { statusCode: 200, body: JSON.stringify({ orderId, owner: email }) }
      store.set(`GET ${event.path}?order=${orderId}`, { kind: 1, value: response })
      return response
    }).use(leakGuard({ logger: quiet, onLeak: (f) => void found.push(f), watch: { store } }))
    await handler(apiEvent({ orderId: 'ord-5521-xk', email: EMAIL }), context('req-1'))
    // The order id is request data too, but not sensitive: inside the store it is not
    // reported, and the key holding it is masked in the path.
    expect(found.map((f) => [f.where, f.sensitive, f.cached, f.severity])).toEqual([
      [
        expect.stringMatching(/^store\.get\(fp:[0-9a-f]{10}\)\.value\.body$/),
        'email',
        true,
        'high',
      ],
    ])
  })
})

describe('roots, output and overlap settings', () => {
  test('a root provider (the module-scope seam) is searched at each check; its failure is logged once', async () => {
    let creditCard: unknown
    const found: LeakFinding[] = []
    const warnings: string[] = []
    let calls = 0
    const handler = middy(async (event: { body: string }) => {
      creditCard = JSON.parse(event.body).card
      return { statusCode: 200 }
    }).use(
      leakGuard({
        logger: { warn: (m: string) => void warnings.push(m) },
        onLeak: (f) => void found.push(f),
        roots: [
          () => [{ label: 'module src/pay.ts: creditCard', value: creditCard }],
          () => {
            calls++
            throw new Error('inspector gone')
          },
        ],
      }),
    )
    await handler(apiEvent({ card: CARD_A }), context('req-1'))
    await handler(apiEvent({ card: CARD_B }), context('req-2'))
    expect(found.map((f) => [f.where, f.requestId, f.phase])).toEqual([
      ['module src/pay.ts: creditCard', 'req-1', 'end'],
    ])
    expect(calls).toBe(4)
    expect(
      warnings.filter((w) => w.startsWith('leakGuard:') && w.includes('roots threw')),
    ).toHaveLength(1)
  })

  test('json: true and LEAK_GUARD_JSON write JSON lines to console; LEAK_GUARD_IGNORE is a list', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    await cardLeaker().use(leakGuard({ json: true }))(apiEvent({ card: CARD_A }), context('req-1'))
    expect(JSON.parse(String(warn.mock.calls[0]?.[0]))).toMatchObject({
      level: 'WARN',
      leakGuard: { where: 'globalThis.lastCard', value: '411111******1111' },
    })
    warn.mockClear()
    deleteGlobals('lastCard')
    vi.stubEnv('LEAK_GUARD_JSON', 'false')
    vi.stubEnv('AWS_LAMBDA_LOG_FORMAT', 'JSON')
    await cardLeaker().use(leakGuard())(apiEvent({ card: CARD_B }), context('req-2'))
    expect(String(warn.mock.calls[0]?.[0])).toMatch(
      /^leakGuard: HIGH new-global: globalThis\.lastCard holds body\.card = card 555555\*{6}4444 of request req-2/,
    )
    warn.mockClear()
    deleteGlobals('lastCard')
    vi.stubEnv('LEAK_GUARD_IGNORE', 'somethingElse, lastCard')
    await cardLeaker().use(leakGuard())(apiEvent({ card: CARD_A }), context('req-3'))
    expect(warn).not.toHaveBeenCalled()
  })

  test('in Lambda with AWS_LAMBDA_MAX_CONCURRENCY > 1, an unfinished invocation stays in flight', async () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'fn')
    vi.stubEnv('AWS_LAMBDA_MAX_CONCURRENCY', '4')
    let current: unknown
    const release: Array<() => void> = []
    const found: LeakFinding[] = []
    const handler = middy(async (event: { body: string }) => {
      current = JSON.parse(event.body).card
      await new Promise<void>((resolve) => release.push(resolve))
      return { statusCode: 200 }
    }).use(
      leakGuard({
        logger: quiet,
        onLeak: (f) => void found.push(f),
        watch: { current: () => current },
      }),
    )
    const a = handler(apiEvent({ card: CARD_A }), context('req-A'))
    await vi.waitFor(() => expect(release).toHaveLength(1))
    const b = handler(apiEvent({ card: CARD_B }), context('req-B'))
    await vi.waitFor(() => expect(release).toHaveLength(2))
    release[0]?.()
    await a
    expect(found.map((f) => [f.kind, f.requestId, f.foundBy])).toEqual([
      ['cross-request', 'req-B', 'req-A'],
    ])
    release[1]?.()
    await b
  })

  test('hostile global state: the guard survives it and still finds the card inside', async () => {
    const calls: string[] = []
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    class Account {
      readonly owner = 'account-owner-1'
      get balance(): number {
        calls.push('getter')
        throw new Error('not loaded')
      }
    }
    g.hostile = Object.freeze({
      cyclic,
      proxy: new Proxy(
        {},
        {
          ownKeys: () => {
            calls.push('trap')
            return []
          },
        },
      ),
      account: new Account(),
      floats: new Float64Array(100_000),
      huge: Array.from({ length: 200_000 }, (_, i) => i),
      bytes: Buffer.alloc(1024),
      holder: { card: undefined as unknown },
    })
    const found: LeakFinding[] = []
    const handler = middy(async (event: { body: string }) => {
      ;(g.hostile as { holder: { card: unknown } }).holder.card = JSON.parse(event.body).card
      return { statusCode: 200 }
    }).use(leakGuard({ logger: quiet, onLeak: (f) => void found.push(f) }))
    try {
      await expect(handler(apiEvent({ card: CARD_A }), context('req-1'))).resolves.toEqual({
        statusCode: 200,
      })
      expect(found.map((f) => f.where)).toEqual(['globalThis.hostile.holder.card'])
      expect(calls).toEqual([])
    } finally {
      deleteGlobals('hostile')
    }
  })
})

describe('the Lambda runtime', () => {
  test("the runtime's InvokeStore (globalThis.awslambda) holding the trace header is not a leak: it is set before the invocation", async () => {
    const { InvokeStore } = await import('@aws/lambda-invoke-store')
    const store = await InvokeStore.getInstanceAsync()
    // The keys the library protects (InvokeStoreBase.PROTECTED_KEYS).
    const REQUEST_ID = Symbol.for('_AWS_LAMBDA_REQUEST_ID')
    const X_RAY_TRACE_ID = Symbol.for('_AWS_LAMBDA_X_RAY_TRACE_ID')
    const trace = 'Root=1-5759e988-bd862e3fe1be46a994272793'
    const found: LeakFinding[] = []
    const handler = middy(async () => ({ statusCode: 200 })).use(
      leakGuard({ logger: quiet, onLeak: (f) => void found.push(f) }),
    )
    try {
      for (const id of ['req-1', 'req-2']) {
        const event = apiEvent({ card: CARD_A }, { 'X-Amzn-Trace-Id': trace })
        const context_ = {
          [REQUEST_ID]: id,
          [X_RAY_TRACE_ID]: `${trace};Parent=53995c3f42cd8ad8;Sampled=1`,
        }
        await store.run(context_, () => handler(event, context(id)))
      }
      expect(store.getXRayTraceId()).toContain(trace)
      expect(found).toEqual([])
    } finally {
      deleteGlobals('awslambda')
    }
  })
})
