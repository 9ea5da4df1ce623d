import middy from '@middy/core'
import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import { describe, expect, it, vi } from 'vitest'
import { orcCache } from '../../src/index.js'
import { lambdaContext, loadEvent } from '../helpers/events.js'

const logger = () => ({ warn: vi.fn() })
const get = (rawPath = '/items/1') => {
  const event = loadEvent<APIGatewayProxyEventV2>('apigw-v2-request-no-authorizer')
  event.rawPath = rawPath
  return event
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('overlapping invocations (single flight)', () => {
  it('run the handler once for N concurrent misses of one key', async () => {
    let calls = 0
    const cache = orcCache({ logger: logger() })
    const handler = middy(
      async (): Promise<{ statusCode: number; body: string; headers?: Record<string, string> }> => {
        calls++
        await sleep(30)
        return { statusCode: 200, body: 'expensive' }
      },
    ).use(cache)
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => handler(get(), lambdaContext())),
    )
    expect(calls).toBe(1)
    expect(responses.map((r) => r.body)).toEqual(Array(10).fill('expensive'))
    expect(responses.filter((r) => r.headers?.['x-orc-cache'] === 'HIT')).toHaveLength(9)
    expect(cache.stats()).toMatchObject({ misses: 1, hits: 9, stores: 1 })
  })

  it('do not make waiters fail when the leading run fails: each runs the handler itself', async () => {
    let calls = 0
    const handler = middy(async () => {
      calls++
      await sleep(20)
      if (calls === 1) throw new Error('first run failed')
      return { statusCode: 200, body: `run ${calls}` }
    }).use(orcCache({ logger: logger() }))
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => handler(get(), lambdaContext())),
    )
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1)
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4)
    expect(calls).toBe(5)
  })

  it('do not share an uncacheable answer: waiters run the handler themselves', async () => {
    let calls = 0
    const handler = middy(async () => {
      const run = ++calls
      await sleep(10)
      return { statusCode: 200, headers: { 'cache-control': 'private' }, body: `mine ${run}` }
    }).use(orcCache({ logger: logger() }))
    const bodies = (
      await Promise.all(Array.from({ length: 3 }, () => handler(get(), lambdaContext())))
    ).map((r) => r.body)
    expect(calls).toBe(3)
    expect(new Set(bodies).size).toBe(3)
  })

  it('never wait past their own remaining time', async () => {
    let calls = 0
    const handler = middy(async () => {
      const run = ++calls
      await sleep(run === 1 ? 400 : 5)
      return { statusCode: 200, body: `run ${run}` }
    }).use(orcCache({ logger: logger() }))
    const slow = handler(get(), lambdaContext())
    await sleep(5)
    const started = Date.now()
    const deadline = Date.now() + 100
    const waiter = await handler(
      get(),
      lambdaContext({ getRemainingTimeInMillis: () => deadline - Date.now() }),
    )
    const waited = Date.now() - started
    expect(waiter.body).toBe('run 2')
    expect(waited).toBeLessThan(100)
    expect((await slow).body).toBe('run 1')
  })

  it('keep different keys independent', async () => {
    let calls = 0
    const handler = middy(async (event: APIGatewayProxyEventV2) => {
      calls++
      await sleep(10)
      return { statusCode: 200, body: event.rawPath }
    }).use(orcCache({ logger: logger() }))
    const paths = ['/a', '/b', '/a', '/c', '/b']
    const bodies = (await Promise.all(paths.map((p) => handler(get(p), lambdaContext())))).map(
      (r) => r.body,
    )
    expect(bodies).toEqual(paths)
    expect(calls).toBe(3)
  })

  it('can be turned off', async () => {
    let calls = 0
    const handler = middy(async () => {
      calls++
      await sleep(10)
      return { statusCode: 200, body: 'x' }
    }).use(orcCache({ singleFlight: false, logger: logger() }))
    await Promise.all(Array.from({ length: 4 }, () => handler(get(), lambdaContext())))
    expect(calls).toBe(4)
  })
})
