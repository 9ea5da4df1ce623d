/**
 * Work that outlives its invocation, beyond timers: an HTTP request, a file write, a DNS
 * lookup, a `process.nextTick` started by the handler and not awaited, in process (the
 * fixtures run unchanged under the runtime client in leak-e2e.test.ts). Each is reported
 * as `pending`, named with what it is and where the handler's code created it, with the
 * request data it holds where it holds some; the same work awaited stays silent.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { LeakFinding } from '../../src/leak-guard/index.js'
import { type FixtureBase, guardModule } from './helpers.js'

const token = () => `tok_${randomBytes(16).toString('hex')}`
const FIXTURE = 'test/leak-guard/leak-fixtures'

let server: Server
/** Bodies the audit server received, and when. */
const received: { body: string; at: number }[] = []
beforeAll(async () => {
  // Answers each audit after 100 ms: a request not awaited is still under way at the end.
  server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => {
      body += chunk
    })
    request.on('end', () => {
      received.push({ body, at: Date.now() })
      setTimeout(() => response.end('{}'), 100)
    })
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  process.env.AUDIT_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/audit`
})
afterAll(async () => {
  delete process.env.AUDIT_URL
  server.closeAllConnections()
  await new Promise((done) => server.close(done))
})

const guarded = async (fixture: string) =>
  guardModule((await import(`./leak-fixtures/${fixture}.mjs`)) as { base: FixtureBase })

/**
 * Whether this Node publishes `http.client.request.created` (22.12+, 24), from the
 * caller's code: without it an HTTP request is seen by its connection only, which Node
 * opens a tick later, outside the caller's code.
 */
const createdChannel = await (async () => {
  const channels = await import('node:diagnostics_channel')
  const { request } = await import('node:http')
  let seen = false
  const see = () => {
    seen = true
  }
  channels.subscribe('http.client.request.created', see)
  const probe = request('http://127.0.0.1:9/')
  probe.on('error', () => {})
  probe.destroy()
  channels.unsubscribe('http.client.request.created', see)
  return seen
})()

const pendingOf = (findings: readonly LeakFinding[]) =>
  findings.filter((finding) => finding.kind === 'pending')

describe('fire and forget with I/O is reported as pending', () => {
  test.skipIf(!createdChannel)(
    'an HTTP request: what, where, and the token in its Authorization header',
    async () => {
      const { invoke, findings, lines } = await guarded('forget-io')
      const a = token()
      const returned = Date.now()
      await invoke({ kind: 'http', token: a }, 'http-1')
      // The leak: the audit reached the server after the invocation had returned.
      await new Promise((done) => setTimeout(done, 200))
      expect(received.find(({ body }) => body.includes(a))?.at).toBeGreaterThanOrEqual(returned)
      expect(pendingOf(findings)).toContainEqual(
        expect.objectContaining({
          where: expect.stringMatching(
            new RegExp(
              `^pending HTTP request POST 127\\.0\\.0\\.1 \\(http\\.request\\) created at ${FIXTURE}/forget-io\\.mjs:\\d+:\\d+\\.headers\\.authorization$`,
            ),
          ),
          as: 'substring',
          field: 'body.token',
          requestId: 'http-1',
        }),
      )
      expect(lines.join('\n')).not.toContain(a)
    },
  )

  test('fetch: what, where, and the token in its headers', async () => {
    const { invoke, findings, lines } = await guarded('forget-io')
    const a = token()
    await invoke({ kind: 'fetch', token: a }, 'fetch-1')
    expect(pendingOf(findings)).toContainEqual(
      expect.objectContaining({
        where: expect.stringMatching(
          new RegExp(
            `^pending HTTP request POST 127\\.0\\.0\\.1:\\d+ \\(fetch\\) created at ${FIXTURE}/forget-io\\.mjs:\\d+:\\d+\\.headers\\[\\d+\\]$`,
          ),
        ),
        as: 'substring',
        field: 'body.token',
        requestId: 'fetch-1',
      }),
    )
    expect(lines.join('\n')).not.toContain(a)
  })

  test.each([
    ['file', 'file operation \\(fs\\.promises\\.writeFile\\)'],
    ['file-callback', 'file operation \\(fs\\.writeFile\\)'],
    ['dns', 'DNS lookup \\(dns\\.lookup\\)'],
  ])('%s: named, with where it was created', async (kind, what) => {
    const { invoke, findings } = await guarded('forget-io')
    await invoke({ kind, token: token() }, `${kind}-1`)
    expect(pendingOf(findings)).toEqual([
      expect.objectContaining({
        severity: 'medium',
        where: expect.stringMatching(
          new RegExp(`^pending ${what} created at ${FIXTURE}/forget-io\\.mjs:\\d+:\\d+$`),
        ),
        requestId: `${kind}-1`,
      }),
    ])
  })

  test('process.nextTick: its callback holds the event', async () => {
    const { invoke, findings, lines } = await guarded('forget-io')
    const a = token()
    const log = console.log
    console.log = () => {}
    try {
      await invoke({ kind: 'tick', token: a }, 'tick-1')
      await new Promise((done) => setImmediate(done))
    } finally {
      console.log = log
    }
    expect(pendingOf(findings)).toContainEqual(
      expect.objectContaining({
        where: expect.stringMatching(
          new RegExp(
            `^pending process\\.nextTick created at ${FIXTURE}/forget-io\\.mjs:\\d+:\\d+\\.callback\\[\\[closure\\]\\]\\.event\\.body$`,
          ),
        ),
        field: 'body.token',
        requestId: 'tick-1',
      }),
    )
    expect(lines.join('\n')).not.toContain(a)
  })
})

test('the same I/O awaited stays silent, keep-alive connection included', async () => {
  const { invoke, findings } = await guarded('clean-io')
  for (let i = 0; i < 3; i++) await invoke({ token: token() }, `clean-io-${i}`)
  expect(findings).toEqual([])
})
