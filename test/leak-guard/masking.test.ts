import middy from '@middy/core'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { LeakError, type LeakFinding, leakGuard } from '../../src/leak-guard/index.js'
import { AWS_KEY, apiEvent, BEARER, CARD_A, context, deleteGlobals, EMAIL, JWT } from './helpers.js'

const g = globalThis as typeof globalThis & Record<string, unknown>
const RAW = [
  CARD_A,
  '4111 1111 1111 1111',
  JWT,
  ...JWT.split('.'),
  BEARER,
  BEARER.slice(7),
  AWS_KEY,
  EMAIL,
]

const leakyHandler = () =>
  middy(async (event: { body: string; headers: Record<string, string> }) => {
    const body = JSON.parse(event.body)
    g.leakedEverything = {
      card: body.card,
      spacedCard: body.spacedCard,
      jwt: body.jwt,
      auth: event.headers.Authorization,
      key: body.key,
      byEmail: { [body.email]: true },
      note: `sent by ${body.email}`,
    }
    return { statusCode: 200, body: 'ok' }
  })

const leakyEvent = () =>
  apiEvent(
    { card: CARD_A, spacedCard: '4111 1111 1111 1111', jwt: JWT, key: AWS_KEY, email: EMAIL },
    { Authorization: BEARER },
  )

const expectNoRawValue = (output: string) => {
  expect(output.length).toBeGreaterThan(0)
  for (const raw of RAW) expect(output).not.toContain(raw)
}

afterEach(() => {
  deleteGlobals('leakedEverything')
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

describe('no output ever holds a raw sensitive value', () => {
  test('console (text), onLeak payloads: every kind reported, each masked', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const found: LeakFinding[] = []
    await leakyHandler().use(leakGuard({ onLeak: (f) => void found.push(f) }))(
      leakyEvent(),
      context('req-1'),
    )
    const kinds = new Set(found.map((f) => f.sensitive))
    expect(kinds).toEqual(new Set(['card', 'jwt', 'bearer', 'aws-access-key', 'email']))
    expect(found.map((f) => f.value)).toContain('411111******1111')
    expect(found.map((f) => f.value)).toContain(`<jwt, ${JWT.length} chars>`)
    expect(found.map((f) => f.value)).toContain('<aws access key AKIA, 20 chars>')
    expect(found.find((f) => f.as === 'key')?.where).toMatch(
      /^globalThis\.leakedEverything\.byEmail\[<email fp:[0-9a-f]{10}>\]$/,
    )
    expect(warn).toHaveBeenCalledTimes(found.length)
    expectNoRawValue(JSON.stringify(warn.mock.calls))
    expectNoRawValue(JSON.stringify(found))
  })

  test('console as JSON when AWS_LAMBDA_LOG_FORMAT=JSON', async () => {
    vi.stubEnv('AWS_LAMBDA_LOG_FORMAT', 'JSON')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    await leakyHandler().use(leakGuard())(leakyEvent(), context('req-1'))
    const lines = warn.mock.calls.map((call) => JSON.parse(String(call[0])))
    expect(lines.length).toBeGreaterThan(0)
    expect(lines[0]).toMatchObject({ level: 'WARN', leakGuard: { requestId: 'req-1' } })
    expectNoRawValue(JSON.stringify(warn.mock.calls))
  })

  test('a Powertools Logger receives structured findings', async () => {
    const { Logger } = await import('@aws-lambda-powertools/logger')
    const written: string[] = []
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk) => {
        written.push(String(chunk))
        return true
      })
    }
    const logger = new Logger({ serviceName: 'leak-test' })
    await leakyHandler().use(leakGuard({ logger }))(leakyEvent(), context('req-1'))
    vi.restoreAllMocks()
    const entries = written
      .join('')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(entries.some((e) => e.leakGuard?.sensitive === 'card')).toBe(true)
    expectNoRawValue(written.join(''))
  })

  test('the LeakError of throw mode', async () => {
    const handler = leakyHandler().use(
      leakGuard({ mode: 'throw', logger: { warn: () => undefined } }),
    )
    const error = await handler(leakyEvent(), context('req-1')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LeakError)
    const leak = error as LeakError
    expect(leak.findings.length).toBeGreaterThanOrEqual(5)
    expect(leak.message).toContain('411111******1111')
    expectNoRawValue(`${leak.message}\n${leak.stack}\n${JSON.stringify(leak.findings)}`)
  })
})
