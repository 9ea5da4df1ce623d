/**
 * A small local implementation of the AWS Lambda Runtime API (the HTTP interface
 * the runtime client polls), on 127.0.0.1 and a random port:
 *
 * - `GET  /2018-06-01/runtime/invocation/next`: long-polls until an event is
 *   queued, then answers with the event and the invoke headers.
 * - `POST /2018-06-01/runtime/invocation/{id}/response`
 * - `POST /2018-06-01/runtime/invocation/{id}/error`
 * - `POST /2018-06-01/runtime/init/error`
 *
 * Several `next` requests may be outstanding at once (multi-concurrent mode);
 * at most `maxInFlight` invocations are handed out at a time, as the Lambda
 * service does with `AWS_LAMBDA_MAX_CONCURRENCY`.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

const PREFIX = '/2018-06-01/runtime'
const INVOCATION_PATH = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/

/** What the runtime reported for one invocation. */
export interface InvocationOutcome {
  requestId: string
  /** `response` for POST .../response, `error` for POST .../error. */
  kind: 'response' | 'error'
  /** The raw request body the runtime client posted. */
  body: string
  /** The `Lambda-Runtime-Function-Error-Type` header, on errors. */
  errorType?: string
  /** Milliseconds from handing the event to the runtime to its answer. */
  durationMs: number
}

/** An error the runtime reported while initialising (POST /runtime/init/error). */
export interface InitErrorReport {
  errorType: string
  body: string
}

/** One event to hand to the runtime, with the invoke headers that go with it. */
export interface InvocationRequest {
  /** The event, already serialised to JSON. */
  payload: string
  requestId?: string
  /** Absolute deadline (epoch ms) for `Lambda-Runtime-Deadline-Ms`. */
  deadlineMs: number
  functionArn: string
  traceId?: string
  clientContext?: unknown
  cognitoIdentity?: unknown
  tenantId?: string
}

interface Pending {
  request: InvocationRequest & { requestId: string }
  dispatchedAt?: number
  resolve: (outcome: InvocationOutcome) => void
  reject: (error: Error) => void
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })

const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  })
  res.end(text)
}

export class RuntimeApi {
  /** `host:port`, the value for `AWS_LAMBDA_RUNTIME_API`. */
  readonly address: string
  /** Set once the runtime posts an init error. */
  initError: InitErrorReport | undefined

  readonly #server: Server
  readonly #maxInFlight: number
  readonly #queue: Pending[] = []
  readonly #inFlight = new Map<string, Pending>()
  readonly #waiting: ServerResponse[] = []
  readonly #listeners = new Set<() => void>()
  #nextRequests = 0
  #closed = false

  private constructor(server: Server, maxInFlight: number) {
    this.#server = server
    this.#maxInFlight = maxInFlight
    const { port } = server.address() as AddressInfo
    this.address = `127.0.0.1:${port}`
  }

  /** Starts a server on 127.0.0.1 and a free port. */
  static async start({ maxInFlight = 1 }: { maxInFlight?: number } = {}): Promise<RuntimeApi> {
    let api: RuntimeApi | undefined
    const server = createServer((req, res) => {
      api?.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { errorMessage: String(error) })
      })
    })
    server.keepAliveTimeout = 0
    server.requestTimeout = 0
    server.headersTimeout = 0
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    api = new RuntimeApi(server, maxInFlight)
    return api
  }

  /** How many `next` long-polls are waiting right now. */
  get waitingPolls(): number {
    return this.#waiting.length
  }

  /** How many `next` requests the runtime has made in total. */
  get nextRequests(): number {
    return this.#nextRequests
  }

  /** Invocations handed to the runtime and not answered yet. */
  get inFlight(): number {
    return this.#inFlight.size
  }

  /**
   * Queues one invocation. Resolves with the runtime's answer (a response or an
   * error); rejects only if the server is closed or the invocation is abandoned.
   */
  invoke(request: InvocationRequest): { requestId: string; outcome: Promise<InvocationOutcome> } {
    const requestId = request.requestId ?? randomUUID()
    const outcome = new Promise<InvocationOutcome>((resolve, reject) => {
      if (this.#closed) {
        reject(new Error('runtime API is closed'))
        return
      }
      this.#queue.push({ request: { ...request, requestId }, resolve, reject })
    })
    this.#dispatch()
    return { requestId, outcome }
  }

  /** Rejects a queued or in-flight invocation (after a harness-side timeout). */
  abandon(requestId: string, error: Error): void {
    const inFlight = this.#inFlight.get(requestId)
    if (inFlight) {
      this.#inFlight.delete(requestId)
      inFlight.reject(error)
      this.#dispatch()
      return
    }
    const index = this.#queue.findIndex((p) => p.request.requestId === requestId)
    if (index >= 0) this.#queue.splice(index, 1)[0]?.reject(error)
  }

  /** Rejects everything outstanding (the runtime process died). */
  failAll(error: Error): void {
    for (const pending of [...this.#queue, ...this.#inFlight.values()]) pending.reject(error)
    this.#queue.length = 0
    this.#inFlight.clear()
  }

  /** Resolves once `predicate` holds, re-checked after every request served. */
  waitFor(predicate: () => boolean): Promise<void> {
    if (predicate()) return Promise.resolve()
    return new Promise((resolve) => {
      const check = () => {
        if (predicate()) {
          this.#listeners.delete(check)
          resolve()
        }
      }
      this.#listeners.add(check)
    })
  }

  /** Closes the server, dropping long-polls and rejecting outstanding invocations. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.failAll(new Error('runtime API closed'))
    for (const res of this.#waiting) res.destroy()
    this.#waiting.length = 0
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener()
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && this.#inFlight.size < this.#maxInFlight) {
      const res = this.#waiting.shift()
      if (!res) break
      if (res.destroyed || res.writableEnded) continue
      const pending = this.#queue.shift()!
      this.#send(res, pending)
    }
  }

  #send(res: ServerResponse, pending: Pending): void {
    const { request } = pending
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(request.payload),
      'Lambda-Runtime-Aws-Request-Id': request.requestId,
      'Lambda-Runtime-Deadline-Ms': String(request.deadlineMs),
      'Lambda-Runtime-Invoked-Function-Arn': request.functionArn,
    }
    if (request.traceId !== undefined) headers['Lambda-Runtime-Trace-Id'] = request.traceId
    if (request.clientContext !== undefined) {
      headers['Lambda-Runtime-Client-Context'] = JSON.stringify(request.clientContext)
    }
    if (request.cognitoIdentity !== undefined) {
      headers['Lambda-Runtime-Cognito-Identity'] = JSON.stringify(request.cognitoIdentity)
    }
    if (request.tenantId !== undefined) headers['Lambda-Runtime-Aws-Tenant-Id'] = request.tenantId
    pending.dispatchedAt = performance.now()
    this.#inFlight.set(request.requestId, pending)
    res.writeHead(200, headers)
    res.end(request.payload)
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? ''
    try {
      if (req.method === 'GET' && url === `${PREFIX}/invocation/next`) {
        this.#nextRequests++
        // A poll the runtime gives up on (closed socket) must not swallow an event.
        res.on('close', () => {
          const index = this.#waiting.indexOf(res)
          if (index >= 0) this.#waiting.splice(index, 1)
        })
        this.#waiting.push(res)
        this.#dispatch()
        return
      }
      if (req.method === 'POST' && url === `${PREFIX}/init/error`) {
        const body = await readBody(req)
        const header = req.headers['lambda-runtime-function-error-type']
        this.initError = { errorType: typeof header === 'string' ? header : 'unknown', body }
        sendJson(res, 202, { status: 'OK' })
        return
      }
      const match = req.method === 'POST' ? INVOCATION_PATH.exec(url) : null
      if (match) {
        const requestId = decodeURIComponent(match[1]!)
        const kind = match[2] as 'response' | 'error'
        const body = await readBody(req)
        const pending = this.#inFlight.get(requestId)
        if (!pending) {
          sendJson(res, 400, {
            errorMessage: `unknown or already answered request id ${requestId}`,
            errorType: 'InvalidRequestID',
          })
          return
        }
        this.#inFlight.delete(requestId)
        const header = req.headers['lambda-runtime-function-error-type']
        sendJson(res, 202, { status: 'OK' })
        pending.resolve({
          requestId,
          kind,
          body,
          ...(typeof header === 'string' ? { errorType: header } : {}),
          durationMs: performance.now() - (pending.dispatchedAt ?? performance.now()),
        })
        this.#dispatch()
        return
      }
      sendJson(res, 404, { errorMessage: `no route ${req.method} ${url}` })
    } finally {
      this.#notify()
    }
  }
}
