/**
 * Setup of the mutation run (vitest.mutation.config.ts): imports the mutated modules
 * before any test, so that StrykerJS sees their module-level code (constants, compiled
 * regular expressions) run outside every test and treats its mutants as static, which
 * stryker.config.mjs ignores. Without this, a module that a test first loads lazily
 * (leakGuard loads its engine, and with it walk.ts, by `import()`) has its module-level
 * mutants attributed to that test alone; they then survive, because the module is not
 * evaluated again for each mutant.
 */
import '../../src/cache/http.js'
import '../../src/cache/rules.js'
import '../../src/cache/key.js'
import '../../src/cache/snapshot.js'
import '../../src/cache/options.js'
import '../../src/shared/env.js'
import '../../src/leak-guard/tokens.js'
import '../../src/leak-guard/sensitive.js'
import '../../src/leak-guard/mask.js'
import '../../src/leak-guard/walk.js'
import '../../src/leak-guard/findings.js'
