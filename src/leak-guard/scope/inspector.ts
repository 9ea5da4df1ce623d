/**
 * Reads the scopes a function closes over (`[[Scopes]]`) with Node's in-process
 * inspector: a `node:inspector` `Session` connected to this very thread (no
 * `--inspect` flag, no port). In-process calls answer synchronously, so a scan is a
 * plain synchronous function.
 *
 * The live values are copied, not previewed: the scope objects the inspector hands
 * out are passed back into this isolate with `Runtime.callFunctionOn`, so the reader
 * gets the real module variables (the same objects the module holds; primitives as
 * they are at the time of the scan).
 *
 * Each use opens a fresh session and closes it afterwards: a long-lived session on
 * Node 20 keeps memory for what it inspected, and an idle guard keeps nothing
 * connected. `node:inspector` itself is loaded on first use only.
 */
import type { Debugger, InspectorNotification, Profiler, Runtime, Session } from 'node:inspector'

/** Logs a warning once per code (`createLogOnce` in `src/shared/log-once.ts`). */
export type LogOnce = (code: string, message: string, extra?: Record<string, unknown>) => void

/** Any function: the reader never calls it. */
export type AnyFunction = (...args: never[]) => unknown

/** One scope of a function, innermost first; the global scope is never read. */
export interface ScopeReading {
  /** As V8 names it: `Closure`, `Closure (factory)`, `Module`, `Script`, `Block`... */
  readonly description: string
  /** The variables held in that scope's context, by name, with their live values. */
  readonly variables: Readonly<Record<string, unknown>>
}

/** What the inspector knows about one function. */
export interface FunctionReading {
  /** The script the function was compiled from (see {@link ScopeInspector.scriptUrls}). */
  readonly scriptId: string | undefined
  /** Its non-global scopes, innermost first. */
  readonly scopes: readonly ScopeReading[]
}

/** Named values held where JavaScript cannot look: private fields, closure variables. */
export type Hidden = readonly (readonly [name: string, value: unknown])[]

/** What {@link ScopeInspector.readHidden} finds, in the order asked. */
export interface HiddenReading {
  /** Each object's private fields (`#name`), data only (private accessors are not run). */
  readonly privates: readonly Hidden[]
  /**
   * Each function's closure variables: those of the scopes of its enclosing functions and
   * blocks (not its module's, script's or the global scope, which are read as roots).
   */
  readonly closures: readonly Hidden[]
  /**
   * Whether each object's class is Node's own code (`node:` scripts), and whether each
   * function is Node's or a dependency's (under `node_modules`, also bundled): its closure
   * is not read.
   */
  readonly platformObjects: readonly boolean[]
  readonly platformFns: readonly boolean[]
}

/** Whether a script (by id; its URL through `urlOf`) is of some kind. */
export type ScriptTest = (
  scriptId: string | undefined,
  urlOf: (id: string) => string | undefined,
  /** The line (0-based) of the function in question, if any. */
  line?: number,
) => boolean

/** A connected session, valid during one {@link InspectorAccess} call. */
export interface ScopeInspector {
  /** Reads the scopes of each function, in order. */
  readScopes(fns: readonly AnyFunction[]): FunctionReading[]
  /** Reads the private fields of objects and the closure variables of functions. */
  readHidden(
    objects: readonly object[],
    fns: readonly AnyFunction[],
    isPlatform: ScriptTest,
    isDependency: ScriptTest,
  ): HiddenReading
  /**
   * The URL (or path) of a script, by id, remembered across sessions. The first script
   * not known yet in a session asks for V8's best-effort coverage (a walk of the heap:
   * 5-10 ms, more with more code loaded), which lists the scripts that still hold
   * compiled code. A script whose code V8 has flushed (functions not run for a while)
   * is missing from it; the first such miss asks the debugger for every script instead
   * (about 10 ms for a hundred scripts; enabled for that one call and disabled again).
   */
  scriptUrl(scriptId: string): string | undefined
  /**
   * Evaluates `expressions` as if written inside `fn` (a function with no effect of its
   * own, which is called once), so that they reach the variables of `fn`'s scopes, and
   * returns their values in order; `undefined` when that failed. Through a breakpoint on
   * the call whose condition stores the values and is always false: an in-process session
   * must never pause (the paused thread would be the debugger's own). The debugger is
   * enabled for that call only, which costs 10-30 ms (it reports every script loaded).
   */
  evaluateInCall(fn: AnyFunction, expressions: readonly string[]): unknown[] | undefined
}

/** Runs `work` with a fresh session; `undefined` when the inspector cannot be used. */
export type InspectorAccess = <T>(work: (inspector: ScopeInspector) => T) => T | undefined

type InspectorModule = typeof import('node:inspector')
type Callback<R> = (err: Error | null, result: R) => void

const OBJECT_GROUP = 'middy-orc:scope'
const HOLDER_KEY = Symbol.for('middy-orc.leakGuard.scopeHolder')
const HOLDER_EXPRESSION = 'globalThis[Symbol.for("middy-orc.leakGuard.scopeHolder")]'
const DELIVER_SCOPES = 'function (...scopes) { this.scopes = scopes }'
const RESULT_KEY = Symbol.for('middy-orc.leakGuard.evaluated')
const RESULT_EXPRESSION = 'globalThis[Symbol.for("middy-orc.leakGuard.evaluated")]'

/** Sends one message and returns its answer: in-process sessions answer before `post` returns. */
const callSync = <R>(send: (callback: Callback<R>) => void): R => {
  let answered = false
  let failure: Error | null = null
  let answer: R | undefined
  send((err, result) => {
    answered = true
    failure = err
    answer = result
  })
  if (!answered) throw new Error('the inspector answered asynchronously')
  if (failure) throw failure
  return answer as R
}

/** The holder the reader shares with the inspector for the duration of one read. */
interface Holder {
  fns: readonly unknown[]
  scopes: unknown[]
}

/** The private fields part of `Runtime.getProperties`'s answer. */
interface PrivateProperties {
  privateProperties?: { name: string; value?: Runtime.RemoteObject }[]
}

/** Scopes that are roots already (or the platform's): not a function's own closure. */
const OUTER_SCOPES = /^(?:Global|Module|Script)\b/

/**
 * The variables of a scope object as entries, leaving out any still in its temporal dead
 * zone (a `let` or `const` not yet initialised: reading it throws a ReferenceError).
 */
export const scopeEntries = (variables: Readonly<Record<string, unknown>>): [string, unknown][] => {
  const entries: [string, unknown][] = []
  for (const name of Object.keys(variables)) {
    try {
      entries.push([name, variables[name]])
    } catch {
      // uninitialised: holds nothing yet
    }
  }
  return entries
}

const scopeVariables = (wrapper: unknown): Record<string, unknown> => {
  // The inspector's scope entries are `{ description, object }`; `object` holds the variables.
  const object: unknown =
    typeof wrapper === 'object' && wrapper !== null ? Reflect.get(wrapper, 'object') : undefined
  return typeof object === 'object' && object !== null ? (object as Record<string, unknown>) : {}
}

/**
 * Scripts' URLs by id, kept across sessions (a script id is never reused for another
 * script in a process): what discovery learnt spares the checks after it the call.
 */
type ScriptUrls = Map<string, string>

const createScopeInspector = (session: Session, urls: ScriptUrls): ScopeInspector => {
  const getProperties = (objectId: string) =>
    callSync<Runtime.GetPropertiesReturnType>((cb) =>
      // Objects found this way join the group of the object they were found in.
      session.post('Runtime.getProperties', { objectId, ownProperties: true }, cb),
    )

  /** Makes `holder` reachable from the inspector, returning its object id. */
  const exposeHolder = (holder: Holder): string => {
    Object.defineProperty(globalThis, HOLDER_KEY, { value: holder, configurable: true })
    try {
      const { result } = callSync<Runtime.EvaluateReturnType>((cb) =>
        session.post(
          'Runtime.evaluate',
          { expression: HOLDER_EXPRESSION, objectGroup: OBJECT_GROUP, silent: true },
          cb,
        ),
      )
      if (result.objectId === undefined) throw new Error('the inspector did not return the holder')
      return result.objectId
    } finally {
      Reflect.deleteProperty(globalThis, HOLDER_KEY)
    }
  }

  const functionIds = (holderId: string): (string | undefined)[] => {
    const fnsId = getProperties(holderId).result.find((p) => p.name === 'fns')?.value?.objectId
    if (fnsId === undefined) return []
    const ids: (string | undefined)[] = []
    for (const property of getProperties(fnsId).result) {
      const index = Number(property.name)
      if (Number.isInteger(index)) ids[index] = property.value?.objectId
    }
    return ids
  }

  const readScopes = (fns: readonly AnyFunction[]): FunctionReading[] => {
    const holder: Holder = { fns, scopes: [] }
    const holderId = exposeHolder(holder)
    const ids = functionIds(holderId)
    const scopeArguments: Runtime.CallArgument[] = []
    // Per function: its script and the descriptions of the scopes to copy.
    const plans = fns.map((_, i) => {
      const id = ids[i]
      if (id === undefined) return { scriptId: undefined, descriptions: [] }
      const internal = getProperties(id).internalProperties ?? []
      const location: unknown = internal.find((p) => p.name === '[[FunctionLocation]]')?.value
        ?.value
      const scopesId = internal.find((p) => p.name === '[[Scopes]]')?.value?.objectId
      const descriptions: string[] = []
      if (scopesId !== undefined) {
        for (const entry of getProperties(scopesId).result) {
          const { description, objectId } = entry.value ?? {}
          if (objectId === undefined || description === undefined || description === 'Global')
            continue
          descriptions.push(description)
          scopeArguments.push({ objectId })
        }
      }
      return { scriptId: scriptIdOf(location), descriptions }
    })
    callSync<Runtime.CallFunctionOnReturnType>((cb) =>
      session.post(
        'Runtime.callFunctionOn',
        {
          objectId: holderId,
          functionDeclaration: DELIVER_SCOPES,
          arguments: scopeArguments,
          objectGroup: OBJECT_GROUP,
          silent: true,
        },
        cb,
      ),
    )
    let next = 0
    return plans.map(({ scriptId, descriptions }) => ({
      scriptId,
      scopes: descriptions.map((description) => ({
        description,
        variables: scopeVariables(holder.scopes[next++]),
      })),
    }))
  }

  /** Passes the objects behind `ids` back into this isolate, as `holder.scopes`. */
  const deliver = (holderId: string, ids: readonly string[]): void => {
    if (ids.length === 0) return
    callSync<Runtime.CallFunctionOnReturnType>((cb) =>
      session.post(
        'Runtime.callFunctionOn',
        {
          objectId: holderId,
          functionDeclaration: DELIVER_SCOPES,
          arguments: ids.map((objectId) => ({ objectId })),
          objectGroup: OBJECT_GROUP,
          silent: true,
        },
        cb,
      ),
    )
  }

  const readHidden: ScopeInspector['readHidden'] = (objects, fns, isPlatform, isDependency) => {
    // Each object's class (its prototype's `constructor`, read without a getter), to tell
    // Node's own classes (streams, sockets) from the user's and libraries'.
    const classes = objects.map((object) => {
      const proto: unknown = Object.getPrototypeOf(object)
      if (typeof proto !== 'object' || proto === null) return undefined
      const descriptor = Object.getOwnPropertyDescriptor(proto, 'constructor')
      return descriptor !== undefined && 'value' in descriptor ? descriptor.value : undefined
    })
    const holder: Holder = { fns: [...objects, ...fns, ...classes], scopes: [] }
    const holderId = exposeHolder(holder)
    const ids = functionIds(holderId)
    const remote: string[] = []
    /** A value now, or the index of a remote object delivered later. */
    type Slot = readonly [name: string, value: unknown, remoteIndex: number]
    const slotOf = (name: string, value: Runtime.RemoteObject | undefined): Slot | undefined => {
      if (value === undefined) return undefined
      if (value.objectId !== undefined) {
        remote.push(value.objectId)
        return [name, undefined, remote.length - 1]
      }
      if (value.type === 'string' || value.type === 'number') return [name, value.value, -1]
      if (value.type === 'bigint' && value.unserializableValue !== undefined)
        return [name, BigInt(value.unserializableValue.slice(0, -1)), -1]
      return undefined
    }
    const scriptOf = (id: string | undefined): string | undefined => {
      if (id === undefined) return undefined
      const internal = getProperties(id).internalProperties ?? []
      return scriptIdOf(internal.find((p) => p.name === '[[FunctionLocation]]')?.value?.value)
    }
    const urlOf = (scriptId: string) => scriptUrl(scriptId)
    const platformObjects = objects.map((_, i) =>
      isPlatform(scriptOf(ids[objects.length + fns.length + i]), urlOf),
    )
    const platformFns: boolean[] = []
    const privateSlots = objects.map((_, i): Slot[] => {
      const id = ids[i]
      if (id === undefined || platformObjects[i]) return []
      // `privateProperties` and `nonIndexedPropertiesOnly` are in the protocol, not in @types/node.
      const { privateProperties = [] } = callSync<PrivateProperties>((cb) =>
        session.post(
          'Runtime.getProperties',
          { objectId: id, ownProperties: true, nonIndexedPropertiesOnly: true } as object,
          cb as Callback<object | undefined>,
        ),
      )
      return privateProperties.flatMap((p): Slot[] => {
        const slot = slotOf(p.name, p.value)
        return slot === undefined ? [] : [slot]
      })
    })
    // Per function, the indexes (in `remote`) of its closure scopes, read here once delivered.
    const closureScopes = fns.map((_, i): number[] => {
      const id = ids[objects.length + i]
      if (id === undefined) return []
      const internal = getProperties(id).internalProperties ?? []
      const location: unknown = internal.find((p) => p.name === '[[FunctionLocation]]')?.value
        ?.value
      const scriptId = scriptIdOf(location)
      const line: unknown =
        typeof location === 'object' && location !== null
          ? Reflect.get(location, 'lineNumber')
          : undefined
      platformFns[i] =
        isPlatform(scriptId, urlOf) ||
        isDependency(scriptId, urlOf, typeof line === 'number' ? line : undefined)
      if (platformFns[i]) return []
      const scopesId = internal.find((p) => p.name === '[[Scopes]]')?.value?.objectId
      if (scopesId === undefined) return []
      const own: string[] = []
      let inModule = false
      for (const entry of getProperties(scopesId).result) {
        const { description, objectId } = entry.value ?? {}
        if (objectId === undefined || description === undefined) continue
        // Inside a bundled CommonJS dependency (esbuild names its wrapper after the path).
        if (description.includes('node_modules/')) {
          platformFns[i] = true
          return []
        }
        if (OUTER_SCOPES.test(description)) inModule ||= description !== 'Global'
        else own.push(objectId)
      }
      // A CommonJS file's own scope is its wrapper function's (a `Closure`, outermost):
      // module state too, read as a root for the user's files, never a closure.
      if (!inModule) own.pop()
      return own.map((objectId) => remote.push(objectId) - 1)
    })
    deliver(holderId, remote)
    const resolve = (slots: readonly Slot[]): Hidden =>
      slots.map(([name, value, index]) => [name, index < 0 ? value : holder.scopes[index]])
    const closures = closureScopes.map(
      (indexes): Hidden =>
        indexes.flatMap((index) => scopeEntries(scopeVariables(holder.scopes[index]))),
    )
    return { privates: privateSlots.map(resolve), closures, platformObjects, platformFns }
  }

  /** In this session: the coverage asked for (fresh scripts), the debugger asked for. */
  let covered = false
  let complete = false

  const coveredScripts = (): Map<string, string> => {
    const { result } = callSync<Profiler.GetBestEffortCoverageReturnType>((cb) =>
      session.post('Profiler.getBestEffortCoverage', cb),
    )
    return new Map(result.map((script) => [script.scriptId, script.url]))
  }

  /** Every script, as the debugger reports them on `enable` (in-process: before `post` returns). */
  const debuggerScripts = (): Map<string, string> => {
    const found = new Map<string, string>()
    const parsed = ({ params }: InspectorNotification<Debugger.ScriptParsedEventDataType>) => {
      found.set(params.scriptId, params.url)
    }
    session.on('Debugger.scriptParsed', parsed)
    try {
      callSync<Debugger.EnableReturnType>((cb) => session.post('Debugger.enable', cb))
    } finally {
      session.off('Debugger.scriptParsed', parsed)
      session.post('Debugger.disable')
    }
    return found
  }

  const scriptUrl = (scriptId: string): string | undefined => {
    if (!urls.has(scriptId) && !covered) {
      covered = true
      for (const [id, url] of coveredScripts()) urls.set(id, url)
    }
    if (!urls.has(scriptId) && !complete) {
      complete = true
      for (const [id, url] of debuggerScripts()) urls.set(id, url)
    }
    return urls.get(scriptId)
  }

  const evaluateInCall: ScopeInspector['evaluateInCall'] = (fn, expressions) => {
    const holderId = exposeHolder({ fns: [fn], scopes: [] })
    const fnId = functionIds(holderId)[0]
    // The holder's `fns` is an array holding one function, which the inspector always
    // gives an object id: this only keeps a protocol surprise from throwing.
    /* v8 ignore next */
    if (fnId === undefined) return undefined
    // The condition's comma expression is false whatever the array holds: never a pause.
    const condition = `(${RESULT_EXPRESSION} = [${expressions.join(', ')}], false)`
    try {
      callSync<Debugger.EnableReturnType>((cb) => session.post('Debugger.enable', cb))
      // In the protocol, not in @types/node.
      const { breakpointId } = callSync<{ breakpointId: string }>((cb) =>
        session.post(
          'Debugger.setBreakpointOnFunctionCall',
          { objectId: fnId, condition },
          cb as Callback<object | undefined>,
        ),
      )
      try {
        fn()
      } finally {
        session.post('Debugger.removeBreakpoint', { breakpointId })
      }
      const values: unknown = Reflect.get(globalThis, RESULT_KEY)
      return Array.isArray(values) && values.length === expressions.length ? values : undefined
    } finally {
      Reflect.deleteProperty(globalThis, RESULT_KEY)
      session.post('Debugger.disable')
    }
  }

  return { readScopes, readHidden, scriptUrl, evaluateInCall }
}

const scriptIdOf = (location: unknown): string | undefined => {
  const scriptId: unknown =
    typeof location === 'object' && location !== null
      ? Reflect.get(location, 'scriptId')
      : undefined
  return typeof scriptId === 'string' ? scriptId : undefined
}

const loadInspector = (logOnce: LogOnce): InspectorModule | null => {
  if (!process.features.inspector) {
    logOnce(
      'scope-no-inspector',
      'cannot read module-level variables: this Node.js is built without the inspector; checking globals and watched roots only',
    )
    return null
  }
  try {
    return process.getBuiltinModule('node:inspector')
  } catch (error) {
    logOnce(
      'scope-no-inspector',
      'cannot load node:inspector; checking globals and watched roots only',
      {
        error: String(error),
      },
    )
    return null
  }
}

/**
 * Returns the access function for the scope reader. Nothing is loaded until the
 * first call. If the inspector is missing or denied (Node's permission model), that
 * is logged once and every later call returns `undefined` at no cost.
 */
export const createInspectorAccess = (logOnce: LogOnce): InspectorAccess => {
  let inspector: InspectorModule | null | undefined
  const urls: ScriptUrls = new Map()
  return (work) => {
    if (inspector === undefined) inspector = loadInspector(logOnce)
    if (inspector === null) return undefined
    const session = new inspector.Session()
    try {
      session.connect()
    } catch (error) {
      inspector = null
      logOnce(
        'scope-inspector-denied',
        'cannot read module-level variables: the inspector session was refused (permission model?); checking globals and watched roots only',
        { error: String(error) },
      )
      return undefined
    }
    try {
      return work(createScopeInspector(session, urls))
    } finally {
      session.post('Runtime.releaseObjectGroup', { objectGroup: OBJECT_GROUP })
      session.disconnect()
    }
  }
}
