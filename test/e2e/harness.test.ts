/**
 * Tests of the end-to-end harness itself: the real Lambda runtime client
 * (aws-lambda-ric) running bundled handlers against the local Runtime API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseLogLine, type RunningLambda, startLambda } from './harness/lambda.js'
import { describeWithRuntime } from './harness/with-runtime.js'

interface PlainEcho {
  echo: unknown
  invocations: number
  startedAt: number
  node: string
  tz: string
  execEnv: string
}

interface RemainingReport {
  remaining: number
  functionName: string
  arn: string
  requestId: string
  memory: string
  clientContext?: unknown
  identity?: unknown
  traceEnv?: string
}

interface LatchResult {
  outcome: 'released' | 'timed-out'
  arrived: number
  peakInFlight: number
}

const latchEvents = (group: string, count: number, timeoutMs: number) =>
  Array.from({ length: count }, (_, i) => ({
    group,
    expected: count,
    timeoutMs,
    marker: `${group}-${i}`,
  }))

describeWithRuntime('one invocation at a time (the default mode)', () => {
  let fn: RunningLambda
  beforeAll(async () => {
    fn = await startLambda({ handler: 'test/e2e/handlers/plain.ts', timeoutMs: 10_000 })
  })
  afterAll(() => fn?.stop())

  it('returns responses from a Node 22+ runtime with the Lambda environment, keeping module state', async () => {
    const first = await fn.invoke<PlainEcho>({ value: { a: 1 } })
    const second = await fn.invoke<PlainEcho>({ value: 'two' })
    expect(first.error).toBeUndefined()
    expect(first.response?.echo).toEqual({ a: 1 })
    expect(second.response?.echo).toBe('two')
    expect(Number(first.response?.node.slice(1).split('.')[0])).toBeGreaterThanOrEqual(22)
    expect(first.response?.tz).toBe(':UTC')
    expect(first.response?.execEnv).toMatch(/^AWS_Lambda_nodejs2\d\.x$/)
    // Same container: the module was loaded once, its state carries over.
    expect(second.response?.invocations).toBe((first.response?.invocations ?? 0) + 1)
    expect(second.response?.startedAt).toBe(first.response?.startedAt)
    expect(first.requestId).not.toBe(second.requestId)
  })

  it('reports handler errors with errorType and errorMessage, and keeps serving', async () => {
    const failed = await fn.invoke({ action: 'fail', value: 42 })
    expect(failed.response).toBeUndefined()
    expect(failed.error).toMatchObject({ errorType: 'RangeError', errorMessage: 'bad value: 42' })
    expect(failed.error?.trace?.[0]).toBe('RangeError: bad value: 42')
    // The runtime logs the error against the invocation.
    expect(failed.logs.some((line) => line.startsWith('Invoke Error'))).toBe(true)

    const bare = await fn.invoke({ action: 'throw-string' })
    expect(bare.error).toMatchObject({ errorType: 'string', errorMessage: 'a bare string' })

    const after = await fn.invoke<PlainEcho>({ value: 'still here' })
    expect(after.response?.echo).toBe('still here')
  })

  it('attributes log lines to the invocation that wrote them', async () => {
    const a = await fn.invoke({ action: 'log', lines: ['alpha one', 'multi\nline'] })
    const b = await fn.invoke({ action: 'log', lines: ['beta'] })
    expect(a.logs).toEqual(['alpha one', 'multi\nline', 'warned'])
    expect(a.logRecords.map((record) => record.level)).toEqual(['INFO', 'INFO', 'WARN'])
    expect(b.logs).toEqual(['beta', 'warned'])
    const all = fn.logs()
    expect(all.filter((record) => record.requestId === a.requestId)).toHaveLength(3)
    // Text format: timestamp, request id, level, message separated by tabs.
    expect(a.logRecords[0]?.raw).toMatch(
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+Z\\t${a.requestId}\\tINFO\\talpha one$`),
    )
  })

  it('passes the deadline, ARN, request id and optional headers into the context', async () => {
    const started = Date.now()
    const short = await fn.invoke<RemainingReport>(
      { action: 'remaining' },
      {
        timeoutMs: 3_000,
        traceId: 'Root=1-5e9f0c65-1de4d666d4dd26aced652b6c;Sampled=1',
        clientContext: { custom: { tenant: 't-1' } },
        cognitoIdentity: { cognitoIdentityId: 'id-1', cognitoIdentityPoolId: 'pool-1' },
      },
    )
    const elapsed = Date.now() - started
    const report = short.response!
    expect(report.remaining).toBeLessThanOrEqual(3_000)
    expect(report.remaining).toBeGreaterThan(3_000 - elapsed - 50)
    expect(report.requestId).toBe(short.requestId)
    expect(report.arn).toBe(fn.functionArn)
    expect(report.functionName).toBe('orc-e2e')
    expect(report.memory).toBe('128')
    expect(report.clientContext).toEqual({ custom: { tenant: 't-1' } })
    expect(report.identity).toEqual({ cognitoIdentityId: 'id-1', cognitoIdentityPoolId: 'pool-1' })
    expect(report.traceEnv).toBe('Root=1-5e9f0c65-1de4d666d4dd26aced652b6c;Sampled=1')

    const long = await fn.invoke<RemainingReport>({ action: 'remaining' })
    expect(long.response!.remaining).toBeGreaterThan(9_000)
  })
})

describeWithRuntime('one at a time: overlap is impossible', () => {
  let fn: RunningLambda
  beforeAll(async () => {
    fn = await startLambda({ handler: 'test/e2e/handlers/latch.ts' })
  })
  afterAll(() => fn?.stop())

  it('times out a latch that needs two invocations at once', async () => {
    const results = await fn.invokeMany<LatchResult>(latchEvents('seq', 2, 150))
    expect(results.map((r) => r.response?.outcome)).toEqual(['timed-out', 'released'])
    expect(results.every((r) => r.response?.peakInFlight === 1)).toBe(true)
  })
})

describeWithRuntime('multi-concurrent mode (AWS_LAMBDA_MAX_CONCURRENCY)', () => {
  let fn: RunningLambda
  beforeAll(async () => {
    fn = await startLambda({ handler: 'test/e2e/handlers/latch.ts', maxConcurrency: 4 })
  })
  afterAll(() => fn?.stop())

  it('overlaps invocations: four wait on one latch and are all released', async () => {
    const results = await fn.invokeMany<LatchResult>(latchEvents('four', 4, 5_000))
    expect(results.map((r) => r.error)).toEqual([undefined, undefined, undefined, undefined])
    expect(results.map((r) => r.response?.outcome)).toEqual([
      'released',
      'released',
      'released',
      'released',
    ])
    expect(Math.max(...results.map((r) => r.response?.peakInFlight ?? 0))).toBe(4)
  })

  it('attributes interleaved log lines to the right invocation (JSON log lines)', async () => {
    const results = await fn.invokeMany<LatchResult>(latchEvents('logs', 3, 5_000))
    for (const [i, result] of results.entries()) {
      expect(result.logs).toEqual([`marker logs-${i} ${result.requestId}`, `done logs-${i}`])
      expect(result.logRecords[0]?.raw.startsWith('{')).toBe(true)
    }
  })

  it('never hands out more than AWS_LAMBDA_MAX_CONCURRENCY invocations at once', async () => {
    // Six invocations waiting for all six cannot meet when only four run at once.
    const results = await fn.invokeMany<LatchResult>(latchEvents('cap', 6, 300))
    const peak = Math.max(...results.map((r) => r.response?.peakInFlight ?? 0))
    expect(peak).toBeLessThanOrEqual(4)
    expect(results.filter((r) => r.response?.outcome === 'timed-out').length).toBeGreaterThan(0)
  })
})

describeWithRuntime(
  'multi-concurrent mode with two worker threads (AWS_LAMBDA_NODEJS_WORKER_COUNT=2)',
  () => {
    let fn: RunningLambda
    beforeAll(async () => {
      fn = await startLambda({
        handler: 'test/e2e/handlers/plain.ts',
        maxConcurrency: 4,
        workerCount: 2,
      })
    })
    afterAll(() => fn?.stop())

    interface WaitReply {
      threadId: number
      invocations: number
      startedAt: number
    }

    it('loads the module once per worker: module state (and so a cache) is per worker', async () => {
      // Both workers are polling when the runtime is ready: two events go one to each.
      const [a, b] = await fn.invokeMany<WaitReply>([
        { action: 'wait', ms: 100 },
        { action: 'wait', ms: 100 },
      ])
      expect(a?.response?.threadId).not.toBe(b?.response?.threadId)
      expect([a?.response?.threadId, b?.response?.threadId].every((id) => (id ?? 0) > 0)).toBe(true)
      expect(a?.response?.invocations).toBe(1)
      expect(b?.response?.invocations).toBe(1)
    })
  },
)

describeWithRuntime('a Middy handler, bundled as CommonJS, logging JSON', () => {
  let fn: RunningLambda
  beforeAll(async () => {
    fn = await startLambda({
      handler: 'test/e2e/handlers/middy.ts',
      format: 'cjs',
      logFormat: 'json',
    })
  })
  afterAll(() => fn?.stop())

  it('runs the middleware chain around the handler', async () => {
    const ok = await fn.invoke({ name: 'orc' })
    expect(ok.response).toEqual({ statusCode: 200, body: 'hello orc!' })
    expect(ok.logs).toEqual([`before ${ok.requestId}`])
    expect(JSON.parse(ok.logRecords[0]?.raw ?? '{}')).toMatchObject({
      level: 'INFO',
      requestId: ok.requestId,
      message: `before ${ok.requestId}`,
    })
  })

  it('lets onError turn a thrown error into a response', async () => {
    const handled = await fn.invoke({ name: 'troll', fail: true })
    expect(handled.error).toBeUndefined()
    expect(handled.response).toEqual({ statusCode: 500, body: 'failed: cannot greet troll' })
    expect(handled.logs).toEqual([`before ${handled.requestId}`, 'onError cannot greet troll'])
  })
})

describeWithRuntime('init errors', () => {
  it('reports a module that throws while loading, and refuses invocations', async () => {
    const fn = await startLambda({ handler: 'test/e2e/handlers/init-error.ts' })
    try {
      expect(fn.initError?.errorType).toBe('TypeError')
      expect(JSON.parse(fn.initError?.body ?? '{}')).toMatchObject({
        errorType: 'TypeError',
        errorMessage: 'ORC_E2E_REQUIRED_SETTING is not set',
      })
      await expect(fn.invoke({})).rejects.toThrow(/failed to initialise/)
    } finally {
      await fn.stop()
    }
  })

  it('initialises the same module once its setting is given', async () => {
    const fn = await startLambda({
      handler: 'test/e2e/handlers/init-error.ts',
      env: { ORC_E2E_REQUIRED_SETTING: 'eu-west-1' },
    })
    try {
      expect(fn.initError).toBeUndefined()
      expect((await fn.invoke({})).response).toEqual({ region: 'eu-west-1' })
    } finally {
      await fn.stop()
    }
  })

  it('reports a missing export as Runtime.HandlerNotFound', async () => {
    const fn = await startLambda({ handler: 'test/e2e/handlers/plain.ts', exportName: 'nope' })
    try {
      expect(fn.initError?.errorType).toBe('Runtime.HandlerNotFound')
    } finally {
      await fn.stop()
    }
  })
})

describeWithRuntime('timeouts', () => {
  it('rejects an invocation that outlives its deadline', async () => {
    const fn = await startLambda({ handler: 'test/e2e/handlers/plain.ts' })
    try {
      const started = Date.now()
      await expect(fn.invoke({ action: 'wait', ms: 5_000 }, { timeoutMs: 200 })).rejects.toThrow(
        /timed out after 200 ms/,
      )
      expect(Date.now() - started).toBeLessThan(4_000)
    } finally {
      await fn.stop()
    }
  })
})

describe('parseLogLine', () => {
  it('reads text, JSON and unattributed lines', () => {
    expect(parseLogLine('2026-01-01T00:00:00.000Z\tabc-1\tINFO\tone\rtwo', 'stdout')).toMatchObject(
      {
        requestId: 'abc-1',
        level: 'INFO',
        message: 'one\ntwo',
      },
    )
    expect(
      parseLogLine('{"timestamp":"x","level":"WARN","requestId":"r-2","message":"m"}', 'stdout'),
    ).toMatchObject({ requestId: 'r-2', level: 'WARN', message: 'm' })
    const bare = parseLogLine('plain write', 'stderr')
    expect(bare.requestId).toBeUndefined()
    expect(bare.message).toBe('plain write')
  })
})
