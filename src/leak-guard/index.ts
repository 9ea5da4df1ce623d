/**
 * leakGuard: a dev-stage Middy middleware that reports request data outliving its
 * invocation. It collects the distinctive values of each event, and after the invocation
 * (also after a failure) and again at the start of the next, it looks for them in
 * container state: globals, watched roots and any provided roots.
 *
 * ```ts
 * export const handler = middy(base).use(leakGuard())
 * ```
 */
import type { MiddlewareObj, Request } from '@middy/core'
import type { Context } from 'aws-lambda'
import {
  ConfigError,
  parseBoolean,
  parseEnum,
  parseNumberInRange,
  parsePositiveInteger,
  readEnv,
  resolveSetting,
  type ValueSource,
} from '../shared/env.js'
import { createLogOnce, errorName, type WarnLogger } from '../shared/log-once.js'
import { takeBaseline } from './baseline.js'
import { describeFinding } from './describe.js'
import type { LeakFinding } from './findings.js'
import { markGuardHook } from './own.js'
import type { InvocationRecord } from './pending.js'
import type { RootProvider } from './roots.js'
import type { GuardCore } from './runtime.js'

export { ConfigError } from '../shared/env.js'
export type { LeakFinding, LeakKind, LeakSeverity } from './findings.js'
export type { NamedRoot, RootProvider } from './roots.js'
export type { SensitiveKind } from './sensitive.js'
export type { FoundAs } from './walk.js'

/** What the guard does when it finds a leak. */
export type LeakGuardMode = 'warn' | 'throw' | 'off'

/** Options of {@link leakGuard}. Each resolves: option, then environment variable, then default. */
export interface LeakGuardOptions {
  /**
   * `warn`: report each finding and carry on. `throw`: also fail the invocation with a
   * {@link LeakError} (for tests and CI). `off`: a pass-through that creates, loads and
   * walks nothing. Env `LEAK_GUARD`. Default `warn`.
   */
  mode?: LeakGuardMode
  /**
   * The fraction of invocations checked, 0 to 1. An unchecked invocation costs one
   * `Math.random()`; its data is not looked for later. Env `LEAK_GUARD_SAMPLE_RATE`.
   * Default `1`.
   */
  sampleRate?: number
  /**
   * Where findings and the guard's own failures go: anything with
   * `warn(message, extra)`, e.g. a Powertools Logger, which then receives each finding as
   * `{ leakGuard: finding }`. Default `console` (one line per finding).
   */
  logger?: WarnLogger
  /**
   * Called with every reported finding (masked, like the log line). Its errors are logged
   * once and ignored. Default none.
   */
  onLeak?: (finding: LeakFinding) => void
  /**
   * Writes findings to `console` as JSON (`{"level":"WARN","message":...,"leakGuard":{...}}`)
   * instead of text lines. Env `LEAK_GUARD_JSON`. Default: true when Lambda's JSON log
   * format is on (`AWS_LAMBDA_LOG_FORMAT=JSON`). A `logger` always gets structured data.
   */
  json?: boolean
  /**
   * Named roots to search besides `globalThis`: an object, or a function returning one
   * (called at each check, e.g. `{ sessions: () => sessions }`; a function value is
   * always treated as such a getter). Reported as `sessions.get(...)`. Each root costs a
   * walk of what it reaches at every check. Default none.
   */
  watch?: Readonly<Record<string, unknown>>
  /**
   * Intended container state: global names (`config`), watch names, or path prefixes
   * (`globalThis.app.cache`, `sessions.byId`) never reported. A name or prefix that is a
   * whole root is not walked at all (saving its cost). Env `LEAK_GUARD_IGNORE`
   * (comma-separated). Default none.
   */
  ignore?: readonly string[]
  /**
   * The most values one check visits (its cost bound: about 0.1-0.2 µs each); beyond it
   * the walk stops and says so once. Env `LEAK_GUARD_MAX_NODES`. Default `50000`.
   */
  maxNodes?: number
  /**
   * More roots, supplied at each check by a function (e.g. module-level variables).
   * Default none.
   */
  roots?: RootProvider | readonly RootProvider[]
  /**
   * Read module-level variables (`let creditCard` at the top of a handler file), which are
   * not on `globalThis`, through Node's in-process inspector: the handler named by
   * `LAMBDA_TASK_ROOT` and `_HANDLER` is found, and followed through Middy's wrapper into
   * first-party code. Reported as `module src/pay.js: creditCard`. Env `LEAK_GUARD_SCOPE`.
   * Default `true`. Cost: about 0.2 ms per check; loading the inspector and discovering
   * the modules costs 20-40 ms once (more with much code loaded), at the first turn of the
   * event loop after the guard's runtime has loaded: in Lambda during init, elsewhere when
   * `targets` are given (a first check in that very turn discovers itself).
   * Module variables your code rebinds are read through getters when the guard is bundled
   * into the same file; making them enables the debugger once (10-30 ms: with discovery
   * when it runs ahead, else at the loop turn after the first check).
   */
  scope?: boolean
  /**
   * Functions or modules (ES module namespaces, CommonJS `exports`) whose module-level
   * variables to read besides those found from the Lambda handler; outside Lambda (tests,
   * local runs) the only way in. Default none. Cost: see `scope` (their discovery runs at
   * the first turn of the event loop after the guard's runtime has loaded).
   */
  targets?: readonly unknown[]
  /**
   * Report work an invocation's own code started and left pending when it returned
   * ("fire and forget"): timers and immediates, file operations, DNS lookups, socket
   * connections and writes, outgoing HTTP requests still waiting for their response
   * (`http.request` from Node 22.12, `fetch`), `process.nextTick` callbacks; with where
   * each was created and the request data it holds. Tracked with an `async_hooks` hook
   * enabled only while an invocation is in flight, and Node's and undici's diagnostics
   * channels; `globalThis.fetch` is wrapped (once, passing everything through) to know
   * its caller. Not seen: an operation a library or Node starts after an `await` of its
   * own (`fs.promises.writeFile`'s write after its open). Env `LEAK_GUARD_PENDING`. Default
   * `true`. Cost: a call into the hook per async resource created and per callback run
   * during an invocation (promises too before Node 24.9), and a short stack trace (a few
   * µs) per timer, immediate, I/O request or `nextTick` created; stacks are formatted
   * only for work still pending at the end.
   */
  pending?: boolean
}

const LEAK_ERROR: unique symbol = Symbol.for('middy-orc.LeakError') as never

/** The error of `throw` mode: the invocation's findings, masked. */
export class LeakError extends Error {
  override name = 'LeakError'
  /** The findings that failed the invocation. */
  readonly findings: readonly LeakFinding[]
  constructor(findings: readonly LeakFinding[]) {
    super(
      `leakGuard found request data outliving its invocation:\n${findings.map(describeFinding).join('\n')}`,
    )
    this.findings = findings
    Object.defineProperty(this, LEAK_ERROR, { value: true })
  }
  /** `instanceof` holds for a LeakError from any entry point (each is a file of its own). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && Object.hasOwn(value, LEAK_ERROR)
  }
}

/** The defaults of {@link leakGuard}. */
export const leakGuardDefaults = {
  mode: 'warn',
  sampleRate: 1,
  maxNodes: 50_000,
} as const satisfies Partial<LeakGuardOptions>

const MODES: readonly LeakGuardMode[] = ['warn', 'throw', 'off']

const parseList = (raw: unknown, source: ValueSource): readonly string[] => {
  const list =
    typeof raw === 'string'
      ? raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : raw
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string' && item !== '')) {
    throw new ConfigError(
      source.name,
      'must be a list of names or paths (comma-separated in the environment)',
    )
  }
  return list
}

/**
 * Creates the guard. Use it in development and test stages, outermost in the stack:
 *
 * ```ts
 * export const handler = middy(base).use(leakGuard({ mode: 'throw' }))
 * ```
 *
 * @throws {ConfigError} on a bad option or environment variable.
 */
export const leakGuard = <
  TEvent = unknown,
  TResult = unknown,
  TErr = Error,
  TContext extends Context = Context,
  TInternal extends Record<string, unknown> = Record<string, unknown>,
>(
  options: LeakGuardOptions = {},
): MiddlewareObj<TEvent, TResult, TErr, TContext, TInternal> => {
  const mode = resolveSetting(
    options.mode,
    'mode',
    'LEAK_GUARD',
    (raw, source) => parseEnum(raw, source, MODES),
    leakGuardDefaults.mode,
  )
  if (mode === 'off') return { name: 'leakGuard', before: () => undefined }

  const sampleRate = resolveSetting(
    options.sampleRate,
    'sampleRate',
    'LEAK_GUARD_SAMPLE_RATE',
    (raw, source) => parseNumberInRange(raw, source, 0, 1),
    leakGuardDefaults.sampleRate,
  )
  const json = resolveSetting(
    options.json,
    'json',
    'LEAK_GUARD_JSON',
    parseBoolean,
    () => readEnv('AWS_LAMBDA_LOG_FORMAT')?.toUpperCase() === 'JSON',
  )
  const ignore = resolveSetting(options.ignore, 'ignore', 'LEAK_GUARD_IGNORE', parseList, [])
  const maxNodes = resolveSetting(
    options.maxNodes,
    'maxNodes',
    'LEAK_GUARD_MAX_NODES',
    parsePositiveInteger,
    leakGuardDefaults.maxNodes,
  )
  const scope = resolveSetting(options.scope, 'scope', 'LEAK_GUARD_SCOPE', parseBoolean, true)
  const trackPending = resolveSetting(
    options.pending,
    'pending',
    'LEAK_GUARD_PENDING',
    parseBoolean,
    true,
  )
  if (options.targets !== undefined && !Array.isArray(options.targets)) {
    throw new ConfigError('targets', 'must be a list of functions or modules')
  }
  const { logger, onLeak, watch = {} } = options
  if (logger !== undefined && typeof (logger as Partial<WarnLogger> | null)?.warn !== 'function') {
    throw new ConfigError('logger', 'must have a warn(message, extra) method')
  }
  if (onLeak !== undefined && typeof onLeak !== 'function') {
    throw new ConfigError('onLeak', 'must be a function (finding) => void')
  }
  if (typeof watch !== 'object' || watch === null) {
    throw new ConfigError(
      'watch',
      'must be an object of named roots: { name: value or () => value }',
    )
  }
  const roots =
    options.roots === undefined
      ? []
      : typeof options.roots === 'function'
        ? [options.roots]
        : [...options.roots]
  if (!roots.every((provider) => typeof provider === 'function')) {
    throw new ConfigError(
      'roots',
      'must be a function () => Iterable<{ label, value }>, or a list of them',
    )
  }

  const logOnce = createLogOnce(logger ?? console, 'leakGuard:')
  const maxConcurrency = Number(readEnv('AWS_LAMBDA_MAX_CONCURRENCY') ?? 1)
  const oneAtATime = readEnv('AWS_LAMBDA_FUNCTION_NAME') !== undefined && !(maxConcurrency > 1)
  const taskRoot = readEnv('LAMBDA_TASK_ROOT') ?? process.cwd()
  const runtimeDir = readEnv('LAMBDA_RUNTIME_DIR')
  // Container state now, while the engine loads later: globals set after this call are new.
  const baseline = takeBaseline()
  // Where the pending tracker keeps each invocation's record (node:async_hooks is loaded
  // by Node's bootstrap): here, so that a `before` that must wait for the runtime can enter
  // the record synchronously, in the invocation's own async context.
  const pendingStorage = trackPending
    ? new (process.getBuiltinModule('node:async_hooks').AsyncLocalStorage)<InvocationRecord>()
    : undefined

  const write = (finding: LeakFinding): void => {
    const line = describeFinding(finding)
    if (logger !== undefined) logger.warn(line, { leakGuard: finding })
    else if (json)
      console.warn(JSON.stringify({ level: 'WARN', message: line, leakGuard: finding }))
    else console.warn(line)
  }

  const report = (findings: readonly LeakFinding[]): void => {
    for (const finding of findings) {
      try {
        write(finding)
      } catch (error) {
        logOnce('logger', `the logger threw (${errorName(error)}); findings are not being logged`)
      }
      try {
        onLeak?.(finding)
      } catch (error) {
        logOnce('onLeak', `onLeak threw (${errorName(error)}); ignored`)
      }
    }
    if (mode === 'throw' && findings.length > 0) throw new LeakError(findings)
  }

  let localIds = 0
  type Req = Request<TEvent, TResult, TErr, TContext, TInternal>

  /** Runs one engine step, logging (once) and swallowing the guard's own failures. */
  const guarded = (step: () => readonly LeakFinding[]): readonly LeakFinding[] => {
    try {
      return step()
    } catch (error) {
      logOnce('internal', `check failed (${errorName(error)}); the guard skipped it`)
      return []
    }
  }

  /** The engine, tracker and scope reader, once `runtime.ts` has loaded (see below). */
  let core: GuardCore | undefined
  /** True once the runtime has failed to load or start: the guard passes through. */
  let passThrough = false
  const check = (
    request: Req,
    context: Partial<Context> | undefined,
    on: GuardCore,
    entered?: InvocationRecord,
  ): void => {
    const requestId =
      typeof context?.awsRequestId === 'string' ? context.awsRequestId : `local-${++localIds}`
    report(
      guarded(() => {
        const remaining =
          typeof context?.getRemainingTimeInMillis === 'function'
            ? context.getRemainingTimeInMillis()
            : undefined
        return on.start(request, requestId, request.event, remaining, entered)
      }),
    )
  }

  // Synchronous once the runtime has loaded; the first checked invocation may wait for it.
  const leakGuardBefore = (request: Req): Promise<void> | undefined => {
    if (sampleRate < 1 && Math.random() >= sampleRate) return undefined
    const context = request.context as Partial<Context> | undefined
    if (core !== undefined) {
      check(request, context, core)
      return undefined
    }
    if (passThrough) return undefined
    // The first checked invocation, before the runtime has arrived: the pending record
    // is entered now (after the wait it would not reach the handler), then filled.
    const entered: InvocationRecord | undefined =
      pendingStorage === undefined ? undefined : { ended: false, live: new Map() }
    if (entered !== undefined) pendingStorage?.enterWith(entered)
    return loaded.then(() => {
      if (core !== undefined) check(request, context, core, entered)
    })
  }

  const leakGuardAfter = (request: Req): void => {
    const on = core
    if (on === undefined) return // not loaded (its failure was logged): nothing was started
    report(guarded(() => on.end(request, request.response)))
  }

  // Marked as a guard's own: no guard in the process follows them or reads their closures.
  markGuardHook(leakGuardBefore)
  markGuardHook(leakGuardAfter)

  // The heavy part loads now, off the request path: in Lambda during init, after the
  // handler module has been evaluated. A failed load is logged once; the guard then
  // passes through. The hooks are handed over to be excluded from the scope reader.
  // `loaded` settles when the load has succeeded or failed; it never rejects.
  const loaded = import('./runtime.js').then(
    ({ createGuardCore }) => {
      try {
        core = createGuardCore({
          maxNodes,
          watch,
          ignore,
          roots,
          scope,
          targets: options.targets,
          pendingStorage,
          oneAtATime,
          taskRoot,
          runtimeDir,
          baseline,
          exclude: [leakGuardBefore, leakGuardAfter],
          logOnce,
          onRootError: (name, error) =>
            logOnce(`root:${name}`, `${name} threw (${errorName(error)}); skipped`),
          onTruncated: (visited) =>
            logOnce(
              'truncated',
              `a check stopped after ${visited} values (maxNodes); state beyond was not searched`,
            ),
        })
      } catch (error) {
        passThrough = true
        logOnce('load', `cannot start (${errorName(error)}); the guard passes through`)
      }
    },
    (error: unknown) => {
      passThrough = true
      logOnce('load', `cannot load its runtime (${errorName(error)}); the guard passes through`)
    },
  )

  return {
    name: 'leakGuard',
    before: leakGuardBefore,
    after: leakGuardAfter,
    onError: leakGuardAfter,
  }
}
