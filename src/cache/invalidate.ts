/**
 * Invalidation after unsafe methods (RFC 9111 §4.4): a successful (2xx or 3xx)
 * response to a POST, PUT, DELETE or any method that is not safe makes the
 * cache drop what it holds for the request's target, and for the targets of
 * `Location` and `Content-Location` when they are on the same origin.
 */
import { defaultHttpKey } from './entry.js'
import { type HttpRequest, headerOf, sameOriginTarget } from './http.js'

/** Safe methods (RFC 9110 §9.2.1): they never invalidate. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

/** Whether a response status counts as success for invalidation (non-error: 2xx, 3xx). */
export const invalidates = (status: number | undefined): boolean =>
  status !== undefined && status >= 200 && status < 400

/**
 * The base keys to drop after a successful unsafe request: the key of the
 * request's own target (`ownKey`: the user's key selector's value, or the
 * default HTTP key), and, with the default HTTP key only, the GET and HEAD keys
 * of same-origin `Location` / `Content-Location` targets.
 */
export const invalidationKeys = (
  http: HttpRequest,
  response: Record<string, unknown>,
  ownKey: string | undefined,
  defaultKeys: boolean,
): string[] => {
  const keys: string[] = []
  const add = (target: string) => {
    for (const method of ['GET', 'HEAD']) keys.push(defaultHttpKey({ ...http, method, target }))
  }
  if (!defaultKeys) {
    if (ownKey !== undefined) keys.push(ownKey)
    return keys
  }
  add(http.target)
  for (const name of ['location', 'content-location']) {
    const value = headerOf(response, name)
    const target = value === undefined ? undefined : sameOriginTarget(value, http)
    if (target !== undefined) add(target)
  }
  return keys
}
