/**
 * Work that outlives its invocation ("fire and forget"): timers, immediates, I/O
 * requests (a file operation, a DNS lookup, a socket connection or write), an outgoing
 * HTTP request still waiting for its response, a `process.nextTick` callback, started by
 * an invocation and still pending when it returns. They run while the environment is
 * frozen, or during someone else's invocation, with whatever they hold.
 *
 * An `async_hooks` hook, enabled only while an invocation is in flight, sees each such
 * resource created; an `AsyncLocalStorage` entered in the guard's `before` tells which
 * invocation's code created it (also under overlapping invocations). A one-shot request
 * is done when its callback starts (the hook's `before`). HTTP requests are seen through
 * Node's diagnostics channels (`http.client.request.created`, Node 22.?+ and 24), done
 * once their response has arrived or they failed; `fetch` requests through undici's
 * (`undici:request:create`), with the caller's site from a wrapper of `globalThis.fetch`
 * (see `wrapFetch`). The creation site is captured as a
 * short V8 stack trace (formatted only when reported) and must be first-party code:
 * resources created by Node itself, by code under `node_modules` (also bundled: see
 * `bundle.ts`) or by the runtime client (`LAMBDA_RUNTIME_DIR`) are never reported, nor
 * unref'd timers (a library's background work, e.g. a keep-alive socket's idle timeout,
 * by intent), nor a `process.nextTick` that Node's own code queued. Sockets themselves
 * are not work (a client's keep-alive sockets stay open by design); their pending
 * connections and writes are. Promises are not tracked (on Node 24+ the hook asks Node
 * not to: `trackPromises`): an operation started after an `await` inside a library or
 * Node (`fs.promises.writeFile`'s write after its open) has no first-party frame and is
 * not seen.
 */
import type { AsyncHook, AsyncLocalStorage, AsyncLocalStorage as Storage } from 'node:async_hooks'
import { creationSite } from './site.js'

/** One pending resource at the end of its invocation: what it is, where, what it holds. */
export interface PendingWork {
  /**
   * `setTimeout (500 ms)`, `setInterval (1000 ms)`, `setImmediate`, `process.nextTick`,
   * `file operation (fs.writeFile)`, `DNS lookup (dns.lookup)`, `HTTP request POST
   * api.example.com (http.request)`...
   */
  readonly what: string
  /** Where it was created: `index.mjs:12:5` (relative to the task root), or undefined. */
  readonly site: string
  /** What it will run with (its callback and arguments), or send (an HTTP request's headers). */
  readonly holds: Readonly<Record<string, unknown>>
}

interface Tracked {
  /** The async resource type (`Timeout`, `FSREQCALLBACK`...), or `HTTP` for a request. */
  readonly type: string
  readonly resource: object
  /** Holds a captured stack, formatted only when read. */
  readonly trace: { stack?: string }
}

/** One-shot requests tracked, done when their callback starts, by what they are called. */
const REQUESTS: Readonly<Record<string, string>> = {
  TickObject: 'process.nextTick',
  FSREQCALLBACK: 'file operation',
  FSREQPROMISE: 'file operation',
  GETADDRINFOREQWRAP: 'DNS lookup',
  GETNAMEINFOREQWRAP: 'DNS lookup',
  QUERYWRAP: 'DNS query',
  TCPCONNECTWRAP: 'socket connection',
  PIPECONNECTWRAP: 'socket connection',
  WRITEWRAP: 'socket write',
}

/**
 * What one invocation created, kept in the tracker's AsyncLocalStorage while it runs. A
 * fresh one is `{ ended: false, live: new Map() }`.
 */
export interface InvocationRecord {
  ended: boolean
  readonly live: Map<number, Tracked>
}

/**
 * Frames above the creating code: the hook, Node's emitInit, the resource's constructor,
 * the API called and its inner calls (`http.request` to a DNS lookup: about 10).
 */
const STACK_FRAMES = 10

const field = (object: object, key: string): unknown => {
  const descriptor = Object.getOwnPropertyDescriptor(object, key)
  return descriptor !== undefined && 'value' in descriptor ? descriptor.value : undefined
}

/**
 * Where each `fetch` call came from. undici starts a request after awaits of its own, with
 * no frame of the caller's code left on the stack; so `globalThis.fetch` is wrapped (once
 * per process, by the first tracker) to capture the caller's stack and run the call in
 * this context, where the request's creation (`undici:request:create`) finds it. The
 * wrapper passes its arguments, `this` and result through unchanged; code that kept the
 * original `fetch` before is not seen.
 */
interface FetchCall {
  readonly trace: { stack?: string }
}
/** `active`: how many trackers have an invocation in flight (their hook enabled). */
const fetchWrap: { calls?: AsyncLocalStorage<FetchCall>; active: number } = { active: 0 }

const wrapFetch = (asyncHooks: typeof import('node:async_hooks')): void => {
  if (fetchWrap.calls !== undefined) return
  const original: unknown = globalThis.fetch
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'fetch')
  if (typeof original !== 'function' || descriptor?.writable !== true) return
  const calls = new asyncHooks.AsyncLocalStorage<FetchCall>()
  fetchWrap.calls = calls
  const wrapped = function fetch(this: unknown, ...args: unknown[]): unknown {
    if (fetchWrap.active === 0) return Reflect.apply(original, this, args)
    const trace: { stack?: string } = {}
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = STACK_FRAMES
    Error.captureStackTrace(trace, wrapped)
    Error.stackTraceLimit = limit
    return calls.run({ trace }, () => Reflect.apply(original, this, args))
  }
  Object.defineProperty(globalThis, 'fetch', { ...descriptor, value: wrapped })
}

/** Tracks the timers and immediates of invocations; see the module comment. */
export interface PendingTracker {
  /**
   * Starts tracking what the current invocation (`key`) creates. Call in `before`,
   * synchronously: it enters the invocation's record into the async context. Or pass a
   * fresh `record` already entered there (`storage.enterWith(record)`), when `before` had
   * to wait before it could call this.
   */
  begin(key: object, record?: InvocationRecord): void
  /** Stops tracking `key` and returns its first-party work still pending. */
  end(key: object): PendingWork[]
}

export const createPendingTracker = (options: {
  /** True when invocations cannot overlap: an earlier one still tracked is over. */
  oneAtATime: boolean
  root: string
  runtimeDir: string | undefined
  /** Where an invocation's record lives (default a new one). */
  storage?: Storage<InvocationRecord>
}): PendingTracker | undefined => {
  let asyncHooks: typeof import('node:async_hooks')
  try {
    asyncHooks = process.getBuiltinModule('node:async_hooks')
  } catch {
    return undefined
  }
  const storage: Storage<InvocationRecord> = options.storage ?? new asyncHooks.AsyncLocalStorage()
  const inFlight = new Map<object, InvocationRecord>()

  /** Captures where the current code is, formatted only when read. */
  const capture = (above: (...args: never[]) => unknown): { stack?: string } => {
    const trace: { stack?: string } = {}
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = STACK_FRAMES
    Error.captureStackTrace(trace, above)
    Error.stackTraceLimit = limit
    return trace
  }

  function init(asyncId: number, type: string, _trigger: number, resource: object): void {
    if (type !== 'Timeout' && type !== 'Immediate' && REQUESTS[type] === undefined) return
    const record = storage.getStore()
    if (record === undefined || record.ended) return
    record.live.set(asyncId, { type, resource, trace: capture(init) })
  }
  const destroy = (asyncId: number): void => {
    for (const record of inFlight.values()) if (record.live.delete(asyncId)) return
  }
  /** A one-shot request is done once its callback starts (a timer may repeat: destroy). */
  const before = (asyncId: number): void => {
    for (const record of inFlight.values()) {
      const tracked = record.live.get(asyncId)
      if (tracked === undefined) continue
      if (REQUESTS[tracked.type] !== undefined) record.live.delete(asyncId)
      return
    }
  }
  // `trackPromises` (Node 24.9+; ignored before) spares every promise a call into the hook.
  const hook: AsyncHook = asyncHooks.createHook({
    init,
    before,
    destroy,
    trackPromises: false,
  } as never)

  // Outgoing HTTP requests, through Node's diagnostics channels: created (in the caller's
  // code, so with its frames), then answered or failed. Keys below zero: no async id.
  const requests = new WeakMap<object, { record: InvocationRecord; key: number }>()
  let requestKeys = 0
  const onCreated = (message: unknown): void => {
    if (inFlight.size === 0) return
    const request = field(message as object, 'request')
    const record = storage.getStore()
    if (typeof request !== 'object' || request === null || record === undefined || record.ended)
      return
    const key = --requestKeys
    record.live.set(key, { type: 'HTTP', resource: request, trace: capture(created) })
    requests.set(request, { record, key })
  }
  const onDone = (message: unknown): void => {
    const request = field(message as object, 'request')
    if (typeof request !== 'object' || request === null) return
    const entry = requests.get(request)
    if (entry === undefined) return
    entry.record.live.delete(entry.key)
    requests.delete(request)
  }
  /** A `fetch` request created (by undici, a few awaits after the call): the call's stack. */
  const onFetch = (message: unknown): void => {
    if (inFlight.size === 0) return
    const request = field(message as object, 'request')
    const call = fetchWrap.calls?.getStore()
    const record = storage.getStore()
    if (typeof request !== 'object' || request === null || call === undefined) return
    if (record === undefined || record.ended) return
    const key = --requestKeys
    record.live.set(key, { type: 'FETCH', resource: request, trace: call.trace })
    requests.set(request, { record, key })
  }
  // Each subscriber catches its own errors (Node would rethrow them as uncaught), and
  // is the function the stack is cut at: the frame above it is Node's.
  const created = (message: unknown): void => {
    try {
      onCreated(message)
    } catch {
      // the request goes on untracked
    }
  }
  const fetched = (message: unknown): void => {
    try {
      onFetch(message)
    } catch {
      // the request goes on untracked
    }
  }
  const done = (message: unknown): void => {
    try {
      onDone(message)
    } catch {
      // the request stays tracked until its invocation ends
    }
  }
  try {
    const channels = process.getBuiltinModule('node:diagnostics_channel')
    channels.subscribe('http.client.request.created', created)
    channels.subscribe('http.client.response.finish', done)
    channels.subscribe('http.client.request.error', done)
    wrapFetch(asyncHooks)
    channels.subscribe('undici:request:create', fetched)
    channels.subscribe('undici:request:headers', done)
    channels.subscribe('undici:request:error', done)
  } catch {
    // No diagnostics channels: HTTP requests are seen by their connections only.
  }

  const finish = (key: object): InvocationRecord | undefined => {
    const record = inFlight.get(key)
    if (record === undefined) return undefined
    record.ended = true
    inFlight.delete(key)
    if (inFlight.size === 0) {
      hook.disable()
      fetchWrap.active--
    }
    return record
  }

  /** Whether a timer still runs: not unref'd, not cleared (checked before its stack is read). */
  const timerLive = ({ type, resource }: Tracked): boolean => {
    const hasRef = field(Object.getPrototypeOf(resource) as object, 'hasRef')
    if (typeof hasRef === 'function' && hasRef.call(resource) === false) return false
    return !(type === 'Timeout' && field(resource, '_destroyed') === true)
  }

  const describeTimer = ({ type, resource }: Tracked, site: string): PendingWork => {
    if (type === 'Immediate') {
      return {
        what: 'setImmediate',
        site,
        holds: { callback: field(resource, '_onImmediate'), arguments: field(resource, '_argv') },
      }
    }
    const delay = field(resource, '_idleTimeout')
    const repeat = field(resource, '_repeat')
    return {
      what: `${typeof repeat === 'number' ? 'setInterval' : 'setTimeout'} (${String(delay)} ms)`,
      site,
      holds: { callback: field(resource, '_onTimeout'), arguments: field(resource, '_timerArgs') },
    }
  }

  /** An HTTP request still waiting for its response: method, host, and what it sends. */
  const describeRequest = (request: object, site: string, api: string): PendingWork => {
    const method = field(request, 'method')
    const host = field(request, 'host')
    let headers: unknown
    try {
      let getHeaders: unknown
      for (
        let o = Object.getPrototypeOf(request) as object | null;
        o !== null && getHeaders === undefined;
        o = Object.getPrototypeOf(o) as object | null
      ) {
        getHeaders = field(o, 'getHeaders')
      }
      headers = typeof getHeaders === 'function' ? getHeaders.call(request) : undefined
    } catch {
      headers = undefined
    }
    return {
      what: `HTTP request ${String(method)} ${String(host)}${api === '' ? '' : ` (${api})`}`,
      site,
      holds: { path: field(request, 'path'), headers, body: field(request, 'outputData') },
    }
  }

  /** A `fetch` still waiting for its response: method, host, and its path and headers. */
  const describeFetch = (request: object, site: string): PendingWork | undefined => {
    if (field(request, 'aborted') === true || field(request, 'completed') === true) return undefined
    let host: unknown = field(request, 'host')
    try {
      host = new URL(String(field(request, 'origin'))).host
    } catch {
      // an origin that is not a URL: its `host` header, if any
    }
    return {
      what: `HTTP request ${String(field(request, 'method'))} ${String(host)} (fetch)`,
      site,
      holds: { path: field(request, 'path'), headers: field(request, 'headers') },
    }
  }

  const describe = (tracked: Tracked): PendingWork | undefined => {
    const timer = tracked.type === 'Timeout' || tracked.type === 'Immediate'
    if (timer && !timerLive(tracked)) return undefined
    if (tracked.type === 'HTTP' && field(tracked.resource, 'destroyed') === true) return undefined
    // The stack is formatted only now, for work still pending.
    const created = creationSite(tracked.trace.stack ?? '', options.root, options.runtimeDir)
    if (created === undefined) return undefined
    const { site, api, direct } = created
    const { type, resource } = tracked
    if (timer) return describeTimer(tracked, site)
    if (type === 'HTTP') return describeRequest(resource, site, api)
    if (type === 'FETCH') return describeFetch(resource, site)
    if (type === 'TickObject') {
      // Only a callback the first-party code queued itself, not one Node queued for it.
      if (!direct || api !== 'process.nextTick') return undefined
      return {
        what: 'process.nextTick',
        site,
        holds: { callback: field(resource, 'callback'), arguments: field(resource, 'args') },
      }
    }
    return {
      what: `${REQUESTS[type] ?? type}${api === '' ? '' : ` (${api})`}`,
      site,
      holds: {
        callback: field(resource, 'oncomplete'),
        hostname: field(resource, 'hostname'),
        context: field(resource, 'context'),
      },
    }
  }

  return {
    begin(key, entered) {
      if (options.oneAtATime) for (const other of [...inFlight.keys()]) finish(other)
      const record: InvocationRecord = entered ?? { ended: false, live: new Map() }
      if (inFlight.size === 0) {
        hook.enable()
        fetchWrap.active++
      }
      inFlight.set(key, record)
      if (entered === undefined) storage.enterWith(record)
    },
    end(key) {
      const record = finish(key)
      if (record === undefined || record.live.size === 0) return []
      // One piece of work per site: the first created (an HTTP request before its DNS
      // lookup, connection and writes).
      const pending = new Map<string, PendingWork>()
      for (const tracked of record.live.values()) {
        const work = describe(tracked)
        if (work !== undefined && !pending.has(work.site)) pending.set(work.site, work)
      }
      record.live.clear()
      return [...pending.values()]
    },
  }
}
