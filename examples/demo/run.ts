/**
 * The body of `npm run demo` (started by ../demo.mjs): runs the examples under
 * the real Lambda runtime client, on this machine, and prints what happened.
 */
import { connect } from 'node:net'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import {
  type InvokeResult,
  type RunningLambda,
  startLambda,
} from '../../test/e2e/harness/lambda.js'
import { type FixtureName, httpApiEvent } from '../../test/helpers/events.js'
import { maskCard, type PaymentEvent, type PaymentResult, SAMPLE_PAYMENTS } from '../payments.js'

type HttpResult = APIGatewayProxyStructuredResultV2

export interface DemoOptions {
  color: boolean
  write?: (line: string) => void
}

const style = (color: boolean) => {
  const wrap = (open: number, close: number) => (text: string) =>
    color ? `\u001b[${open}m${text}\u001b[${close}m` : text
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  }
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g')
const width = (text: string) => text.replace(ANSI, '').length
const pad = (text: string, n: number) => text + ' '.repeat(Math.max(0, n - width(text)))
const padStart = (text: string, n: number) => ' '.repeat(Math.max(0, n - width(text))) + text

/** Prints rows as aligned columns (the last column is not padded). */
const table = (rows: string[][], write: (line: string) => void, right: ReadonlySet<number>) => {
  const widths: number[] = []
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, width(cell))
  }
  for (const row of rows) {
    write(
      `   ${row
        .map((cell, i) =>
          i === row.length - 1
            ? cell
            : right.has(i)
              ? padStart(cell, widths[i]!)
              : pad(cell, widths[i]!),
        )
        .join('  ')}`.trimEnd(),
    )
  }
}

/** Whether something listens on 127.0.0.1:port (within 500 ms). */
const reachable = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once('connect', () => done(true)).once('error', () => done(false))
  })

const ms = (value: number) => `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ms`

const httpEvent = (
  method: string,
  path: string,
  query: Record<string, string> = {},
  fixture: FixtureName = 'apigw-v2-request-no-authorizer',
): APIGatewayProxyEventV2 => httpApiEvent(method, path, { query, fixture })

const cacheEvents = (result: InvokeResult) =>
  result.logs.filter((line) => line.startsWith('orcCache ')).map((line) => line.slice(9))

const CARDS = SAMPLE_PAYMENTS
/** A leakGuard finding line: severity, kind, place, field and masked value. */
const FINDING = /^leakGuard: (\w+) ([\w-]+): (.+?) holds (\S+) = (.+?) of request /

const masked = (card: PaymentEvent) => maskCard(card.credit_card_number)

/** Runs the demo; resolves with the number of sections that failed. */
export const runDemo = async ({ color, write = console.log }: DemoOptions): Promise<number> => {
  const s = style(color)
  const running: RunningLambda[] = []
  const start = async (...args: Parameters<typeof startLambda>) => {
    const fn = await startLambda(...args)
    running.push(fn)
    return fn
  }
  let failures = 0
  const section = async (title: string, body: () => Promise<void>) => {
    write('')
    write(s.bold(title))
    try {
      await body()
    } catch (error) {
      failures++
      write(`   ${s.red('failed:')} ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  try {
    const http = await start({
      handler: 'examples/http-api.ts',
      env: { EXAMPLE_DB_LATENCY_MS: '60' },
    })
    write(
      `${s.bold('middy-orc demo')} ${s.dim(`· real AWS Lambda runtime client (aws-lambda-ric) on Node ${http.nodeVersion}, local Runtime API, no AWS account`)}`,
    )

    await section(
      '1. orcCache in front of an HTTP API  (examples/http-api.ts, API Gateway v2 events)',
      async () => {
        const requests: [string, Record<string, string>][] = [
          ['/products/1', {}],
          ['/products/1', {}],
          ['/products/1', {}],
          ['/products/2/price', { currency: 'USD' }],
          ['/products/2/price', { currency: 'USD' }],
          ['/products/2/price', { currency: 'GBP' }],
          ['/products/2/price', { currency: 'USD' }],
        ]
        const rows = [
          [s.dim('#'), s.dim('request'), s.dim('status'), s.dim('cache'), s.dim('latency')],
        ]
        const missTimes: number[] = []
        const hitTimes: number[] = []
        for (const [i, [path, query]] of requests.entries()) {
          const result = await http.invoke<HttpResult>(httpEvent('GET', path, query))
          const state = String(
            result.response?.headers?.['x-orc-cache'] ?? cacheEvents(result)[0] ?? '?',
          )
          ;(state === 'HIT' ? hitTimes : missTimes).push(result.durationMs)
          const q = new URLSearchParams(query).toString()
          rows.push([
            String(i + 1),
            `GET ${path}${q ? `?${q}` : ''}`,
            String(result.response?.statusCode ?? result.error?.errorType),
            state === 'HIT' ? s.green('HIT') : s.yellow(state),
            ms(result.durationMs),
          ])
        }
        table(rows, write, new Set([0, 4]))
        const median = (xs: number[]) =>
          [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
        if (missTimes.length > 0 && hitTimes.length > 0) {
          write(
            `   ${s.dim('median')} miss ${ms(median(missTimes))} ${s.dim('→')} hit ${s.green(ms(median(hitTimes)))}  ${s.dim('(the miss pays the 60 ms "database"; a hit skips the handler)')}`,
          )
        }
      },
    )

    await section(
      '2. Ten overlapping requests for one key  (AWS_LAMBDA_MAX_CONCURRENCY=10, as on Lambda Managed Instances)',
      async () => {
        const busy = await start({
          handler: 'examples/http-api.ts',
          maxConcurrency: 10,
          env: { EXAMPLE_DB_LATENCY_MS: '250' },
        })
        const wave = await busy.invokeMany<HttpResult>(
          Array.from({ length: 10 }, () => httpEvent('GET', '/products/2')),
        )
        const count = (type: string) =>
          wave.filter((result) => cacheEvents(result).includes(type)).length
        const slowest = Math.max(...wave.map((result) => result.durationMs))
        const ok = wave.every((result) => result.response?.statusCode === 200)
        table(
          [
            [s.dim('ran the handler'), `${count('miss')}`],
            [s.dim('waited for it, then hit'), `${count('wait')}`],
            [s.dim('all answered 200'), ok ? s.green('yes') : s.red('no')],
            [s.dim('slowest answer'), ms(slowest)],
          ],
          write,
          new Set(),
        )
        write(
          `   ${s.dim('single flight: concurrent misses for one key share one run of the handler')}`,
        )
      },
    )

    await section('3. What the cache refused to store, and why', async () => {
      const cases: { label: string; event: APIGatewayProxyEventV2 }[] = [
        { label: 'GET /me', event: httpEvent('GET', '/me') },
        { label: 'GET /products/999', event: httpEvent('GET', '/products/999') },
        { label: 'GET /catalogue', event: httpEvent('GET', '/catalogue') },
        { label: 'POST /products/1', event: httpEvent('POST', '/products/1') },
        {
          label: 'GET /products/1 (IAM caller)',
          event: httpEvent('GET', '/products/1', {}, 'apigw-v2-request-iam'),
        },
      ]
      const rows = [[s.dim('request'), s.dim('status'), s.dim('cache'), s.dim('why')]]
      for (const { label, event } of cases) {
        const result = await http.invoke<HttpResult>(event)
        const events = cacheEvents(result)
        const response = result.response
        const cacheControl = String(response?.headers?.['cache-control'] ?? '')
        const warning = result.logRecords.find(
          (r) => r.level === 'WARN' && r.message.includes('orcCache'),
        )
        let outcome: string
        let why: string
        if (events.includes('bypass')) {
          outcome = s.dim('bypass')
          why = `${event.requestContext.http.method} is not cached (only GET and HEAD)`
        } else if (events.includes('reject')) {
          outcome = s.red('refused')
          why = warning
            ? warning.message.replace(/^orcCache:\s*/, '')
            : /no-store|private/.test(cacheControl)
              ? `the response says Cache-Control: ${cacheControl}`
              : `status ${response?.statusCode}: only 2xx answers are stored`
        } else if (events.includes('store')) {
          outcome = s.green('stored')
          why =
            'an authenticated caller gets an entry of its own (keyed by a digest of its identity)'
        } else {
          outcome = events.join(',') || '?'
          why = ''
        }
        rows.push([label, String(response?.statusCode ?? '-'), outcome, why])
      }
      table(rows, write, new Set([1]))
    })

    await section(
      '4. The module-level card under overlapping invocations  (AWS_LAMBDA_MAX_CONCURRENCY=4)',
      async () => {
        const env = { EXAMPLE_PAYMENTS_CONNECT_MS: '100' }
        const [buggy, clean] = await Promise.all([
          start({ handler: 'examples/card-check-buggy.ts', maxConcurrency: 4, env }),
          start({ handler: 'examples/card-check.ts', maxConcurrency: 4, env }),
        ])
        const [buggyResults, cleanResults] = await Promise.all([
          buggy.invokeMany<PaymentResult>(CARDS),
          clean.invokeMany<PaymentResult>(CARDS),
        ])
        const rows = [
          [
            s.dim('card sent'),
            s.dim('card-check-buggy.ts verified'),
            s.dim('card-check.ts verified'),
          ],
        ]
        const mark = (sent: string, got: string | undefined) =>
          got === sent
            ? `${got} ${s.green('✓')}`
            : `${got ?? '-'} ${s.red('✗ someone else’s card')}`
        CARDS.forEach((card, i) => {
          rows.push([
            masked(card),
            mark(masked(card), buggyResults[i]?.response?.verified),
            mark(masked(card), cleanResults[i]?.response?.verified),
          ])
        })
        table(rows, write, new Set())
        write(
          `   ${s.dim('`let creditCard` at module level is shared by every invocation in the environment.')}`,
        )
      },
    )

    await section(
      '5. leakGuard in a dev stage  (examples/leak-guard-dev.ts, LEAK_GUARD=warn)',
      async () => {
        const rows = [[s.dim('handler'), s.dim('leakGuard says')]]
        for (const [label, exportName] of [
          ['card-check-buggy.ts', 'buggyHandler'],
          ['card-check.ts', 'handler'],
        ] as const) {
          const fn = await start({
            handler: 'examples/leak-guard-dev.ts',
            exportName,
            env: { LEAK_GUARD: 'warn' },
          })
          for (const card of CARDS.slice(0, 2)) await fn.invoke(card)
          const lines = fn
            .logs()
            .map((r) => r.message)
            .filter((message) => message.startsWith('leakGuard:'))
          const said: string[] = []
          for (const line of lines) {
            const finding = FINDING.exec(line)
            if (finding) {
              const [, severity, kind, where, field, value] = finding
              said.push(
                `${s.red(`${severity} ${kind}`)}  ${where} holds ${field} = ${s.bold(value ?? '')}`,
              )
            } else said.push(s.dim(line.replace(/^leakGuard:\s*/, '')))
          }
          if (said.length === 0)
            rows.push([label, s.green('quiet: nothing outlived its invocation')])
          else for (const [i, text] of said.entries()) rows.push([i === 0 ? label : '', text])
        }
        table(rows, write, new Set())
        write(
          `   ${s.dim('Values are masked before they are logged; a card shows only its first six and last four digits.')}`,
        )
      },
    )

    await section(
      '6. Two environments sharing one Redis  (examples/shared-tier.ts, shared: redisStore(client))',
      async () => {
        if (!(await reachable(6379))) {
          write(
            `   ${s.yellow('skipped:')} no Redis at 127.0.0.1:6379 (start one with \`redis-server\` to see this part)`,
          )
          return
        }
        // A prefix of its own per run: nothing another run stored is found.
        const env = {
          EXAMPLE_DB_LATENCY_MS: '60',
          ORC_CACHE_REDIS_PREFIX: `orc-demo-${process.pid}-${Date.now()}:`,
        }
        const [a, b] = await Promise.all([
          start({ handler: 'examples/shared-tier.ts', env }),
          start({ handler: 'examples/shared-tier.ts', env }),
        ])
        const rows = [
          [s.dim('env'), s.dim('request'), s.dim('status'), s.dim('cache'), s.dim('latency')],
        ]
        for (const [name, fn] of [
          ['A', a],
          ['B', b],
          ['B', b],
          ['A', a],
        ] as const) {
          const result = await fn.invoke<HttpResult>(httpEvent('GET', '/products/1'))
          const state = String(result.response?.headers?.['x-orc-cache'] ?? '?')
          rows.push([
            name,
            'GET /products/1',
            String(result.response?.statusCode ?? result.error?.errorType),
            state.startsWith('HIT') ? s.green(state) : s.yellow(state),
            ms(result.durationMs),
          ])
        }
        table(rows, write, new Set([4]))
        write(
          `   ${s.dim('A and B are separate runtime processes. B never ran the handler: HIT-SHARED came from Redis, then B kept a copy in memory (HIT).')}`,
        )
      },
    )
  } finally {
    await Promise.all(running.map((fn) => fn.stop()))
  }
  write('')
  return failures
}
