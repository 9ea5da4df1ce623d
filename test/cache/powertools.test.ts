/**
 * orcCache in one stack with the real Powertools Logger, Metrics and Tracer
 * middlewares. Middy skips every `after` hook on an early response, so on a
 * hit orcCache runs the cleanup functions these middlewares leave in
 * `request.internal`, as Powertools' own idempotency middleware does.
 */
import { Logger } from '@aws-lambda-powertools/logger'
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import { Tracer } from '@aws-lambda-powertools/tracer'
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware'
import middy from '@middy/core'
import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { orcCache } from '../../src/index.js'
import { lambdaContext, loadEvent } from '../helpers/events.js'
import { memoryTier } from '../helpers/memory-tier.js'

afterEach(() => {
  vi.restoreAllMocks()
})

/** Powertools Metrics whose publishing is counted and prints nothing. */
const quietMetrics = () => {
  const metrics = new Metrics({ namespace: 'orc', serviceName: 'orc' })
  const publish = vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
    metrics.clearMetrics()
    return metrics
  })
  return { metrics, publish }
}

describe('orcCache with Powertools Logger, Metrics and Tracer', () => {
  it('flushes metrics and resets logger keys on a hit, as on a miss', async () => {
    const logger = new Logger({ serviceName: 'orc', logLevel: 'SILENT' })
    const metrics = new Metrics({ namespace: 'orc', serviceName: 'orc' })
    const tracer = new Tracer({ serviceName: 'orc', enabled: false })
    const published: string[][] = []
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
      const serialised = JSON.stringify(metrics.serializeMetrics())
      published.push(['cacheHit', 'cacheMiss'].filter((name) => serialised.includes(`"${name}"`)))
      metrics.clearMetrics()
      return metrics
    })
    const resetKeys = vi.spyOn(logger, 'resetKeys')
    let calls = 0
    const handler = middy(
      async (): Promise<{ statusCode: number; body: string; headers?: Record<string, string> }> => {
        calls++
        logger.appendKeys({ requestScoped: 'value' })
        return { statusCode: 200, body: 'ok' }
      },
    )
      .use(captureLambdaHandler(tracer))
      .use(logMetrics(metrics))
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(
        orcCache({
          onEvent: (type) => {
            if (type === 'hit') metrics.addMetric('cacheHit', MetricUnit.Count, 1)
            if (type === 'miss') metrics.addMetric('cacheMiss', MetricUnit.Count, 1)
          },
        }),
      )
    const event = () => loadEvent<APIGatewayProxyEventV2>('apigw-v2-request-no-authorizer')
    const miss = await handler(event(), lambdaContext())
    const hit = await handler(event(), lambdaContext())
    expect(calls).toBe(1)
    expect(miss.headers).toMatchObject({ 'x-orc-cache': 'MISS' })
    expect(hit.headers).toMatchObject({ 'x-orc-cache': 'HIT' })
    // Metrics: published once per invocation, the hit's metric included.
    expect(published).toEqual([['cacheMiss'], ['cacheHit']])
    // Logger: keys reset after the miss (its after hook) and after the hit (the cleanup).
    expect(resetKeys).toHaveBeenCalledTimes(2)
  })

  it('flushes metrics when a failure is answered with a stale entry', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'] })
    try {
      const { metrics, publish } = quietMetrics()
      let calls = 0
      const handler = middy(async () => {
        if (++calls > 1) throw new Error('backend down')
        return { statusCode: 200, body: 'ok' }
      })
        .use(logMetrics(metrics))
        .use(orcCache({ ttl: 1_000, staleIfError: 60_000, logger: { warn: vi.fn() } }))
      const event = () => loadEvent<APIGatewayProxyEventV2>('apigw-v2-request-no-authorizer')
      await handler(event(), lambdaContext())
      expect(publish).toHaveBeenCalledTimes(1)
      vi.advanceTimersByTime(2_000)
      const stale = (await handler(event(), lambdaContext())) as {
        headers?: Record<string, string>
      }
      expect(stale.headers).toMatchObject({ 'x-orc-cache': 'STALE' })
      // logMetrics' onError is skipped by the early answer; orcCache ran its cleanup instead.
      expect(publish).toHaveBeenCalledTimes(2)
    } finally {
      vi.useRealTimers()
    }
  })

  it('a stale answer with a shared tier: the invocation ends once the cleanups ran and its lease is released', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'] })
    try {
      const { metrics, publish } = quietMetrics()
      // The tier holds the second invocation's release until the test lets it go.
      const tier = memoryTier()
      const release = tier.release
      let holdRelease = false
      let letGo: (() => void) | undefined
      tier.release = (key, token) => {
        if (!holdRelease) return release(key, token)
        return new Promise<boolean | undefined>((resolve) => {
          letGo = () => resolve(release(key, token))
        })
      }
      let calls = 0
      const handler = middy(async () => {
        if (++calls > 1) throw new Error('backend down')
        return { statusCode: 200, body: 'ok' }
      })
        .use(logMetrics(metrics))
        .use(
          orcCache({
            ttl: 1_000,
            staleIfError: 60_000,
            shared: tier,
            syncInterval: 0,
            logger: { warn: vi.fn() },
          }),
        )
      const event = () => loadEvent<APIGatewayProxyEventV2>('apigw-v2-request-no-authorizer')
      await handler(event(), lambdaContext())
      expect(tier.calls).toMatchObject({ lease: 1, release: 1, set: 1 })
      vi.advanceTimersByTime(2_000)
      // Expired in both tiers: a miss there too, a lease taken, and the handler fails.
      holdRelease = true
      let ended = false
      const second = handler(event(), lambdaContext()).then((response) => {
        ended = true
        return response as { headers?: Record<string, string> }
      })
      await vi.waitFor(() => expect(letGo).toBeDefined())
      await new Promise((resolve) => setImmediate(resolve))
      // The stale answer is ready and metrics flushed, but the release is still on its way.
      expect(publish).toHaveBeenCalledTimes(2)
      expect(ended).toBe(false)
      letGo?.()
      expect((await second).headers).toMatchObject({ 'x-orc-cache': 'STALE' })
      expect(tier.calls).toMatchObject({ lease: 2, release: 2, set: 1 })
    } finally {
      vi.useRealTimers()
    }
  })

  it('a stale answer that cannot be completed (a cleanup entry that throws when read): the error goes on', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'] })
    try {
      const warnings: string[] = []
      let calls = 0
      let broken = false
      const handler = middy(async () => {
        if (++calls > 1) throw new Error('backend down')
        return { statusCode: 200, body: 'ok' }
      })
        .use({
          // A middleware before orcCache that left its cleanup behind an accessor that throws.
          before: (request) => {
            if (!broken) return
            Object.defineProperty(request.internal, 'powertools-for-aws.metrics', {
              enumerable: true,
              get: () => {
                throw new RangeError('token=abc123 expired')
              },
            })
          },
        })
        .use(
          orcCache({
            ttl: 1_000,
            staleIfError: 60_000,
            logger: { warn: (message: string) => warnings.push(message) },
          }),
        )
      const event = () => loadEvent<APIGatewayProxyEventV2>('apigw-v2-request-no-authorizer')
      await handler(event(), lambdaContext())
      vi.advanceTimersByTime(2_000)
      broken = true
      // Not a stale answer served part-way: the handler's error, as the line logged says.
      await expect(handler(event(), lambdaContext())).rejects.toThrow('backend down')
      expect(warnings).toEqual([
        'orcCache: serving a stale entry failed (RangeError); the error went on',
      ])
      // Without the broken entry, the next failure is answered stale.
      broken = false
      expect(await handler(event(), lambdaContext())).toMatchObject({
        headers: { 'x-orc-cache': 'STALE' },
      })
    } finally {
      vi.useRealTimers()
    }
  })

  it('serves the hit when a Powertools cleanup throws (Metrics with throwOnEmptyMetrics, none added)', async () => {
    const metrics = new Metrics({ namespace: 'orc', serviceName: 'orc' })
    // The miss publishes its metric (one line of EMF on stdout); the hit has none to publish.
    const warn = vi.fn()
    let calls = 0
    const handler = middy(async () => {
      calls++
      metrics.addMetric('work', MetricUnit.Count, 1)
      return { statusCode: 200, body: 'ok' }
    })
      .use(logMetrics(metrics, { throwOnEmptyMetrics: true }))
      .use(orcCache({ logger: { warn } }))
    const event = () => loadEvent<APIGatewayProxyEventV2>('apigw-v2-request-no-authorizer')
    await handler(event(), lambdaContext())
    const hit = await handler(event(), lambdaContext())
    expect(calls).toBe(1)
    expect(hit).toMatchObject({ statusCode: 200, body: 'ok', headers: { 'x-orc-cache': 'HIT' } })
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/Powertools cleanup/)
  })

  it('does not touch request.internal cleanup when no Powertools middleware is present', async () => {
    const handler = middy(async () => ({ statusCode: 200, body: 'ok' })).use(orcCache())
    const event = () => loadEvent<APIGatewayProxyEventV2>('apigw-v2-request-no-authorizer')
    await handler(event(), lambdaContext())
    // A synchronous hit: nothing to await, the response is the stored one.
    expect((await handler(event(), lambdaContext())).body).toBe('ok')
  })
})

describe('stack order', () => {
  it('warns once when a middleware after orcCache changes the stored response', async () => {
    const warn = vi.fn()
    const handler = middy(async () => ({ statusCode: 200, headers: {}, body: 'ok' }))
      .use({
        after: (request) => {
          const response = request.response as { headers: Record<string, string> }
          response.headers['access-control-allow-origin'] = '*'
        },
      })
      .use(orcCache({ logger: { warn } }))
    const event = () => loadEvent<APIGatewayProxyEventV2>('apigw-v2-request-no-authorizer')
    await handler(event(), lambdaContext())
    await new Promise((resolve) => setImmediate(resolve))
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0]?.[0]).toMatch(/use orcCache first/)
  })

  it('stays quiet when orcCache is outermost', async () => {
    const warn = vi.fn()
    const handler = middy(async () => ({ statusCode: 200, headers: {}, body: 'ok' }))
      .use(orcCache({ logger: { warn } }))
      .use({
        after: (request) => {
          const response = request.response as { headers: Record<string, string> }
          response.headers['access-control-allow-origin'] = '*'
        },
      })
    const event = () => loadEvent<APIGatewayProxyEventV2>('apigw-v2-request-no-authorizer')
    await handler(event(), lambdaContext())
    await new Promise((resolve) => setImmediate(resolve))
    const hit = await handler(event(), lambdaContext())
    expect(warn).not.toHaveBeenCalled()
    expect(hit.headers).toMatchObject({ 'access-control-allow-origin': '*', 'x-orc-cache': 'HIT' })
  })
})
