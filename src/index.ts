/**
 * Both middlewares. The built file is self-contained: its own copy of both (one module
 * load at a cold start, not three), so import each middleware from one place, the root
 * or its subpath, not both (two copies would load). A function that uses only the cache
 * imports `middy-orc/cache` and loads none of leakGuard.
 */
export * from './cache/index.js'
export { ConfigError } from './cache/index.js'
export * from './leak-guard/index.js'
