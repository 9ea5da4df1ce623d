/**
 * The local Runtime API on its own, spoken to over HTTP as the runtime client
 * speaks to it.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { RuntimeApi } from './harness/runtime-api.js'

const BASE = '/2018-06-01/runtime'

let api: RuntimeApi | undefined
afterEach(async () => {
  await api?.close()
  api = undefined
})

const url = (path: string) => `http://${api!.address}${BASE}${path}`
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url(path), { method: 'POST', body: JSON.stringify(body), headers })

describe('RuntimeApi', () => {
  it('long-polls next until an event is queued, with the invoke headers', async () => {
    api = await RuntimeApi.start()
    const next = fetch(url('/invocation/next'))
    await api.waitFor(() => api!.waitingPolls === 1)
    const { requestId, outcome } = api.invoke({
      payload: JSON.stringify({ hello: 'world' }),
      deadlineMs: 1_900_000_000_000,
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f',
      traceId: 'Root=1-abc',
      clientContext: { custom: { a: 1 } },
      cognitoIdentity: { cognitoIdentityId: 'id' },
    })
    const res = await next
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ hello: 'world' })
    expect(res.headers.get('lambda-runtime-aws-request-id')).toBe(requestId)
    expect(res.headers.get('lambda-runtime-deadline-ms')).toBe('1900000000000')
    expect(res.headers.get('lambda-runtime-invoked-function-arn')).toBe(
      'arn:aws:lambda:us-east-1:123456789012:function:f',
    )
    expect(res.headers.get('lambda-runtime-trace-id')).toBe('Root=1-abc')
    expect(JSON.parse(res.headers.get('lambda-runtime-client-context') ?? '')).toEqual({
      custom: { a: 1 },
    })
    expect(JSON.parse(res.headers.get('lambda-runtime-cognito-identity') ?? '')).toEqual({
      cognitoIdentityId: 'id',
    })

    const answered = await post(`/invocation/${requestId}/response`, { ok: true })
    expect(answered.status).toBe(202)
    expect(await outcome).toMatchObject({ requestId, kind: 'response', body: '{"ok":true}' })

    // A second answer for the same request is refused.
    const again = await post(`/invocation/${requestId}/response`, { ok: false })
    expect(again.status).toBe(400)
  })

  it('records errors with their type header, and init errors', async () => {
    api = await RuntimeApi.start()
    const { requestId, outcome } = api.invoke({
      payload: '{}',
      deadlineMs: Date.now() + 1_000,
      functionArn: 'arn',
    })
    const next = await fetch(url('/invocation/next'))
    expect(next.headers.get('lambda-runtime-aws-request-id')).toBe(requestId)
    const error = { errorType: 'TypeError', errorMessage: 'x is not a function', trace: [] }
    await post(`/invocation/${requestId}/error`, error, {
      'Lambda-Runtime-Function-Error-Type': 'TypeError',
    })
    expect(await outcome).toMatchObject({ kind: 'error', errorType: 'TypeError' })

    await post(
      '/init/error',
      { errorType: 'Runtime.HandlerNotFound', errorMessage: 'no' },
      {
        'Lambda-Runtime-Function-Error-Type': 'Runtime.HandlerNotFound',
      },
    )
    expect(api.initError?.errorType).toBe('Runtime.HandlerNotFound')
    expect((await fetch(url('/nowhere'))).status).toBe(404)
  })

  it('serves several outstanding polls, at most maxInFlight invocations at a time', async () => {
    api = await RuntimeApi.start({ maxInFlight: 2 })
    const polls = [0, 1, 2].map(() => fetch(url('/invocation/next')))
    await api.waitFor(() => api!.waitingPolls === 3)
    const invocations = [0, 1, 2].map((i) =>
      api!.invoke({ payload: String(i), deadlineMs: Date.now() + 5_000, functionArn: 'arn' }),
    )
    // Left unanswered: closing the API rejects them.
    for (const { outcome } of invocations) outcome.catch(() => {})
    const served = await Promise.race([
      Promise.all(polls.slice(0, 2)),
      new Promise((resolve) => setTimeout(resolve, 2_000, 'timeout')),
    ])
    expect(served).not.toBe('timeout')
    expect(api.inFlight).toBe(2)
    expect(api.waitingPolls).toBe(1)
    // Answering one lets the third out on the waiting poll.
    await post(`/invocation/${invocations[0]!.requestId}/response`, 'done')
    const third = await polls[2]!
    expect(await third.json()).toBe(2)
    expect(api.inFlight).toBe(2)
  })
})
