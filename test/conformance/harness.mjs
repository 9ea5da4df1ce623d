/**
 * orcCache under the public HTTP caching test suite (npm `http-cache-tests`, the
 * suite behind cache-tests.fyi; BSD-3-Clause, by Mark Nottingham).
 *
 * The suite's own client and origin server (imported from the package, not
 * copied) run with orcCache between them, deployed as a user deploys it:
 *
 *   suite client ──HTTP──▶ API Gateway HTTP API emulator (payload format 2.0)
 *                            │ a v2 event per request
 *                            ▼
 *                  middy(proxyToOrigin).use(orcCache())   (default options)
 *                            │ HTTP
 *                            ▼
 *                   the suite's origin server
 *
 * The suite judges the cache by what reaches the origin. Its `/config` and
 * `/state` routes (test set-up and read-back) go straight to the origin, as
 * separate routes would; only `/test/...` goes through the function.
 *
 * Everything listens on 127.0.0.1 and binds a free port.
 */
import { createServer, request as httpRequest } from 'node:http'
import middy from '@middy/core'
import { getResults, runTests } from 'http-cache-tests/client/runner.mjs'
import { determineTestResult } from 'http-cache-tests/lib/display.mjs'
import published from 'http-cache-tests/results/index.mjs'
import handleConfig from 'http-cache-tests/server/handle-config.mjs'
import handleState from 'http-cache-tests/server/handle-state.mjs'
import handleTest from 'http-cache-tests/server/handle-test.mjs'
import suites from 'http-cache-tests/tests/index.mjs'
import surrogate from 'http-cache-tests/tests/surrogate-control.mjs'
import fetch from 'node-fetch'

const LOOPBACK = '127.0.0.1'

/** Every suite the package's own CLI runs (its index, plus Surrogate-Control). */
export const testSuites = [...suites, surrogate]

const listen = (server) =>
  new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, LOOPBACK, () => resolve(server.address().port))
  })

/** The suite's origin server: the package's own request handlers, bound to loopback. */
export const startOrigin = async () => {
  const server = createServer((request, response) => {
    const segments = new URL(request.url, 'http://origin').pathname.split('/')
    segments.shift()
    const route = segments.shift()
    if (route === 'config') handleConfig(segments, request, response)
    else if (route === 'test') handleTest(segments, request, response)
    else if (route === 'state') handleState(segments, request, response)
    else response.writeHead(404).end()
  })
  const port = await listen(server)
  return { port, close: () => new Promise((resolve) => server.close(resolve)) }
}

/** Header pairs → lower-case names, repeated fields joined with `, ` (as API Gateway does). */
const joinHeaders = (rawHeaders) => {
  const headers = {}
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase()
    const value = rawHeaders[i + 1]
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value
  }
  return headers
}

const TEXTUAL = /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript))/i

let requestCount = 0

/**
 * A realistic API Gateway HTTP API (payload format 2.0) event for one request:
 * lower-case, comma-joined headers; `cookies` apart; `rawPath`/`rawQueryString`;
 * `requestContext.http`; a body base64-encoded unless textual.
 */
export const toV2Event = (request, body) => {
  const url = new URL(request.url, 'http://gateway')
  const headers = joinHeaders(request.rawHeaders)
  const cookies = headers.cookie?.split(/;\s*/).filter((cookie) => cookie !== '')
  delete headers.cookie
  const host = headers.host ?? 'abcdef123.execute-api.us-east-1.amazonaws.com'
  headers['x-forwarded-for'] = request.socket.remoteAddress ?? LOOPBACK
  headers['x-forwarded-port'] = String(request.socket.localPort ?? 443)
  headers['x-forwarded-proto'] = 'https'
  headers['x-amzn-trace-id'] =
    `Root=1-${Date.now().toString(16)}-${String(++requestCount).padStart(24, '0')}`
  const now = Date.now()
  const event = {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdef123',
      domainName: host,
      domainPrefix: host.split('.')[0],
      http: {
        method: request.method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? LOOPBACK,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: `req-${requestCount}`,
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    isBase64Encoded: false,
  }
  if (body.length > 0) {
    const textual = TEXTUAL.test(headers['content-type'] ?? '')
    event.body = textual ? body.toString('utf8') : body.toString('base64')
    event.isBase64Encoded = !textual
  }
  return event
}

/** A Lambda context with a 30 s budget from now. */
const lambdaContext = () => {
  const deadline = Date.now() + 30_000
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'orc-conformance',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:orc-conformance',
    memoryLimitInMB: '1024',
    awsRequestId: `req-${requestCount}`,
    logGroupName: '/aws/lambda/orc-conformance',
    logStreamName: '2026/12/02/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  }
}

/**
 * The handler a user would write to front an origin: forwards the v2 event as an
 * HTTP request (advertising orcCache's Surrogate-Control target, as a handler
 * that fronts an origin may), returns a v2 result (`cookies` from `Set-Cookie`, repeated
 * fields comma-joined). A dropped connection is a thrown error (API Gateway then answers 500).
 */
export const proxyToOrigin = (originPort, surrogateCapability) => async (event) => {
  const headers = { ...event.headers }
  // Tells the origin which Surrogate-Control target orcCache answers to.
  if (surrogateCapability) headers['surrogate-capability'] = surrogateCapability
  if (event.cookies?.length) headers.cookie = event.cookies.join('; ')
  for (const name of ['host', 'x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto']) {
    delete headers[name]
  }
  const body =
    event.body === undefined
      ? undefined
      : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8')
  const target = event.rawQueryString ? `${event.rawPath}?${event.rawQueryString}` : event.rawPath
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: LOOPBACK,
        port: originPort,
        method: event.requestContext.http.method,
        path: target,
        headers,
      },
      (response) => {
        const chunks = []
        response.on('data', (chunk) => chunks.push(chunk))
        response.on('error', reject)
        response.on('end', () => {
          const joined = joinHeaders(response.rawHeaders)
          const cookies = response.headers['set-cookie']
          delete joined['set-cookie']
          // Framing is the gateway's; `Connection` is passed on as the origin sent it.
          for (const name of ['keep-alive', 'transfer-encoding', 'content-length']) {
            delete joined[name]
          }
          const payload = Buffer.concat(chunks)
          const textual = payload.length === 0 || TEXTUAL.test(joined['content-type'] ?? '')
          resolve({
            statusCode: response.statusCode,
            headers: joined,
            ...(cookies?.length ? { cookies } : {}),
            body: textual ? payload.toString('utf8') : payload.toString('base64'),
            isBase64Encoded: !textual,
          })
        })
      },
    )
    outgoing.on('error', reject)
    outgoing.end(body)
  })
}

/** Writes a v2 result as API Gateway would (Lambda errors become a 500). */
const writeResult = (method, response, result) => {
  const headers = { ...(result.headers ?? {}) }
  // API Gateway owns the connection and the framing.
  for (const name of ['connection', 'keep-alive', 'transfer-encoding', 'content-length']) {
    delete headers[name]
  }
  if (result.cookies?.length) headers['set-cookie'] = result.cookies
  const body =
    result.body === undefined || result.body === null
      ? Buffer.alloc(0)
      : Buffer.from(String(result.body), result.isBase64Encoded ? 'base64' : 'utf8')
  const status = result.statusCode ?? 200
  const bodiless = method === 'HEAD' || status === 204 || status === 304
  if (!bodiless) headers['content-length'] = String(body.length)
  response.writeHead(status, headers)
  response.end(bodiless ? undefined : body)
}

/**
 * The API Gateway emulator in front of `handler` (a Middy handler taking v2
 * events); `/config` and `/state` are piped to the origin as they are.
 */
export const startGateway = async (originPort, handler) => {
  const server = createServer((request, response) => {
    const route = new URL(request.url, 'http://gateway').pathname.split('/')[1]
    if (route !== 'test') {
      const upstream = httpRequest(
        {
          host: LOOPBACK,
          port: originPort,
          method: request.method,
          path: request.url,
          headers: request.headers,
        },
        (reply) => {
          response.writeHead(reply.statusCode ?? 502, reply.headers)
          reply.pipe(response)
        },
      )
      upstream.on('error', () => response.writeHead(502).end())
      request.pipe(upstream)
      return
    }
    const chunks = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', () => {
      const event = toV2Event(request, Buffer.concat(chunks))
      handler(event, lambdaContext()).then(
        (result) => writeResult(request.method, response, result),
        () => {
          response.writeHead(500, { 'content-type': 'application/json' })
          response.end('{"message":"Internal Server Error"}')
        },
      )
    })
  })
  const port = await listen(server)
  return { port, close: () => new Promise((resolve) => server.close(resolve)) }
}

/**
 * Runs the whole suite once against `cacheModule.orcCache(cacheOptions)` (the package's
 * client, origin and test definitions). The suite's client keeps its results in
 * module state, so run it once per process.
 *
 * @returns raw results by test id (`true` or `[kind, message]`), and the cache
 */
export const runConformance = async (cacheModule, cacheOptions = {}) => {
  const origin = await startOrigin()
  const cache = cacheModule.orcCache({ logger: { warn: () => {} }, ...cacheOptions })
  const handler = middy(proxyToOrigin(origin.port, cacheModule.SURROGATE_CAPABILITY)).use(cache)
  const gateway = await startGateway(origin.port, handler)
  // The suite's server logs its own warnings (such as a 409 for an unexpected request).
  const log = console.log
  console.log = () => {}
  try {
    await runTests(testSuites, fetch, false, `http://${LOOPBACK}:${gateway.port}`)
  } finally {
    console.log = log
    await gateway.close()
    await origin.close()
  }
  return { results: getResults(), cache }
}

/** Test ids by kind: `required` (or unset), `optimal`, `check`. */
export const testsById = () => {
  const byId = new Map()
  for (const suite of testSuites) {
    for (const test of suite.tests) {
      if (test.browser_only) continue
      byId.set(test.id, { ...test, suite: suite.name, kind: test.kind ?? 'required' })
    }
  }
  return byId
}

/**
 * The verdict cache-tests.fyi shows for one test: `pass`, `fail`,
 * `optional_fail`, `yes`, `no`, `setup_fail`, `harness_fail`,
 * `dependency_fail`, `retry` or `untested` (the package's own judgement).
 */
export const verdict = (results, id, honourDependencies = true) => {
  const symbol = determineTestResult(testSuites, id, results, honourDependencies)
  return VERDICTS.get(symbol[2]) ?? 'untested'
}

const VERDICTS = new Map([
  ['-', 'untested'],
  ['✅', 'pass'],
  ['⛔️', 'fail'],
  ['⚠️', 'optional_fail'],
  ['Y', 'yes'],
  ['N', 'no'],
  ['🔹', 'setup_fail'],
  ['⁉️', 'harness_fail'],
  ['⚪️', 'dependency_fail'],
  ['↻', 'retry'],
])

/** The published results shipped in the package: `[{ name, version, results }]`, proxies and CDNs only. */
export const publishedResults = async () => {
  const { readFile } = await import('node:fs/promises')
  const { createRequire } = await import('node:module')
  const require = createRequire(import.meta.url)
  const dir = new URL('.', `file://${require.resolve('http-cache-tests/results/index.mjs')}`)
  return Promise.all(
    published
      .filter((entry) => entry.type !== 'browser')
      .map(async (entry) => ({
        name: entry.name,
        version: entry.version,
        results: JSON.parse(await readFile(new URL(entry.file, dir), 'utf8')),
      })),
  )
}
