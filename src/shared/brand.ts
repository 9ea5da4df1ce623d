/**
 * A brand shared by both middlewares. orcCache marks its own store with it (a
 * non-enumerable property), so that leakGuard can recognise cached entries as
 * intended container state rather than leaked request data.
 */
export const ORC_CACHE_BRAND: unique symbol = Symbol.for('middy-orc.cache-store') as never
