/**
 * Work that outlives its invocation ("fire and forget"): timers and immediates started
 * by an invocation and still pending when it returns. They run while the environment is
 * frozen, or during someone else's invocation, with whatever their callback holds.
 *
 * An `async_hooks` hook, enabled only while an invocation is in flight, sees each timer
 * and immediate created; an `AsyncLocalStorage` entered in the guard's `before` tells
 * which invocation's code created it (also under overlapping invocations). Its creation
 * site is captured as a short V8 stack trace (formatted only when reported) and must be
 * first-party code: resources created by Node itself, by code under `node_modules` (also
 * bundled: see `bundle.ts`) or by the runtime client (`LAMBDA_RUNTIME_DIR`) are never reported, nor unref'd timers (a
 * library's background work, e.g. a keep-alive socket's idle timeout, by intent).
 * Promises are not tracked (on Node 24+ the hook asks Node not to: `trackPromises`).
 */
import type { AsyncHook, AsyncLocalStorage as Storage } from 'node:async_hooks'
import { isDependencyLine } from './bundle.js'

/** One pending resource at the end of its invocation: what it is, where, what it holds. */
export interface PendingWork {
  /** `setTimeout (500 ms)`, `setInterval (1000 ms)`, `setImmediate`. */
  readonly what: string
  /** Where it was created: `index.mjs:12:5` (relative to the task root), or undefined. */
  readonly site: string
  /** What it will run with: its callback and arguments. */
  readonly holds: { callback: unknown; arguments: unknown }
}

interface Tracked {
  readonly type: 'Timeout' | 'Immediate'
  readonly resource: object
  /** Holds a captured stack, formatted only when read. */
  readonly trace: { stack?: string }
}

/**
 * What one invocation created, kept in the tracker's AsyncLocalStorage while it runs. A
 * fresh one is `{ ended: false, live: new Map() }`.
 */
export interface InvocationRecord {
  ended: boolean
  readonly live: Map<number, Tracked>
}

/** Frames above the creating code: the hook, Node's emitInit, the timer's constructor... */
const STACK_FRAMES = 8
const FRAME = /\(?((?:file:\/\/)?[^()\s]+?):(\d+):(\d+)\)?$/

const field = (object: object, key: string): unknown => {
  const descriptor = Object.getOwnPropertyDescriptor(object, key)
  return descriptor !== undefined && 'value' in descriptor ? descriptor.value : undefined
}

/**
 * The first frame of a stack that is first-party code, as `file:line:column` relative to
 * `root`, or undefined when every frame is Node's, a dependency's or the runtime's.
 */
export const firstPartySite = (
  stack: string,
  root: string,
  runtimeDir: string | undefined,
): string | undefined => {
  for (const line of stack.split('\n').slice(1)) {
    const match = FRAME.exec(line.trim())
    if (match === null) continue
    let file = match[1] as string
    if (file.startsWith('file://')) file = decodeURIComponent(file.slice('file://'.length))
    if (!file.startsWith('/') || isDependencyLine(file, Number(match[2]) - 1)) continue
    if (runtimeDir !== undefined && file.startsWith(`${runtimeDir}/`)) continue
    const relative = file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file
    return `${relative}:${match[2]}:${match[3]}`
  }
  return undefined
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

  function init(asyncId: number, type: string, _trigger: number, resource: object): void {
    if (type !== 'Timeout' && type !== 'Immediate') return
    const record = storage.getStore()
    if (record === undefined || record.ended) return
    const trace: { stack?: string } = {}
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = STACK_FRAMES
    Error.captureStackTrace(trace, init)
    Error.stackTraceLimit = limit
    record.live.set(asyncId, { type, resource, trace })
  }
  const destroy = (asyncId: number): void => {
    for (const record of inFlight.values()) if (record.live.delete(asyncId)) return
  }
  // `trackPromises` (Node 24.9+; ignored before) spares every promise a call into the hook.
  const hook: AsyncHook = asyncHooks.createHook({ init, destroy, trackPromises: false } as never)

  const finish = (key: object): InvocationRecord | undefined => {
    const record = inFlight.get(key)
    if (record === undefined) return undefined
    record.ended = true
    inFlight.delete(key)
    if (inFlight.size === 0) hook.disable()
    return record
  }

  const describe = ({ type, resource, trace }: Tracked): PendingWork | undefined => {
    const hasRef = field(Object.getPrototypeOf(resource) as object, 'hasRef')
    if (typeof hasRef === 'function' && hasRef.call(resource) === false) return undefined
    if (type === 'Timeout' && field(resource, '_destroyed') === true) return undefined
    const site = firstPartySite(trace.stack ?? '', options.root, options.runtimeDir)
    if (site === undefined) return undefined
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

  return {
    begin(key, entered) {
      if (options.oneAtATime) for (const other of [...inFlight.keys()]) finish(other)
      const record: InvocationRecord = entered ?? { ended: false, live: new Map() }
      if (inFlight.size === 0) hook.enable()
      inFlight.set(key, record)
      if (entered === undefined) storage.enterWith(record)
    },
    end(key) {
      const record = finish(key)
      if (record === undefined || record.live.size === 0) return []
      const pending: PendingWork[] = []
      for (const tracked of record.live.values()) {
        const work = describe(tracked)
        if (work !== undefined) pending.push(work)
      }
      record.live.clear()
      return pending
    },
  }
}
