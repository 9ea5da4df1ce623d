/**
 * The two-tier driver (`shared.ts`), loaded lazily: orcCache starts importing it
 * when a `shared` option is given, off the request path (in Lambda, during init),
 * so a function without a shared tier never loads or compiles its code. Until it
 * has loaded, work for it waits on the load; if the load fails, the cache stays
 * in memory only (the caller logs it once).
 */
import type { SharedDriver, SharedDriverOptions } from './shared.js'

export class DriverSlot {
  /** The driver, once loaded. */
  driver: SharedDriver | undefined
  /** Set when the load failed: the cache stays in memory only. */
  failed = false
  /** Settles once the load, and the work queued on it, are done. Never rejects. */
  #loading: Promise<void>

  constructor(options: SharedDriverOptions, onLoadFailure: (error: unknown) => void) {
    this.#loading = import('./shared.js').then(
      ({ SharedDriver }) => {
        this.driver = new SharedDriver(options)
      },
      (error: unknown) => {
        this.failed = true
        onLoadFailure(error)
      },
    )
  }

  /** The driver, once the load has settled (`undefined` when it failed). */
  async ready(): Promise<SharedDriver | undefined> {
    if (this.driver === undefined && !this.failed) await this.#loading
    return this.driver
  }

  /** Runs `act` on the driver now, or once it has loaded (the hooks await that, see `settle`). */
  run(act: (driver: SharedDriver) => void): void {
    if (this.driver !== undefined) act(this.driver)
    else if (!this.failed) {
      this.#loading = this.#loading.then(() => {
        if (this.driver !== undefined) act(this.driver)
      })
    }
  }

  /** What an invocation's last hook awaits: the driver's operations in flight, or the load. */
  settle(): Promise<void> | undefined {
    if (this.driver !== undefined) return this.driver.settle()
    return this.failed ? undefined : this.#loading
  }
}
