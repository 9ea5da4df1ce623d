/**
 * leakGuard's heavy part (engine, pending tracker, scope reader: `runtime.ts`) loads with
 * a dynamic `import()` that `leakGuard()` starts (never with mode `off`). What a user
 * relies on across that load: what counts as a new global is decided when the guard is
 * created, not when the load finishes; the first checked invocation waits for the load,
 * later ones run synchronous hooks; a load that fails is logged once and the guard passes
 * through, never failing the handler. (Which files load when, on the built package:
 * test/package/packed.test.ts and startup.test.ts.)
 */
import middy from '@middy/core'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { type LeakFinding, leakGuard } from '../../src/leak-guard/index.js'
import { apiEvent, CARD_A, CARD_B, context, deleteGlobals } from './helpers.js'

type G = typeof globalThis & Record<string, unknown>
const g = globalThis as G

const collect = () => {
  const found: LeakFinding[] = []
  const logged: unknown[][] = []
  const logger = { warn: (...args: unknown[]) => void logged.push(args) }
  return { found, logged, options: { logger, onLeak: (f: LeakFinding) => void found.push(f) } }
}

afterEach(() => {
  deleteGlobals('setRightAfter', 'lastCard', 'secondCard')
  vi.doUnmock('../../src/leak-guard/runtime.js')
  vi.resetModules()
})

describe('leakGuard loads its engine lazily', () => {
  test('a global set right after leakGuard(), before the engine has loaded, is a new global', async () => {
    const { found, options } = collect()
    const guard = leakGuard({ ...options, scope: false })
    // Same tick as the factory: the engine has not loaded yet.
    g.setRightAfter = {}
    const handler = middy(async (event: { body: string }) => {
      ;(g.setRightAfter as Record<string, unknown>).card = JSON.parse(event.body).card
      return { statusCode: 204 }
    }).use(guard)
    await handler(apiEvent({ card: CARD_A }), context('req-1'))
    expect(found.map((f) => [f.kind, f.where])).toEqual([
      ['new-global', 'globalThis.setRightAfter.card'],
    ])
  })

  test('the first checked invocation waits for the engine; once loaded, the hooks are synchronous', async () => {
    const { found, options } = collect()
    const guard = leakGuard({ ...options, scope: false })
    const request = (id: string, card: string) => ({
      event: apiEvent({ card }),
      context: context(id),
      response: undefined,
      error: undefined,
      internal: {},
    })
    const first = request('req-1', CARD_A)
    const waiting = guard.before?.(first as never)
    expect(waiting).toBeInstanceOf(Promise)
    await waiting
    g.lastCard = JSON.parse(first.event.body as string).card
    expect(guard.after?.(first as never)).toBeUndefined()
    expect(found.map((f) => [f.kind, f.requestId, f.phase])).toEqual([
      ['new-global', 'req-1', 'end'],
    ])
    const second = request('req-2', CARD_B)
    expect(guard.before?.(second as never)).toBeUndefined()
    g.secondCard = JSON.parse(second.event.body as string).card
    expect(guard.after?.(second as never)).toBeUndefined()
    // Found synchronously, by the hooks themselves.
    expect(found.map((f) => [f.where, f.requestId, f.phase])).toEqual([
      ['globalThis.lastCard', 'req-1', 'end'],
      ['globalThis.secondCard', 'req-2', 'end'],
    ])
  })

  test('an engine that fails to load is logged once; the guard passes through', async () => {
    vi.resetModules()
    vi.doMock('../../src/leak-guard/runtime.js', () => {
      throw new Error('cannot read runtime.js')
    })
    const { leakGuard: fresh } = await import('../../src/leak-guard/index.js')
    const { found, logged, options } = collect()
    const handler = middy(async (event: { body: string }) => {
      g.lastCard = JSON.parse(event.body).card
      return { statusCode: 200, body: 'ok' }
    }).use(fresh({ ...options, mode: 'throw', scope: false }))
    for (const id of ['req-1', 'req-2']) {
      await expect(handler(apiEvent({ card: CARD_A }), context(id))).resolves.toEqual({
        statusCode: 200,
        body: 'ok',
      })
    }
    expect(found).toEqual([])
    expect(logged).toHaveLength(1)
    // Then a synchronous pass-through (another guard: said once more, once for it).
    const guard = fresh({ logger: options.logger, scope: false })
    await guard.before?.({ event: {}, context: context('req-3') } as never)
    expect(guard.before?.({ event: {}, context: context('req-4') } as never)).toBeUndefined()
    expect(logged).toHaveLength(2)
    expect(String(logged[0]?.[0])).toMatch(
      /^leakGuard: cannot load its runtime \(Error\); the guard passes through$/,
    )
  })

  test('mode off loads nothing and checks nothing', async () => {
    vi.resetModules()
    let loaded = false
    vi.doMock('../../src/leak-guard/runtime.js', async (original) => {
      loaded = true
      return original()
    })
    const { leakGuard: fresh } = await import('../../src/leak-guard/index.js')
    const { found, options } = collect()
    const handler = middy(async (event: { body: string }) => {
      g.lastCard = JSON.parse(event.body).card
      return 1
    }).use(fresh({ ...options, mode: 'off' }))
    await handler(apiEvent({ card: CARD_A }), context('req-1'))
    await new Promise((done) => setTimeout(done, 20))
    expect(loaded).toBe(false)
    expect(found).toEqual([])
  })
})
