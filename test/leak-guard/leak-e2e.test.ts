/**
 * The leaks of issue 12 under the real runtime client (aws-lambda-ric on Node 22+), each
 * handler wrapped as `middy(base).use(leakGuard())` with `LEAK_GUARD=warn` and nothing
 * else, in both builds: ES modules with the packages as files loaded from `node_modules`,
 * and one CommonJS file bundled by esbuild with nothing external (as CDK's
 * NodejsFunction deploys it). Each leaky handler proves its own leak; each finding names
 * its place; no value is ever printed in clear. Clean handlers stay silent.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type LambdaOptions, type RunningLambda, startLambda } from '../e2e/harness/lambda.js'
import { describeWithRuntime } from '../e2e/harness/with-runtime.js'

const FIXTURES = 'test/leak-guard/leak-fixtures/e2e'
const email = () => `user.${randomBytes(6).toString('hex')}@example.com`
const token = () => `tok_${randomBytes(16).toString('hex')}`
const post = (body: unknown) => ({ body: JSON.stringify(body) })
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

const findings = (fn: RunningLambda) =>
  fn
    .logs()
    .map(({ message }) => message)
    .filter((message) => message.includes('leakGuard:'))

/** Fails if a raw value shows anywhere in the function's output. */
const expectNoneInClear = (fn: RunningLambda, values: readonly string[]) => {
  const output = fn
    .logs()
    .map(({ raw }) => raw)
    .join('\n')
  for (const value of values) expect(output).not.toContain(value)
}

const BUILDS = [
  {
    build: 'ES modules',
    format: 'esm',
    packages: 'external',
    file: 'index.mjs',
  },
  {
    build: 'CommonJS bundle',
    format: 'cjs',
    packages: 'bundle',
    // Bundled, axios is a module variable of the handler file, `axios_default` to esbuild
    // (what `import axios from 'axios'` became), named after its module: `axios`.
    file: 'index.js',
  },
] as const

describeWithRuntime.each(BUILDS)('$build', ({ format, packages, file }) => {
  const running: RunningLambda[] = []
  const start = async (fixture: string, options: Partial<LambdaOptions> = {}) => {
    const fn = await startLambda({
      handler: `${FIXTURES}/${fixture}.ts`,
      format,
      packages,
      env: { LEAK_GUARD: 'warn' },
      ...options,
    })
    running.push(fn)
    return fn
  }
  afterAll(async () => {
    await Promise.all(running.map((fn) => fn.stop()))
  })
  const mod = `module ${file.replace('.', '\\.')}`

  test('process.env written with request data: process.env.USER_EMAIL', async () => {
    const fn = await start('env')
    const [a, b] = [email(), email()]
    await fn.invoke(post({ email: a }), { requestId: 'env-a' })
    await fn.invoke(post({ email: b }), { requestId: 'env-b' })
    expect(findings(fn)).toContainEqual(
      expect.stringMatching(
        /^leakGuard: HIGH persisted: process\.env\.USER_EMAIL holds body\.email = .* of request env-a, found at the end of request env-a$/,
      ),
    )
    expectNoneInClear(fn, [a, b])
  })

  test('a singleton in a class static field: Api.instance.token', async () => {
    const fn = await start('static-field')
    const [a, b] = [token(), token()]
    await fn.invoke(post({ token: a }), { requestId: 'static-a' })
    await fn.invoke(post({ token: b }), { requestId: 'static-b' })
    expect(findings(fn)).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `persisted: ${mod}: Api\\.instance\\.token holds body\\.token = .* of request static-a`,
        ),
      ),
    )
    expectNoneInClear(fn, [a, b])
  })

  test('an HTTP client’s defaults: axios.defaults.headers.common.Authorization', async () => {
    const fn = await start('axios-defaults')
    const [a, b] = [token(), token()]
    await fn.invoke(post({ token: a }), { requestId: 'axios-a' })
    await fn.invoke(post({ token: b }), { requestId: 'axios-b' })
    expect(findings(fn)).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `persisted: ${mod}: axios\\.defaults\\.headers\\.common\\.Authorization \\(as part of a string\\) holds body\\.token = .* of request axios-a`,
        ),
      ),
    )
    expectNoneInClear(fn, [a, b])
  })

  test('Powertools Logger: appendKeys never reset', async () => {
    const fn = await start('logger-append')
    const [a, b] = [email(), email()]
    await fn.invoke(post({ email: a }), { requestId: 'append-a' })
    await fn.invoke(post({ email: b }), { requestId: 'append-b' })
    expect(findings(fn)).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `persisted: ${mod}: logger\\.#attributesStore\\.#temporaryAttributes\\..*userEmail holds body\\.email = .* of request append-a`,
        ),
      ),
    )
    expectNoneInClear(fn, [a, b])
  })

  test('Powertools Logger: a persistent key', async () => {
    const fn = await start('logger-persistent')
    const [a, b] = [email(), email()]
    await fn.invoke(post({ email: a }), { requestId: 'persist-a' })
    await fn.invoke(post({ email: b }), { requestId: 'persist-b' })
    expect(findings(fn)).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `persisted: ${mod}: logger\\.#attributesStore\\.#persistentAttributes\\.userEmail holds body\\.email = .* of request persist-a`,
        ),
      ),
    )
    expectNoneInClear(fn, [a, b])
  })

  test('a listener’s closure on a module-level emitter keeps the event', async () => {
    const fn = await start('emitter')
    const [a, b] = [email(), email()]
    await fn.invoke(post({ email: a }), { requestId: 'listener-a' })
    await fn.invoke(post({ email: b }), { requestId: 'listener-b' })
    expect(findings(fn)).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `persisted: ${mod}: bus\\._events\\.shutdown.*\\[\\[closure\\]\\]\\.event\\.body \\(as part of a string\\) holds body\\.email = .* of request listener-a`,
        ),
      ),
    )
    expectNoneInClear(fn, [a, b])
  })

  test('fire and forget: a timer left pending holding the event, and where it was made', async () => {
    const fn = await start('fire-and-forget')
    const a = email()
    // A warm-up (the first check discovers the code, which takes longer in a large bundle).
    await fn.invoke(post({ email: email(), auditInMs: 0 }), { requestId: 'forget-0' })
    // A schedules its audit in 300 ms and returns; B runs meanwhile and waits 600 ms.
    await fn.invoke(post({ email: a, auditInMs: 300 }), { requestId: 'forget-a' })
    const b = await fn.invoke(post({ email: email(), auditInMs: 5_000, waitMs: 600 }), {
      requestId: 'forget-b',
    })
    // The leak: A's audit ran during B's invocation (the runtime logs it under B's id).
    expect(b.logs.filter((line) => line.startsWith('audit sent'))).toHaveLength(1)
    expect(findings(fn)).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^leakGuard: HIGH pending: pending setTimeout \\(300 ms\\) created at ${file.replace('.', '\\.')}:\\d+:\\d+\\.callback\\[\\[closure\\]\\]\\.event\\.body \\(as part of a string\\) holds body\\.email = .* of request forget-a, still pending after it returned$`,
        ),
      ),
    )
    expectNoneInClear(fn, [a])
  })

  describe('fire and forget with I/O', () => {
    // An audit endpoint on 127.0.0.1 that answers after 300 ms: a request not awaited is
    // still under way when the handler returns.
    let audit: Server
    const audited: string[] = []
    beforeAll(async () => {
      audit = createServer((request, response) => {
        let body = ''
        request.setEncoding('utf8')
        request.on('data', (chunk: string) => {
          body += chunk
        })
        request.on('end', () => {
          audited.push(body)
          setTimeout(() => response.end('{}'), 300)
        })
      })
      await new Promise<void>((done) => audit.listen(0, '127.0.0.1', done))
    })
    afterAll(() => {
      audit.closeAllConnections()
      return new Promise<void>((done) => audit.close(() => done()))
    })
    const env = () => ({
      LEAK_GUARD: 'warn',
      AUDIT_URL: `http://127.0.0.1:${(audit.address() as AddressInfo).port}/audit`,
    })
    const site = `${file.replace('.', '\\.')}:\\d+:\\d+`

    test('an HTTP request, a file write and a fetch left pending, named with where they were made', async () => {
      const fn = await start('forget-io', { env: env() })
      const [a, b] = [token(), token()]
      await fn.invoke(post({ kind: 'http', token: a }), { requestId: 'io-http' })
      await fn.invoke(post({ kind: 'file', token: b }), { requestId: 'io-file' })
      const c = token()
      await fn.invoke(post({ kind: 'fetch', token: c }), { requestId: 'io-fetch' })
      await fn.invoke(post({ kind: 'none', token: token() }), { requestId: 'io-none' })
      expect(audited.some((body) => body.includes(a))).toBe(true) // it was sent all the same
      const lines = findings(fn)
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^leakGuard: MEDIUM pending: pending HTTP request POST 127\\.0\\.0\\.1 \\(http\\.request\\) created at ${site}\\.headers\\.authorization \\(as part of a string\\) holds body\\.token = .* of request io-http, still pending after it returned$`,
          ),
        ),
      )
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^leakGuard: MEDIUM pending: pending file operation \\(fs\\.promises\\.writeFile\\) created at ${site} is still pending after request io-file returned$`,
          ),
        ),
      )
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^leakGuard: MEDIUM pending: pending HTTP request POST 127\\.0\\.0\\.1:\\d+ \\(fetch\\) created at ${site}\\.headers\\[\\d+\\] \\(as part of a string\\) holds body\\.token = .* of request io-fetch, still pending after it returned$`,
          ),
        ),
      )
      expect(lines.filter((line) => line.includes('io-none'))).toEqual([])
      expectNoneInClear(fn, [a, b, c])
    })

    test('the same I/O awaited stays silent, keep-alive connection included', async () => {
      const fn = await start('clean-io', { env: env() })
      for (let i = 0; i < 4; i++) {
        const result = await fn.invoke(post({ token: token() }), { requestId: `clean-io-${i}` })
        expect(result.error).toBeUndefined()
      }
      expect(findings(fn)).toEqual([])
    })
  })

  test('cross-request: a reply with the tenant of a request that has already ended', async () => {
    const fn = await start('tenant', { maxConcurrency: 4, workerCount: 1 })
    const [a, b] = [
      `tenant-${randomBytes(5).toString('hex')}`,
      `tenant-${randomBytes(5).toString('hex')}`,
    ]
    const long = fn.invoke(post({ tenant: a, afterMs: 700 }), { requestId: 'long-a' })
    await sleep(100)
    const short = await fn.invoke(post({ tenant: b }), { requestId: 'short-b' })
    const reply = await long
    expect(short.response).toEqual({ statusCode: 200, body: JSON.stringify({ tenant: b }) })
    expect(reply.response).toEqual({ statusCode: 200, body: JSON.stringify({ tenant: b }) }) // the mix-up
    const lines = findings(fn)
    expect(lines).toContainEqual(
      expect.stringMatching(
        /CRITICAL cross-request: response\.body \(as part of a string\) holds body\.tenant = .* of request short-b, an overlapping request, found at the end of request long-a$/,
      ),
    )
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `CRITICAL cross-request: ${mod}: tenantId holds body\\.tenant = .* of request short-b, an overlapping request, found at the end of request long-a$`,
        ),
      ),
    )
    expectNoneInClear(fn, [a, b])
  })

  describe('clean handlers stay silent', () => {
    const silent = async (fixture: string, event: (i: number) => unknown) => {
      const fn = await start(fixture)
      for (let i = 0; i < 4; i++) {
        const result = await fn.invoke(event(i), { requestId: `${fixture}-${i}` })
        expect(result.error).toBeUndefined()
      }
      expect(findings(fn)).toEqual([])
    }
    const PRODUCTS = ['p1', 'p22', 'p1', 'p333']

    test('config and an SDK-like client made at init, counters, a memo by product id', () =>
      silent('clean-state', (i) =>
        post({ email: email(), productId: PRODUCTS[i], quantity: i + 1 }),
      ))
    test('Powertools Logger with resetKeys', () =>
      silent('clean-logger', () => post({ email: email() })))
    test('orcCache in the stack', () =>
      silent('cached', (i) => ({ productId: PRODUCTS[i], lang: `en-${i}` })))
    test('awaited, cleared and unref’d timers', () =>
      silent('awaited-timers', () => post({ email: email() })))
    test('a handler that only echoes', () => silent('echo', () => post({ email: email() })))
    test('module variables rebound with no request data (a flag, a counter, a product id)', () =>
      silent('rebinding', (i) => post({ email: email(), productId: PRODUCTS[i] })))

    describe('the AWS SDK (DynamoDB) with its client made at init', () => {
      // A local stand-in for DynamoDB on 127.0.0.1: it answers PutItem with `{}`, over
      // keep-alive connections the SDK keeps open between invocations.
      let server: Server
      let puts = 0
      beforeAll(async () => {
        server = createServer((request, response) => {
          request.resume().on('end', () => {
            puts++
            response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' })
            response.end('{}')
          })
        })
        await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
      })
      afterAll(() => new Promise<void>((done) => server.close(() => done())))

      test('stays silent, keep-alive sockets included', async () => {
        const { port } = server.address() as AddressInfo
        const fn = await start('clean-sdk', {
          env: {
            LEAK_GUARD: 'warn',
            DYNAMODB_ENDPOINT: `http://127.0.0.1:${port}`,
            AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
            AWS_SECRET_ACCESS_KEY: 'example-secret',
          },
        })
        for (let i = 0; i < 4; i++) {
          const result = await fn.invoke(post({ email: email(), orderId: `o-${i}` }), {
            requestId: `sdk-${i}`,
          })
          expect(result.error).toBeUndefined()
        }
        expect(puts).toBeGreaterThanOrEqual(4)
        expect(findings(fn)).toEqual([])
      })
    })
  })
})
