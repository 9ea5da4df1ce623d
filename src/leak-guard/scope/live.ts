/**
 * Live reads of the module variables that first-party code rebinds, without the inspector
 * at every check. Reading a scope through the inspector copies every variable it holds
 * (about 1 µs each): an esbuild bundle's one module scope holds thousands, so a handler
 * that rebinds a single `let` there (`tenantId = event.tenant`) would pay for a copy of
 * the whole bundle at every check (`plan.ts` says which variables are rebound).
 *
 * When the guard is bundled into the same file as the code it reads (a function deployed
 * as one esbuild bundle, with middy-orc installed or not), its {@link probe} function
 * shares that file's module scope. A getter written as if inside the probe,
 * `() => [tenantId, count]`, is made once through the inspector
 * (`ScopeInspector.evaluateInCall`); it then reads those variables as they are, at the
 * cost of a function call. Each getter is checked when it is made (the identity of a few
 * objects of the same scope, so that it cannot be reading another module's variables of
 * the same names) and against a full read taken right after, then again at every full
 * read (at most once a second); a getter that disagrees or throws is dropped and the
 * scope is read whole again at every check.
 *
 * Out of reach, read whole as before: scopes of a file the guard is not bundled into
 * (unbundled handler files, middy-orc loaded from `node_modules` at run time), variables
 * rebound in an inner scope (a factory's closure, a CommonJS module that esbuild wraps in
 * a function of its own), and the realm-wide `Script` scope.
 */
import { fileURLToPath } from 'node:url'
import type { FunctionReading, ScopeInspector, ScopeReading } from './inspector.js'
import type { SourcePlan } from './plan.js'

/** The function getters are made in: it does nothing, and is called once per batch. */
const probe = (): undefined => undefined

/** Variable names a getter can be written with (others: the scope is read whole). */
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** At most this many objects of the scope checked by identity when a getter is made. */
const ANCHORS = 3

/**
 * The probe's file, once known (`null`: not yet). A property, not a `let`: see
 * `loaded` in `./index.ts`.
 */
const known: { probeFile: string | undefined | null } = { probeFile: null }

/**
 * The path of the script the probe was compiled from: its own call site, as V8 records
 * it (not as a source map would rename it).
 */
const fileOfProbe = (): string | undefined => {
  if (known.probeFile !== null) return known.probeFile
  const original = Error.prepareStackTrace
  let file: unknown
  try {
    Error.prepareStackTrace = (_error, sites) => sites
    const holder: { stack?: unknown } = {}
    Error.captureStackTrace(holder, fileOfProbe)
    const sites = holder.stack
    file = Array.isArray(sites)
      ? (sites[0] as NodeJS.CallSite | undefined)?.getFileName()
      : undefined
  } catch {
    file = undefined
  } finally {
    Error.prepareStackTrace = original
  }
  known.probeFile =
    typeof file !== 'string' ? undefined : file.startsWith('file://') ? fileURLToPath(file) : file
  return known.probeFile
}

/** What a getter for one target needs: its rebound module variables, and anchors. */
export interface LiveRequest {
  /** The rebound variables of the target's module scope, read live. */
  readonly names: readonly string[]
  /** Variables of the same scope holding objects, with the objects, to check identity. */
  readonly anchors: readonly (readonly [name: string, value: object])[]
}

/** Reads one target's rebound module variables. */
export interface LiveScope {
  readonly names: readonly string[]
  /** Their values now, in the order of `names`; `undefined` if the getter threw. */
  read(): readonly unknown[] | undefined
}

/** The index of a reading's module scope: its outermost scope but the `Script` one. */
export const moduleScopeIndex = ({ scopes }: FunctionReading): number =>
  scopes.findLastIndex(({ description }) => description !== 'Script')

/**
 * Whether the target read in `reading` (from the script at `path`) can have its rebound
 * variables read live, and which: only when the probe lives in the same script, every
 * rebound variable is in its module scope (none in an inner scope, no `Script` scope)
 * and has a plain name. `entries`: the module scope's variables (TDZ ones left out).
 */
export const liveRequestOf = (
  reading: FunctionReading,
  entries: readonly (readonly [string, unknown])[],
  plan: SourcePlan,
  path: string | undefined,
): LiveRequest | undefined => {
  const { referenced, assigned } = plan
  if (assigned === undefined || path === undefined || path !== fileOfProbe()) return undefined
  const moduleIndex = moduleScopeIndex(reading)
  const rebound = (name: string) =>
    assigned.has(name) && (referenced === undefined || referenced.has(name))
  for (const [k, { description, variables }] of reading.scopes.entries()) {
    if (description === 'Script') return undefined
    if (k !== moduleIndex && Object.keys(variables).some(rebound)) return undefined
  }
  // A rebound variable still in its temporal dead zone cannot be checked: read whole.
  const moduleScope = reading.scopes[moduleIndex]
  const initialised = new Set(entries.map(([name]) => name))
  if (moduleScope === undefined) return undefined
  if (Object.keys(moduleScope.variables).some((name) => rebound(name) && !initialised.has(name)))
    return undefined
  const names: string[] = []
  const anchors: [string, object][] = []
  for (const [name, value] of entries) {
    if (rebound(name)) {
      if (!IDENTIFIER.test(name)) return undefined
      names.push(name)
    } else if (
      anchors.length < ANCHORS &&
      IDENTIFIER.test(name) &&
      (referenced === undefined || referenced.has(name)) &&
      ((typeof value === 'object' && value !== null) || typeof value === 'function')
    ) {
      anchors.push([name, value])
    }
  }
  return names.length === 0 ? undefined : { names, anchors }
}

/** `[a, b]` as a getter's body. */
const list = (names: readonly string[]) => `[${names.join(', ')}]`

/**
 * Makes the getters of `requests` (at least one) in one call of the probe (the debugger
 * enabled once);
 * `undefined` for each that could not be made, throws, or finds other objects than its
 * anchors. The caller checks their values against a full read taken right after.
 */
export const createLiveScopes = (
  inspector: ScopeInspector,
  requests: readonly LiveRequest[],
): (LiveScope | undefined)[] => {
  const expressions = requests.map(
    ({ names, anchors }) => `[() => ${list(anchors.map(([name]) => name))}, () => ${list(names)}]`,
  )
  const made = inspector.evaluateInCall(probe, expressions)
  return requests.map((request, i) => {
    const pair: unknown = made?.[i]
    if (!Array.isArray(pair)) return undefined
    const [anchors, values] = pair as [() => unknown[], () => unknown[]]
    try {
      const found = anchors()
      if (!request.anchors.every(([, value], j) => found[j] === value)) return undefined
      values()
    } catch {
      return undefined // a name out of the probe's reach
    }
    return {
      names: request.names,
      read: () => {
        try {
          return values()
        } catch {
          return undefined
        }
      },
    }
  })
}

/**
 * Whether a getter's values are those of `scope` (the module scope of a full reading
 * taken at the same moment): false when it throws, or when any value differs.
 */
export const agrees = (live: LiveScope, scope: ScopeReading | undefined): boolean => {
  const values = live.read()
  if (values === undefined || scope === undefined) return false
  return live.names.every((name, j) => {
    try {
      return Object.is(values[j], scope.variables[name])
    } catch {
      return false // in its temporal dead zone in the reading: not what the getter saw
    }
  })
}
