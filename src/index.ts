/**
 * Both middlewares. The built file re-exports `middy-orc/cache` and
 * `middy-orc/leak-guard` (one copy of each, shared with the subpaths); a function
 * that uses only the cache imports `middy-orc/cache` and loads none of leakGuard.
 */
export * from './cache/index.js'
export { ConfigError } from './cache/index.js'
export * from './leak-guard/index.js'
