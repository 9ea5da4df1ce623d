/**
 * Conditional requests answered from a stored response (RFC 9110 §13.2.2):
 * `If-None-Match` against the stored ETag; without it, `If-Modified-Since`
 * against the stored `Last-Modified` (or `Date`, RFC 9111 §4.3.2).
 */
import type { Entry } from './entry.js'
import { type HttpRequest, headerOf, ifNoneMatchHits } from './http.js'
import { parseHttpDate } from './rules.js'

/** Whether a hit should answer `304 Not Modified`. */
export const notModifiedSince = (http: HttpRequest, entry: Entry): boolean => {
  const ifNoneMatch = http.headers['if-none-match']
  if (ifNoneMatch !== undefined) return ifNoneMatchHits(ifNoneMatch, entry.etag)
  if (Number.isNaN(entry.lastModified)) return false
  // Read only for an entry that has a date: most handler responses carry none.
  const since = headerOf(http.event, 'if-modified-since')
  if (since === undefined) return false
  const at = parseHttpDate(since)
  return !Number.isNaN(at) && entry.lastModified <= at
}
