/**
 * leakGuard's module-scope reader end to end: handlers bundled with esbuild, run by the
 * real AWS Lambda Runtime Interface Client (Node 22+) behind a local Runtime API, found
 * with no option at all (`.use(leakGuard())`), one at a time and with overlapping
 * invocations (`AWS_LAMBDA_MAX_CONCURRENCY`).
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type RunningLambda, startLambda } from '../e2e/harness/lambda.js'
import { describeWithRuntime } from '../e2e/harness/with-runtime.js'

const FIXTURES = 'test/leak-guard/scope-fixtures/e2e'
const CARD_A = '4111111111111111'
const CARD_B = '5555555555554444'
const pay = (card: string, timing: { beforeMs?: number; afterMs?: number } = {}) => ({
  body: JSON.stringify({ card }),
  ...timing,
})

const findings = (fn: RunningLambda) =>
  fn
    .logs()
    .map(({ message }) => message)
    .filter((message) => message.includes('leakGuard:'))

describeWithRuntime('one invocation at a time', () => {
  let fn: RunningLambda
  beforeAll(async () => {
    fn = await startLambda({ handler: `${FIXTURES}/card.ts` })
  })
  afterAll(() => fn?.stop())

  test('the module-level card is reported, masked, with its request id', async () => {
    const a = await fn.invoke(pay(CARD_A), { requestId: 'req-a' })
    await fn.invoke(pay(CARD_B), { requestId: 'req-b' })
    expect(a.response).toEqual({ statusCode: 200, body: JSON.stringify({ charged: CARD_A }) })
    const lines = findings(fn)
    expect(lines).toContainEqual(
      expect.stringMatching(
        /persisted: module index\.mjs: creditCard holds body\.card = card 411111\*{6}1111 of request req-a/,
      ),
    )
    expect(lines.join('\n')).not.toMatch(new RegExp(`${CARD_A}|${CARD_B}`))
  })
})

describeWithRuntime('bundled as CommonJS', () => {
  let fn: RunningLambda
  beforeAll(async () => {
    fn = await startLambda({ handler: `${FIXTURES}/card.ts`, format: 'cjs' })
  })
  afterAll(() => fn?.stop())

  test('the module-level card is reported under the CommonJS bundle', async () => {
    await fn.invoke(pay(CARD_A), { requestId: 'cjs-a' })
    expect(findings(fn)).toContainEqual(
      expect.stringMatching(
        /persisted: module index\.js: creditCard holds body\.card = card 411111\*{6}1111 of request cjs-a/,
      ),
    )
  })
})

describeWithRuntime('overlapping invocations (AWS_LAMBDA_MAX_CONCURRENCY=4)', () => {
  let fn: RunningLambda
  beforeAll(async () => {
    fn = await startLambda({ handler: `${FIXTURES}/card.ts`, maxConcurrency: 4 })
  })
  afterAll(() => fn?.stop())

  test('a reply carrying the other request’s card is reported as cross-request', async () => {
    // A keeps its card, then waits; B, still in flight when A ends, overwrites it
    // meanwhile: A replies with B's card, and the module holds B's card at A's end.
    const [a, b] = await fn.invokeMany([
      pay(CARD_A, { afterMs: 600 }),
      pay(CARD_B, { beforeMs: 200, afterMs: 1_000 }),
    ])
    expect(a?.response).toEqual({ statusCode: 200, body: JSON.stringify({ charged: CARD_B }) })
    const cross = findings(fn).filter(
      (line) =>
        line.includes('CRITICAL cross-request') &&
        line.includes(`of request ${b!.requestId}, an overlapping request`) &&
        line.includes(`found at the end of request ${a!.requestId}`),
    )
    expect(cross).toEqual([
      expect.stringContaining(
        'module index.mjs: creditCard holds body.card = card 555555******4444',
      ),
      expect.stringContaining('response.body (as part of a string) holds body.card'),
    ])
  })
})

describeWithRuntime('a clean handler', () => {
  let fn: RunningLambda
  beforeAll(async () => {
    fn = await startLambda({ handler: `${FIXTURES}/clean.ts` })
  })
  afterAll(() => fn?.stop())

  test('produces no finding', async () => {
    for (const [i, card] of [CARD_A, CARD_B, CARD_A].entries()) {
      const result = await fn.invoke(pay(card), { requestId: `clean-${i}` })
      expect(result.error).toBeUndefined()
    }
    expect(findings(fn)).toEqual([])
  })
})
