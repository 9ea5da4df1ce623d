/** Anything that can take a warning: `console`, Powertools Logger, pino-like loggers. */
export interface WarnLogger {
  warn(message: string, ...extra: unknown[]): void
}

/**
 * Returns a function that logs a warning once per `code` for the life of the
 * container. Used for fail-open paths: the first occurrence is reported, the
 * rest stay quiet so a bad event does not flood the logs.
 */
export const createLogOnce = (logger: WarnLogger, prefix: string) => {
  const seen = new Set<string>()
  return (code: string, message: string, extra?: Record<string, unknown>): void => {
    if (seen.has(code)) return
    seen.add(code)
    try {
      if (extra === undefined) logger.warn(`${prefix} ${message}`)
      else logger.warn(`${prefix} ${message}`, extra)
    } catch {
      // A broken logger must never break the request.
    }
  }
}

/** A short, secret-free description of a thrown value for logs: its class name only, never its message. */
export const errorName = (error: unknown): string =>
  error instanceof Error ? error.name : typeof error
