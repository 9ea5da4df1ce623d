/**
 * Key selectors: turning an event into the cache key.
 *
 * A selector is a function, a plain property path (`pathParameters.id`), several
 * comma-separated paths, or a JMESPath expression. Paths compile once into plain
 * property reads; JMESPath is loaded only when an expression needs it.
 *
 * Key rules:
 * - a single string is its own key; a single finite number or boolean is its
 *   string form (so `42` and `"42"` name the same entry, as they do in a URL);
 * - several values (a multi-path selector, or an array from a function) are
 *   joined injectively: each part is tagged with its type and strings are
 *   length-prefixed, so no two different tuples give one key, and a tuple key
 *   never equals a single key (tuple keys start with NUL, keys derived for a
 *   principal or Vary values start with STX; a single key that starts with NUL,
 *   SOH or STX is escaped with a leading SOH);
 * - a single `undefined`, `null` or `''`, or a tuple whose parts are all
 *   missing, means "no key": the invocation bypasses the cache;
 * - any other value (an object, NaN) is not a key: the invocation bypasses the
 *   cache and the cause is logged once.
 */
import { ConfigError } from '../shared/env.js'

/** What a key selector function may return. */
export type KeyValue = string | number | boolean | undefined | null

/** A compiled selector: the key, `undefined` for "bypass", or throws {@link KeyTypeError}. */
export type CompiledKey<TEvent, TContext> = (event: TEvent, context: TContext) => string | undefined

/** Thrown by a compiled selector when the selected value cannot be a key. */
export class KeyTypeError extends Error {
  override name = 'KeyTypeError'
}

const IDENTIFIER = '[A-Za-z_$][\\w$]*'
const SEGMENT = `(?:${IDENTIFIER}|\\d+)`
const PLAIN_PATH = new RegExp(`^${IDENTIFIER}(?:\\.${SEGMENT})*$`)
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor'])

const TUPLE_MARK = '\u0000'
const ESCAPE_MARK = '\u0001'
/** First character of every key derived for a principal or for Vary values. */
export const DERIVED_MARK = '\u0002'

/** A single string key, escaped so it can never equal a tuple or decorated key. */
const singleKey = (value: string): string => {
  const first = value.charCodeAt(0)
  return first <= 2 ? ESCAPE_MARK + value : value
}

/**
 * The prefix of every key derived from `base` (per principal, per Vary values):
 * length-prefixed, so that what follows can never be mistaken for part of `base`.
 */
export const derivedPrefix = (base: string): string => `${DERIVED_MARK}${base.length}:${base}`

/** Converts one selected value into a single key; `undefined` means no key. */
const keyPart = (value: unknown): string | undefined => {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value === 'string') return singleKey(value)
  if (typeof value === 'boolean' || Number.isFinite(value)) return String(value)
  throw new KeyTypeError(NOT_A_KEY)
}

/** The message of a {@link KeyTypeError}; it never shows the value, which may be data. */
const NOT_A_KEY = 'a key must be a string, a finite number or a boolean'

/**
 * Joins parts injectively, each tagged with its type: `s<len>:<text>` for a
 * string, `n<number>;` for a number, `t`/`f` for booleans, `u` for undefined and
 * `z` for null. Returns `undefined` when every part is missing (undefined, null, '').
 */
export const encodeTuple = (parts: readonly unknown[]): string | undefined => {
  let key = TUPLE_MARK
  let present = false
  for (const part of parts) {
    switch (typeof part) {
      case 'string':
        if (part !== '') present = true
        key += `s${part.length}:${part}`
        continue
      case 'number':
        if (!Number.isFinite(part)) break
        present = true
        key += `n${part};`
        continue
      case 'boolean':
        present = true
        key += part ? 't' : 'f'
        continue
      case 'undefined':
        key += 'u'
        continue
      case 'object':
        if (part !== null) break
        key += 'z'
        continue
    }
    throw new KeyTypeError(NOT_A_KEY)
  }
  return present ? key : undefined
}

/** Normalises what a selector returned into a key (or `undefined` to bypass). */
export const normaliseKey = (value: unknown): string | undefined =>
  Array.isArray(value) ? encodeTuple(value) : keyPart(value)

/** True when `text` is one plain path or comma-separated plain paths. */
export const isPlainPathList = (text: string): boolean =>
  text.split(',').every((path) => PLAIN_PATH.test(path.trim()))

/** Compiles one plain path into a function of property reads (own properties only). */
export const compilePath = (path: string): ((root: unknown) => unknown) => {
  const segments = path.trim().split('.')
  for (const segment of segments) {
    if (FORBIDDEN_SEGMENTS.has(segment)) {
      throw new ConfigError('key', `path "${path}" may not use "${segment}"`)
    }
  }
  const hasOwn = Object.hasOwn
  const read = (node: unknown, name: string): unknown =>
    node !== null && typeof node === 'object' && hasOwn(node, name)
      ? (node as Record<string, unknown>)[name]
      : undefined
  switch (segments.length) {
    case 1: {
      const [a] = segments as [string]
      return (root) => read(root, a)
    }
    case 2: {
      const [a, b] = segments as [string, string]
      return (root) => read(read(root, a), b)
    }
    // Stryker disable next-line ConditionalExpression,BlockStatement: a fast path; the loop below reads three segments the same way
    case 3: {
      const [a, b, c] = segments as [string, string, string]
      return (root) => read(read(read(root, a), b), c)
    }
    default:
      return (root) => {
        let node = root
        for (const segment of segments) node = read(node, segment)
        return node
      }
  }
}

interface JmesPathModule {
  search(expression: string, data: unknown, options?: { customFunctions?: unknown }): unknown
  JMESPathError: new () => Error
  JMESPathTypeError: new () => Error
}
interface JmesPathFunctionsModule {
  PowertoolsFunctions: new () => object
}

/** A CommonJS `require` for the optional JMESPath package, made when first needed (not at import). */
const requireHere = (specifier: string): unknown => {
  const { createRequire } = process.getBuiltinModule('node:module') as typeof import('node:module')
  return createRequire(import.meta.url)(specifier)
}

/** Function names called in a JMESPath expression, outside its string and JSON literals. */
const calledFunctions = (expression: string): string[] => {
  // Stryker disable next-line Regex,StringLiteral: a '(' inside a valid backtick JSON literal is inside a JSON string, which the double-quote alternative removes; and a literal is never directly followed by '(' in a valid expression
  const code = expression.replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`(?:\\.|[^`\\])*`/g, '""')
  return [...code.matchAll(/([A-Za-z_]\w*)\s*\(/g)].map((match) => match[1] as string)
}

/**
 * Compiles a JMESPath expression with `@aws-lambda-powertools/jmespath` (and its
 * Powertools functions, such as `powertools_json`). Loads the package now, parses
 * the expression and checks its function names, so that a typo fails at start-up.
 */
export const compileJmesPath = (
  expression: string,
  source: string,
): ((root: unknown) => unknown) => {
  let jmespath: JmesPathModule
  let functions: Record<string, unknown>
  try {
    jmespath = requireHere('@aws-lambda-powertools/jmespath') as JmesPathModule
    const { PowertoolsFunctions } = requireHere(
      '@aws-lambda-powertools/jmespath/functions',
    ) as JmesPathFunctionsModule
    functions = new PowertoolsFunctions() as Record<string, unknown>
  } catch {
    // The package is a dev dependency, so no in-process test can miss it; the packed
    // package's test (test/package/packed.test.ts) checks this error without it.
    /* v8 ignore next 5 */
    throw new ConfigError(
      source,
      // Stryker disable next-line StringLiteral: reached only without the package (see above)
      `"${expression}" is a JMESPath expression, which needs @aws-lambda-powertools/jmespath installed (or use a plain path like pathParameters.id, or a function)`,
    )
  }
  // The interpreter finds `to_number` as the method `funcToNumber`; it would only
  // fail on an unknown name when a request reaches that call.
  for (const name of calledFunctions(expression)) {
    const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
    const method = `func${camel.charAt(0).toUpperCase()}${camel.slice(1)}`
    if (typeof functions[method] !== 'function') {
      throw new ConfigError(source, `uses the unknown JMESPath function ${name}()`)
    }
  }
  const options = { customFunctions: functions }
  try {
    jmespath.search(expression, {}, options)
  } catch (error) {
    // Parse errors are configuration errors; type errors on an empty event are not.
    if (error instanceof jmespath.JMESPathError && !(error instanceof jmespath.JMESPathTypeError)) {
      throw new ConfigError(
        source,
        `is not a valid JMESPath expression: ${(error as Error).message}`,
      )
    }
  }
  return (root) => jmespath.search(expression, root, options)
}

/**
 * Compiles a key selector. Strings that are plain paths (or comma-separated
 * plain paths) become property reads; any other string is JMESPath.
 */
export const compileKey = <TEvent, TContext>(
  selector: string | ((event: TEvent, context: TContext) => KeyValue | readonly KeyValue[]),
  source = 'key',
): CompiledKey<TEvent, TContext> => {
  if (typeof selector === 'function') {
    return (event, context) => normaliseKey(selector(event, context))
  }
  const text = selector.trim()
  if (text === '') throw new ConfigError(source, 'must not be empty')
  if (isPlainPathList(text)) {
    const paths = text.split(',').map(compilePath)
    if (paths.length === 1) {
      const [path] = paths as [(root: unknown) => unknown]
      return (event) => keyPart(path(event))
    }
    return (event) => encodeTuple(paths.map((path) => path(event)))
  }
  const search = compileJmesPath(text, source)
  return (event) => normaliseKey(search(event))
}
