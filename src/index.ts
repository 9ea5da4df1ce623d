export * from './cache/index.js'
export * from './leak-guard/index.js'
export { ConfigError } from './shared/env.js'
