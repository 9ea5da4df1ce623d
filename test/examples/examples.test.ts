/**
 * Every example under examples/ run as Lambda runs it: bundled, under the real
 * runtime client (aws-lambda-ric), fed real API Gateway v2 sample events.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { CustomerTier } from '../../examples/lookup.js'
import {
  maskCard,
  type PaymentEvent,
  type PaymentResult,
  SAMPLE_PAYMENTS,
} from '../../examples/payments.js'
import type { Quote } from '../../examples/with-powertools-logger.js'
import { type RunningLambda, startLambda } from '../e2e/harness/lambda.js'
import { describeWithRuntime } from '../e2e/harness/with-runtime.js'
import { httpApiEvent } from '../helpers/events.js'

type HttpResult = APIGatewayProxyStructuredResultV2

const get = (path: string, query: Record<string, string> = {}, method = 'GET') =>
  httpApiEvent(method, path, { query })

const cacheEvents = (logs: readonly string[]) =>
  logs.filter((line) => line.startsWith('orcCache ')).map((line) => line.split(' ')[1])

describeWithRuntime('examples/http-api.ts', () => {
  let fn: RunningLambda
  beforeAll(async () => {
    fn = await startLambda({
      handler: 'examples/http-api.ts',
      env: { EXAMPLE_DB_LATENCY_MS: '20' },
    })
  })
  afterAll(() => fn?.stop())

  it('serves a product from the database once, then from the cache', async () => {
    const miss = await fn.invoke<HttpResult>(get('/products/1'))
    expect(miss.response?.statusCode).toBe(200)
    expect(JSON.parse(miss.response?.body ?? '')).toEqual({
      id: '1',
      name: 'Orc-proof lunchbox',
      price: 12.5,
    })
    expect(cacheEvents(miss.logs)).toEqual(['miss', 'store'])
    const hit = await fn.invoke<HttpResult>(get('/products/1'))
    expect(cacheEvents(hit.logs)).toEqual(['hit'])
    expect(hit.response?.body).toBe(miss.response?.body)
    expect(miss.response?.headers?.['x-orc-cache']).toBe('MISS')
    expect(hit.response?.headers?.['x-orc-cache']).toBe('HIT')
  })

  it('keys prices by currency', async () => {
    const usd = await fn.invoke<HttpResult>(get('/products/2/price', { currency: 'USD' }))
    expect(cacheEvents(usd.logs)).toEqual(['miss', 'store'])
    const gbp = await fn.invoke<HttpResult>(get('/products/2/price', { currency: 'GBP' }))
    expect(JSON.parse(usd.response?.body ?? '')).toMatchObject({ currency: 'USD', price: 32.4 })
    expect(JSON.parse(gbp.response?.body ?? '')).toMatchObject({ currency: 'GBP', price: 25.8 })
    expect(cacheEvents(gbp.logs)).toEqual(['miss', 'store'])
    const usdAgain = await fn.invoke<HttpResult>(get('/products/2/price', { currency: 'USD' }))
    expect(cacheEvents(usdAgain.logs)).toEqual(['hit'])
  })

  it('refuses to store private, missing, oversized and non-GET answers', async () => {
    const me = await fn.invoke<HttpResult>(get('/me'))
    expect(me.response?.headers?.['cache-control']).toBe('private, no-store')
    expect(cacheEvents(me.logs)).toEqual(['miss', 'reject'])

    const missing = await fn.invoke<HttpResult>(get('/products/999'))
    expect(missing.response?.statusCode).toBe(404)
    expect(cacheEvents(missing.logs)).toEqual(['miss', 'reject'])

    const big = await fn.invoke<HttpResult>(get('/catalogue'))
    expect(big.response?.statusCode).toBe(200)
    expect(cacheEvents(big.logs)).toEqual(['miss', 'reject'])
    expect(big.logs.some((line) => /not cached: maxEntryBytes is 65536/.test(line))).toBe(true)

    const post = await fn.invoke<HttpResult>(get('/products/1', {}, 'POST'))
    expect(post.response?.statusCode).toBe(202)
    expect(cacheEvents(post.logs)).toEqual(['bypass'])

    // None of them was stored: asked again, each misses again.
    for (const path of ['/me', '/products/999', '/catalogue']) {
      expect(cacheEvents((await fn.invoke(get(path))).logs)[0]).toBe('miss')
    }
  })
})

describeWithRuntime('examples/lookup.ts', () => {
  let fn: RunningLambda
  beforeAll(async () => {
    fn = await startLambda({ handler: 'examples/lookup.ts' })
  })
  afterAll(() => fn?.stop())

  it('caches by customer and region', async () => {
    const first = await fn.invoke<CustomerTier>({ customerId: 'c-17', region: 'eu' })
    expect(first.response).toMatchObject({ customerId: 'c-17', tier: 'gold', fetchedBy: 1 })
    const again = await fn.invoke<CustomerTier>({ customerId: 'c-17', region: 'eu' })
    expect(again.response?.fetchedBy).toBe(1)
    const otherRegion = await fn.invoke<CustomerTier>({ customerId: 'c-17', region: 'us' })
    expect(otherRegion.response).toMatchObject({ region: 'us', fetchedBy: 2 })
  })

  it('bypasses the cache without a customerId and passes the error through', async () => {
    const failed = await fn.invoke({ region: 'eu' })
    expect(failed.error).toMatchObject({
      errorType: 'TypeError',
      errorMessage: 'customerId is required',
    })
  })
})

describeWithRuntime('examples/with-powertools-logger.ts', () => {
  let fn: RunningLambda
  beforeAll(async () => {
    fn = await startLambda({
      handler: 'examples/with-powertools-logger.ts',
      env: { POWERTOOLS_LOG_LEVEL: 'DEBUG' },
    })
  })
  afterAll(() => fn?.stop())

  interface PowertoolsLine {
    level: string
    message: string
    service: string
    cold_start?: boolean
    function_request_id?: string
    cacheEvent?: string
    symbol?: string
  }
  const structured = (records: { raw: string }[]) =>
    records.map((record) => JSON.parse(record.raw) as PowertoolsLine)

  it('logs structured lines with the request id, hits included', async () => {
    const miss = await fn.invoke<Quote>({ symbol: 'orc' })
    const hit = await fn.invoke<Quote>({ symbol: 'orc' })
    expect(hit.response).toEqual(miss.response)

    const missLines = structured(miss.logRecords)
    expect(missLines.map((l) => l.cacheEvent ?? l.message)).toEqual([
      'miss',
      'fetching quote',
      'store',
    ])
    expect(missLines.every((l) => l.function_request_id === miss.requestId)).toBe(true)
    expect(missLines.every((l) => l.service === 'quotes')).toBe(true)
    expect(missLines[0]?.cold_start).toBe(true)

    const hitLines = structured(hit.logRecords)
    expect(hitLines.map((l) => l.cacheEvent ?? l.message)).toEqual(['hit'])
    expect(hitLines[0]?.cold_start).toBe(false)
  })
})

const cards = SAMPLE_PAYMENTS
const masked = (event: PaymentEvent) => maskCard(event.credit_card_number)

describeWithRuntime(
  'examples/card-check-buggy.ts and card-check.ts under overlapping invocations',
  () => {
    const env = { EXAMPLE_PAYMENTS_CONNECT_MS: '150' }
    let buggy: RunningLambda
    let clean: RunningLambda
    beforeAll(async () => {
      ;[buggy, clean] = await Promise.all([
        startLambda({ handler: 'examples/card-check-buggy.ts', maxConcurrency: 4, env }),
        startLambda({ handler: 'examples/card-check.ts', maxConcurrency: 4, env }),
      ])
    })
    afterAll(async () => {
      await Promise.all([buggy?.stop(), clean?.stop()])
    })

    it('the module-level card verifies the wrong customer’s card', async () => {
      const results = await buggy.invokeMany<PaymentResult>(cards)
      const wrong = results.filter((r, i) => r.response?.verified !== masked(cards[i]!))
      expect(wrong.length).toBeGreaterThan(0)
      // Never a card number in clear in the responses.
      for (const r of results) expect(JSON.stringify(r.response)).not.toMatch(/\d{12}/)
    })

    it('the invocation-local card always verifies its own card', async () => {
      const results = await clean.invokeMany<PaymentResult>(cards)
      expect(results.map((r) => r.response?.verified)).toEqual(cards.map(masked))
      expect(results.every((r) => r.response?.ok)).toBe(true)
    })
  },
)

describeWithRuntime('examples/leak-guard-dev.ts (LEAK_GUARD=warn)', () => {
  const leakLines = (fn: RunningLambda) =>
    fn
      .logs()
      .map((record) => record.message)
      .filter((message) => message.startsWith('leakGuard:'))

  const runTwo = async (exportName: 'handler' | 'buggyHandler') => {
    const fn = await startLambda({
      handler: 'examples/leak-guard-dev.ts',
      exportName,
      env: { LEAK_GUARD: 'warn', EXAMPLE_PAYMENTS_CONNECT_MS: '1' },
    })
    try {
      const results = [
        await fn.invoke<PaymentResult>(cards[0]),
        await fn.invoke<PaymentResult>(cards[1]),
      ]
      return { results, lines: leakLines(fn), all: fn.logs().map((r) => r.raw) }
    } finally {
      await fn.stop()
    }
  }

  it('stays quiet on the clean card check', async () => {
    const { results, lines } = await runTwo('handler')
    expect(results.map((r) => r.response?.verified)).toEqual([masked(cards[0]!), masked(cards[1]!)])
    expect(lines).toEqual([])
  })

  it('never logs a card number in clear, even for the buggy card check', async () => {
    const { all } = await runTwo('buggyHandler')
    for (const card of cards.slice(0, 2)) {
      expect(all.join('\n')).not.toContain(card.credit_card_number)
    }
  })

  it('reports the module-level card, masked', async () => {
    const { lines, all } = await runTwo('buggyHandler')
    const finding = lines.find((line) => /creditCard/.test(line))
    expect(finding).toMatch(/creditCard\.number holds credit_card_number = card 411111\*+1111/)
    for (const card of cards.slice(0, 2)) {
      expect(all.join('\n')).not.toContain(card.credit_card_number)
    }
  })
})
