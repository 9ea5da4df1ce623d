/**
 * Answering from an entry: a hit (from memory or the shared tier) or a stale
 * answer to a failure. Sets `request.earlyResponse` (an HTTP response gets its
 * `Age`, the status header and, for a matching conditional request, a 304),
 * counts it, and runs the cleanups Powertools middlewares left (an early
 * response skips their `after` hooks).
 */

import { notModifiedSince } from './conditional.js'
import { type Entry, HTTP } from './entry.js'
import { type HttpRequest, hitResponse } from './http.js'
import { runPowertoolsCleanups } from './middy-glue.js'
import type { OrcCacheEventType } from './options.js'
import { deepFreeze } from './snapshot.js'

/** How a request was answered: from memory, from the shared tier, or stale after a failure. */
export type AnswerStatus = 'HIT' | 'HIT-SHARED' | 'STALE'

/** The counters an answer moves (the cache's own, shared by reference). */
export interface AnswerCounters {
  hits: number
  sharedHits: number
  stale: number
}

export interface AnswerOptions {
  readonly counters: AnswerCounters
  readonly emit: ((type: OrcCacheEventType, key: string | undefined) => void) | undefined
  /** The status header's name, or `undefined` when it is off. */
  readonly header: string | undefined
  /** Called with what a Powertools cleanup threw (the hit is served anyway). */
  readonly onCleanupFailure: (error: unknown) => void
}

/** The request fields an answer touches. */
interface Answerable {
  earlyResponse?: unknown
  internal: unknown
}

/**
 * Makes the answer function of one cache. It returns the cleanup promise when
 * Powertools middlewares ran before orcCache (Middy awaits it), else `undefined`.
 */
export const createAnswer =
  ({ counters, emit, header, onCleanupFailure }: AnswerOptions) =>
  (
    request: Answerable,
    entry: Entry,
    key: string,
    http: HttpRequest | undefined,
    status: AnswerStatus,
    at: number,
  ): Promise<void> | undefined => {
    if (!entry.frozen) {
      deepFreeze(entry.value)
      entry.frozen = true
    }
    let response = entry.value
    if (entry.kind === HTTP) {
      const age = Math.max(0, Math.floor((entry.initialAge + at - entry.storedAt) / 1000))
      const notModified = http !== undefined && notModifiedSince(http, entry)
      response = hitResponse(
        entry.value as Record<string, unknown>,
        age,
        header,
        status,
        notModified,
      )
    }
    request.earlyResponse = response
    if (status !== 'STALE') {
      counters.hits++
      if (status === 'HIT-SHARED') counters.sharedHits++
      emit?.('hit', key)
    } else {
      counters.stale++
      emit?.('stale', key)
    }
    return runPowertoolsCleanups(request, onCleanupFailure)
  }
