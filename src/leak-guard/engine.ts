/**
 * The engine: remembers each invocation's tokens, and at every check walks container
 * state (new and changed globals, watched roots, provided roots) looking for them. It
 * knows nothing of Middy; `index.ts` calls `start` and `end` around each invocation.
 */
import { type StateBaseline, takeBaseline } from './baseline.js'
import {
  createFindingLog,
  type LeakFinding,
  type LeakKind,
  renderPlace,
  rootOf,
} from './findings.js'
import { mask } from './mask.js'
import { createNeedleSet, forEachInside, type NeedleSet } from './needles.js'
import type { PendingWork } from './pending.js'
import type { RootProvider } from './roots.js'
import { classify } from './sensitive.js'
import { collectTokens, printableKey, type Token } from './tokens.js'
import {
  type FoundAs,
  type HiddenReader,
  type Place,
  placeOf,
  type StringVisitor,
  type WalkRoot,
  walk,
} from './walk.js'

/** How many finished invocations' tokens are still looked for. */
const HISTORY = 8

/** `process.env` is compared with its baseline at most this often (see `stateRoots`). */
const ENV_INTERVAL_MS = 50

/** All of globalThis's keys are listed at most this often (see `globalKeys`). */
const GLOBALS_INTERVAL_MS = 50

const enumerableCheck = Object.prototype.propertyIsEnumerable
/** Whether an own key is enumerable (`propertyIsEnumerable`, captured). */
const isEnumerable = (object: object, key: PropertyKey): boolean =>
  Reflect.apply(enumerableCheck, object, [key]) as boolean

/** Lambda's longest timeout: the deadline of an invocation whose context does not say. */
const MAX_INVOCATION_MS = 15 * 60_000

/** Global namespaces of the platform: containers, but never request state. */
const PLATFORM_NAMESPACES = new Set<PropertyKey>([
  'Atomics',
  'Intl',
  'JSON',
  'Math',
  'Reflect',
  'WebAssembly',
  'console',
  'global',
  'globalThis',
])

export interface EngineConfig {
  maxNodes: number
  watch: Readonly<Record<string, unknown>>
  ignore: readonly string[]
  roots: readonly RootProvider[]
  /**
   * True when invocations cannot overlap (Lambda without `AWS_LAMBDA_MAX_CONCURRENCY`):
   * then an invocation still in flight when the next starts is over (its `after` was
   * skipped by an early response) and is treated as finished.
   */
  oneAtATime: boolean
  /** Reports a failure of a user-supplied getter or provider (logged once). */
  onRootError: (name: string, error: unknown) => void
  /** Reads private fields and closures of what the walk meets, if available. */
  hidden?: () => HiddenReader | undefined
  /** Reports a walk that ran out of budget (logged once). */
  onTruncated: (visited: number) => void
  /**
   * Container state as it was when the guard was created (`takeBaseline()`); default: as
   * it is now, at the engine's creation.
   */
  baseline?: StateBaseline
}

interface Invocation {
  readonly requestId: string
  readonly tokens: Map<string, Token>
  /** When the invocation is surely over (its Lambda deadline), in epoch milliseconds. */
  readonly deadline: number
  /** Its tokens prepared for the search, once needed. */
  needles?: NeedleSet<Needle>
  /**
   * The invocations that ran at the same time as this one at any moment, ended or not
   * (emptied when this one ends): their data in its state or response is a mix-up.
   */
  readonly overlapped: Set<Invocation>
}

/** Why a token is looked for: it came with this invocation, an earlier one, or one in flight. */
type Relation = 'own' | 'earlier' | 'other'

interface Needle {
  readonly invocation: Invocation
  readonly token: Token
  readonly relation: Relation
}

/** The tokens of some invocations (the first invocation holding a value wins), prepared. */
const needleSet = (
  invocations: Iterable<Invocation>,
  relation: Relation,
  skip?: NeedleSet<Needle>,
): NeedleSet<Needle> => {
  const entries: Array<[string, Needle]> = []
  for (const invocation of invocations) {
    for (const token of invocation.tokens.values()) {
      if (skip?.byValue.has(token.value)) continue
      entries.push([token.value, { invocation, token, relation }])
    }
  }
  return createNeedleSet(entries)
}

/**
 * Globals searched when their value changes or appears: a global that was, when the guard
 * was created, a function, a getter or a constant is the platform's and is not.
 */
const isPlatformGlobal = (descriptor: PropertyDescriptor): boolean =>
  !('value' in descriptor) ||
  typeof descriptor.value === 'function' ||
  (descriptor.configurable === false && descriptor.writable === false)

/**
 * A global that may be a user's container, searched even when unchanged: a plain object,
 * array, Map or Set under a string name that is not a tool's (`__vitest_worker__`).
 */
const isUserContainer = (key: PropertyKey, value: unknown): boolean => {
  if (typeof key !== 'string' || key.startsWith('__')) return false
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return (
    proto === Object.prototype ||
    proto === null ||
    proto === Array.prototype ||
    proto === Map.prototype ||
    proto === Set.prototype
  )
}

const globalLabel = (key: PropertyKey): string =>
  typeof key === 'symbol'
    ? `globalThis[${String(key)}]`
    : /^[A-Za-z_$][\w$]*$/.test(String(key))
      ? `globalThis.${printableKey(String(key))}`
      : `globalThis[${printableKey(String(key))}]`

/** True when `where` is `prefix` or lies under it. */
const under = (where: string, prefix: string): boolean =>
  where === prefix ||
  (where.startsWith(prefix) && (where[prefix.length] === '.' || where[prefix.length] === '['))

/**
 * The variables of `process.env` set or changed since `baseline` (a plain object, so that
 * the walk names and masks each key: `process.env.USER_EMAIL`), or `undefined` if none.
 */
const changedEnv = (baseline: ReadonlyMap<string, string | undefined>) => {
  let changed: Record<string, string> | undefined
  const env = process.env
  for (const key in env) {
    const value = env[key]
    if (value === undefined || baseline.get(key) === value) continue
    changed ??= Object.create(null) as Record<string, string>
    changed[key] = value
  }
  return changed
}

/**
 * The exports of Node's public built-in modules already loaded (from
 * `process.moduleLoadList`, which Node has always kept; nothing is loaded here).
 */
const loadedBuiltins = (): unknown[] => {
  try {
    const { isBuiltin } = process.getBuiltinModule('node:module')
    const list: unknown = Reflect.get(process, 'moduleLoadList')
    if (!Array.isArray(list)) return []
    return list.flatMap((entry: unknown) => {
      if (typeof entry !== 'string' || !entry.startsWith('NativeModule ')) return []
      const name = entry.slice('NativeModule '.length)
      if (name.startsWith('internal/') || !isBuiltin(name)) return []
      return [process.getBuiltinModule(name)]
    })
  } catch {
    return []
  }
}

export const createEngine = (config: EngineConfig) => {
  const platform = new Set<PropertyKey>(PLATFORM_NAMESPACES)
  const baseline = new Map<PropertyKey, unknown>()
  const containers = new Set<PropertyKey>()
  /**
   * The platform's globals themselves (`Buffer`, `process`) and Node's built-in modules
   * loaded so far (`fs`, `path`: what an `import fs from 'node:fs'` in module scope
   * holds), never walked into when reached.
   */
  const platformValues = new Set<unknown>([process, ...loadedBuiltins()])
  const initial = config.baseline ?? takeBaseline()
  for (const [key, descriptor] of initial.globals) {
    if (descriptor === undefined || platform.has(key) || isPlatformGlobal(descriptor)) {
      platform.add(key)
      if (descriptor !== undefined && 'value' in descriptor && key !== 'globalThis') {
        const value: unknown = descriptor.value
        if ((typeof value === 'object' && value !== null) || typeof value === 'function')
          platformValues.add(value)
      }
      continue
    }
    baseline.set(key, descriptor.value)
    if (isUserContainer(key, descriptor.value)) containers.add(key)
  }
  // process.env as it was: a variable set or changed later is searched (Node 24 makes
  // `process` an accessor of globalThis, and its env is no plain object anyway).
  const envBaseline = initial.env
  let envReadAt = Number.NEGATIVE_INFINITY
  const ignore = config.ignore.flatMap((entry) =>
    /[.[:\s]/.test(entry) ? [entry] : [entry, `globalThis.${entry}`],
  )
  const watch = Object.entries(config.watch)
  const inFlight = new Map<object, Invocation>()
  const history: Invocation[] = []
  /** The history's tokens prepared for the search, built when first needed. */
  let earlier: NeedleSet<Needle> | undefined
  const earlierNeedles = (): NeedleSet<Needle> => {
    earlier ??= needleSet(history, 'earlier')
    return earlier
  }
  const ownNeedles = (invocation: Invocation): NeedleSet<Needle> => {
    invocation.needles ??= needleSet([invocation], 'own')
    return invocation.needles
  }
  const record = createFindingLog()

  /**
   * Non-enumerable string keys of globalThis that are not the platform's: those of the
   * baseline, and those a full listing has found since (`Object.defineProperty`).
   */
  const hiddenGlobals = new Set<string>()
  let globalsListedAt = Number.NEGATIVE_INFINITY
  const noteHidden = (keys: readonly PropertyKey[]) => {
    for (const key of keys) {
      if (typeof key === 'string' && !platform.has(key) && !isEnumerable(globalThis, key))
        hiddenGlobals.add(key)
    }
  }
  noteHidden([...baseline.keys()])
  /**
   * The keys of globalThis to look at. Listing them all (`Reflect.ownKeys`, about 13 µs
   * on Node 24: the global object keeps no enumeration cache for its 130-odd keys) is
   * done at most every GLOBALS_INTERVAL_MS; in between, its enumerable keys (about 1 µs,
   * cached), its symbols and the non-enumerable keys known so far. A global defined
   * non-enumerable in between is seen at the next full listing, and its value still names
   * the invocation it came from (the last HISTORY invocations are remembered).
   */
  const globalKeys = (): PropertyKey[] => {
    const now = performance.now()
    if (now - globalsListedAt >= GLOBALS_INTERVAL_MS) {
      globalsListedAt = now
      const keys = Reflect.ownKeys(globalThis)
      noteHidden(keys)
      return keys
    }
    const keys: PropertyKey[] = Object.keys(globalThis)
    for (const key of hiddenGlobals) keys.push(key)
    for (const key of Object.getOwnPropertySymbols(globalThis)) keys.push(key)
    return keys
  }

  /**
   * The roots of container state, most likely first (the node budget is shared): new and
   * changed globals, watched and provided roots, then unchanged user containers.
   */
  const stateRoots = (phase: 'start' | 'end'): WalkRoot[] => {
    const roots: WalkRoot[] = []
    const unchanged: WalkRoot[] = []
    for (const key of globalKeys()) {
      if (platform.has(key)) continue
      const descriptor = Object.getOwnPropertyDescriptor(globalThis, key)
      if (descriptor === undefined || !('value' in descriptor)) continue
      const value = descriptor.value
      const known = baseline.has(key)
      if (!known || baseline.get(key) !== value) {
        roots.push({ label: globalLabel(key), value, newGlobal: !known })
      } else if (containers.has(key)) {
        unchanged.push({ label: globalLabel(key), value })
      }
    }
    // Reading process.env costs about 0.5 µs a variable (each read goes through Node's
    // C++ accessor; even listing its keys costs ~10 µs): at the end of an invocation, at
    // most every ENV_INTERVAL_MS. A write is seen at the next read; its value still names
    // the invocation it came from (the last HISTORY invocations are remembered).
    let env: Record<string, string> | undefined
    if (phase === 'end') {
      const now = performance.now()
      if (now - envReadAt >= ENV_INTERVAL_MS) {
        envReadAt = now
        env = changedEnv(envBaseline)
      }
    }
    if (env !== undefined) roots.push({ label: 'process.env', value: env })
    for (const [label, source] of watch) {
      try {
        roots.push({ label, value: typeof source === 'function' ? source() : source })
      } catch (error) {
        config.onRootError(`watch.${label}`, error)
      }
    }
    for (const provider of config.roots) {
      try {
        for (const root of provider()) roots.push(root)
      } catch (error) {
        config.onRootError('roots', error)
      }
    }
    roots.push(...unchanged)
    return ignore.length === 0 ? roots : roots.filter((root) => !ignore.includes(root.label))
  }

  /**
   * Walks `roots` for `needles` (built only if there is something to walk; a value in an
   * earlier set shadows the same value in a later one) and returns the findings to
   * report. `present` collects every needle value seen, whatever its relation.
   */
  const search = (
    roots: readonly WalkRoot[],
    needles: () => readonly NeedleSet<Needle>[],
    foundBy: string,
    phase: 'start' | 'end',
    present?: Set<string>,
  ): LeakFinding[] => {
    const found: LeakFinding[] = []
    if (roots.length === 0) return found
    const sets = needles().filter((set) => set.byValue.size > 0)
    if (sets.length === 0) return found
    const shortest = Math.min(...sets.map((set) => set.shortest))

    const shadowed = (value: string, index: number): boolean => {
      for (let i = 0; i < index; i++) if (sets[i]?.byValue.has(value)) return true
      return false
    }
    const holdsNeedle = (text: string): boolean =>
      sets.some((set) => {
        let holds = set.byValue.has(text)
        if (!holds) forEachInside(set, text, () => (holds = true))
        return holds
      })
    const maskKey = (key: string): string =>
      holdsNeedle(key) ? mask(key, classify(key)) : printableKey(key)

    const report = (needle: Needle, as: FoundAs, at: Place): void => {
      present?.add(needle.token.value)
      if (needle.relation === 'own' && phase === 'start') return
      const { token, invocation, relation } = needle
      if (at.cached && token.kind === undefined) return
      const where = renderPlace(at, maskKey)
      if (ignore.some((prefix) => under(where, prefix))) return
      const root = rootOf(at)
      const kind: LeakKind = root.pending
        ? 'pending'
        : relation === 'other'
          ? 'cross-request'
          : root.newGlobal
            ? 'new-global'
            : 'persisted'
      const finding = record(
        {
          severity: kind === 'cross-request' ? 'critical' : token.kind ? 'high' : 'medium',
          kind,
          where,
          as,
          cached: at.cached,
          field: token.field,
          requestId: invocation.requestId,
          foundBy,
          phase,
          sensitive: token.kind,
        },
        () => mask(token.value, token.kind),
      )
      if (finding !== undefined) found.push(finding)
    }

    const visit: StringVisitor = (text, as, parent, step, key) => {
      for (let i = 0; i < sets.length; i++) {
        const set = sets[i] as NeedleSet<Needle>
        const exact = typeof text === 'string' ? set.byValue.get(text) : set.byNumber.get(text)
        if (exact !== undefined && !shadowed(exact.token.value, i)) {
          report(exact, as, placeOf(parent, step, key))
        }
        if (typeof text !== 'string' || text.length <= set.shortest) continue
        forEachInside(set, text, (value) => {
          if (shadowed(value, i)) return
          const within = as === 'key' ? 'key' : 'substring'
          report(set.byValue.get(value) as Needle, within, placeOf(parent, step, key))
        })
      }
    }

    const stats = walk(roots, visit, config.maxNodes, shortest, platformValues, config.hidden?.())
    if (stats.truncated) config.onTruncated(stats.visited)
    return found
  }

  /**
   * A timer or immediate of this invocation still pending at its end: reported with the
   * data of the invocation its callback and arguments hold, or on its own if none.
   */
  const searchPending = (
    work: PendingWork,
    own: NeedleSet<Needle>,
    requestId: string,
  ): LeakFinding[] => {
    const label = `pending ${work.what} created at ${work.site}`
    const present = new Set<string>()
    const roots = [{ label, value: work.holds, pending: true }]
    const found = search(roots, () => [own], requestId, 'end', present)
    if (present.size > 0) return found
    const finding = record(
      {
        severity: 'medium',
        kind: 'pending',
        where: label,
        as: 'value',
        cached: false,
        field: '',
        requestId,
        foundBy: requestId,
        phase: 'end',
        sensitive: undefined,
      },
      () => '',
    )
    return finding === undefined ? found : [...found, finding]
  }

  const remember = (invocation: Invocation): void => {
    history.unshift(invocation)
    if (history.length > HISTORY) history.pop()
    earlier = undefined
  }

  /** Finishes, unchecked, invocations whose `after` and `onError` never ran. */
  const settle = (now: number): void => {
    for (const [key, invocation] of inFlight) {
      if (!config.oneAtATime && invocation.deadline > now) continue
      inFlight.delete(key)
      remember(invocation)
    }
  }

  return {
    /**
     * Starts an invocation: reports data of finished invocations still in state (the
     * proof of persistence), and drops from this event's tokens any value state already held.
     */
    start(key: object, requestId: string, event: unknown, remainingMs?: number): LeakFinding[] {
      const now = Date.now()
      settle(now)
      const deadline = now + (remainingMs ?? MAX_INVOCATION_MS)
      const invocation: Invocation = {
        requestId,
        tokens: collectTokens(event),
        deadline,
        overlapped: new Set(),
      }
      const present = new Set<string>()
      const needles = () => [earlierNeedles(), ownNeedles(invocation)]
      const found = search(stateRoots('start'), needles, requestId, 'start', present)
      for (const value of present) invocation.tokens.delete(value)
      if (present.size > 0) invocation.needles = undefined
      for (const other of inFlight.values()) {
        other.overlapped.add(invocation)
        invocation.overlapped.add(other)
      }
      inFlight.set(key, invocation)
      return found
    },

    /**
     * Ends an invocation: reports request data left in state, data of invocations that
     * overlapped it (still in flight or ended since) in state or in this response
     * (cross-request), then remembers this one.
     */
    end(key: object, response: unknown, pending: readonly PendingWork[] = []): LeakFinding[] {
      const invocation = inFlight.get(key)
      if (invocation === undefined) return []
      inFlight.delete(key)
      const own = ownNeedles(invocation)
      const others = needleSet(invocation.overlapped, 'other', own)
      invocation.overlapped.clear()
      const { requestId } = invocation
      const found = search(
        stateRoots('end'),
        () => [own, others, earlierNeedles()],
        requestId,
        'end',
      )
      const answer = [{ label: 'response', value: response }]
      if (others.byValue.size > 0) found.push(...search(answer, () => [others], requestId, 'end'))
      for (const work of pending) found.push(...searchPending(work, own, requestId))
      remember(invocation)
      return found
    },
  }
}
