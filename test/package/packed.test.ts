/**
 * The package as a user receives it: built from the current sources, packed
 * with `npm pack`, installed from the tarball into a scratch project (with
 * `@middy/core` from the registry as the peer), and used from a child `node`:
 * - the three entry points import (`middy-orc`, `middy-orc/cache`,
 *   `middy-orc/leak-guard`); each is one self-contained file (scripts/build.mjs),
 *   the root with its own copy of both middlewares, which behaves as the subpaths'
 *   do, and the error classes are recognised by `instanceof` across entry points;
 * - a tiny Middy handler with orcCache misses, then hits;
 * - each entry point loads its one file and nothing else of the package:
 *   `middy-orc/cache` no leakGuard code, `middy-orc/leak-guard` no orcCache
 *   code (every file the child loads is recorded by a loader hook); leakGuard's
 *   heavy part, an internal file (`dist/leak-guard/runtime.js`, not exported),
 *   loads only once a guard is created with mode not `off`;
 * - source maps point into src/ and carry it; declarations carry the TSDoc;
 * - the tarball holds what `files` says and nothing else;
 * - publint (strict) and arethetypeswrong (ESM-only profile) find no problem.
 *
 * The build happens in a staging copy (src/, configs and docs), so this test
 * never touches the repository's dist/ and always checks the current src/.
 * Needs the npm registry (for @middy/core and lru-cache); it fails, loudly,
 * without it.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process'
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  name: string
  version: string
  files: string[]
  peerDependencies: Record<string, string>
}
const work = mkdtempSync(join(tmpdir(), 'orc-packed-'))
const stage = join(work, 'stage')
const project = join(work, 'project')
const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name)

/** Runs a command; throws with its output when it fails. */
const run = (
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  timeout = 120_000,
): SpawnSyncReturns<string> => {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, ...env },
    maxBuffer: 32 * 1024 * 1024,
  })
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status ?? result.signal ?? result.error}):\n${result.stdout}\n${result.stderr}`,
    )
  }
  return result
}

let tarball = ''
let packedFiles: string[] = []

beforeAll(() => {
  // Stage: what the build needs and what `files` ships, never the repository's dist/.
  mkdirSync(stage)
  for (const name of [
    'package.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'README.md',
    'CHANGELOG.md',
    'LICENSE',
  ]) {
    cpSync(join(repoRoot, name), join(stage, name))
  }
  for (const dir of ['src', 'scripts']) {
    cpSync(join(repoRoot, dir), join(stage, dir), { recursive: true })
  }
  symlinkSync(join(repoRoot, 'node_modules'), join(stage, 'node_modules'), 'dir')
  run(process.execPath, [join(stage, 'scripts', 'build.mjs')], stage)

  const packed = run(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', work],
    stage,
  )
  const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }]
  tarball = join(work, info.filename)
  packedFiles = info.files.map((file) => file.path).sort()

  // A scratch project that installs the tarball and the peer, as a user would.
  mkdirSync(project)
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'orc-scratch', private: true, type: 'module' }),
  )
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--no-package-lock',
      tarball,
      `@middy/core@${manifest.peerDependencies['@middy/core']}`,
    ],
    project,
    {},
    150_000,
  )
}, 240_000)

afterAll(() => rmSync(work, { recursive: true, force: true }))

/** Runs a script in the scratch project with a child `node`; returns its stdout parsed as JSON. */
const runInProject = <T>(name: string, source: string, nodeArgs: string[] = [], env = {}): T => {
  writeFileSync(join(project, name), source)
  const { stdout } = run(process.execPath, [...nodeArgs, name], project, env, 60_000)
  return JSON.parse(stdout) as T
}

describe(`the packed package (${manifest.name}@${manifest.version})`, () => {
  it('ships dist with declarations, the readme, changelog and licence, and nothing else', () => {
    for (const file of [
      'package.json',
      'README.md',
      'CHANGELOG.md',
      'LICENSE',
      ...['dist/index', 'dist/cache/index', 'dist/leak-guard/index', 'dist/redis/index'].flatMap(
        (entry) => [`${entry}.js`, `${entry}.js.map`, `${entry}.d.ts`],
      ),
      'dist/leak-guard/runtime.js',
      'dist/leak-guard/runtime.js.map',
      'dist/cache/shared.js',
      'dist/cache/shared.js.map',
    ]) {
      expect(packedFiles).toContain(file)
    }
    // One JavaScript file per entry point, leakGuard's lazily loaded heavy part, and
    // orcCache's lazily loaded two-tier driver.
    expect(packedFiles.filter((file) => file.endsWith('.js')).sort()).toEqual(
      [
        'dist/cache/index.js',
        'dist/cache/shared.js',
        'dist/index.js',
        'dist/leak-guard/index.js',
        'dist/leak-guard/runtime.js',
        'dist/redis/index.js',
      ].sort(),
    )
    const stray = packedFiles.filter(
      (file) =>
        !file.startsWith('dist/') &&
        !['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'].includes(file),
    )
    expect(stray).toEqual([])
  })

  it('has no static import of a Node built-in in any built file (they read process.getBuiltinModule)', () => {
    // A function bundled by esbuild gets our lazily loaded files inlined, and their static
    // imports hoisted to the top of its one file, where they run at import (scripts/build.mjs).
    for (const file of packedFiles.filter((name) => name.endsWith('.js'))) {
      const code = readFileSync(join(project, 'node_modules', manifest.name, file), 'utf8')
      expect({ file, imports: code.match(/\b(?:from|import)\s*"node:[^"]+"/g) }).toEqual({
        file,
        imports: null,
      })
    }
  })

  it('imports from all three entry points and runs orcCache in a Middy handler', () => {
    const report = runInProject<{
      root: string[]
      cache: string[]
      guard: string[]
      configErrorAcross: boolean[]
      leakErrorAcross: boolean[]
      notConfigError: boolean[]
      leakGuardType: string
      rootResults: unknown[]
      results: unknown[]
      calls: number
      stats: { hits: number; misses: number; stores: number }
    }>(
      'use.mjs',
      `
import middy from '@middy/core'
import * as root from 'middy-orc'
import * as cache from 'middy-orc/cache'
import * as guard from 'middy-orc/leak-guard'

let calls = 0
const orc = cache.orcCache({ key: 'pathParameters.id', ttl: 60_000, logger: { warn: (m) => { throw new Error(m) } } })
const handler = middy(async (event) => {
  calls++
  return { id: event.pathParameters.id, calls }
}).use(orc)
const context = { functionName: 'scratch', awsRequestId: 'r', getRemainingTimeInMillis: () => 30_000 }
const results = []
for (const id of ['1', '1', '2', '1']) results.push(await handler({ pathParameters: { id } }, context))
// The root's copy of orcCache behaves as the subpath's (its own store).
let rootCalls = 0
const rootHandler = middy(async (event) => ({ id: event.pathParameters.id, calls: ++rootCalls }))
  .use(root.orcCache({ key: 'pathParameters.id', ttl: 60_000 }))
const rootResults = []
for (const id of ['1', '1']) rootResults.push(await rootHandler({ pathParameters: { id } }, context))

// Errors from one entry point's copy are instances of the classes of the others.
const thrown = (make) => { try { make() } catch (error) { return error } }
const fromGuard = thrown(() => guard.leakGuard({ mode: 'loud' }))
const fromCache = thrown(() => cache.orcCache({ ttl: 'soon' }))
const fromRoot = thrown(() => root.orcCache({ ttl: 'soon' }))
const quiet = { warn: () => {} }
let kept
const leaky = middy(async (event) => { kept = event.card; return kept.length })
  .use(guard.leakGuard({ mode: 'throw', logger: quiet, targets: [() => kept] }))
const leakError = await leaky({ card: '4111111111111111' }, context).catch((error) => error)

process.stdout.write(JSON.stringify({
  root: Object.keys(root).sort(),
  cache: Object.keys(cache).sort(),
  guard: Object.keys(guard).sort(),
  configErrorAcross: [
    fromGuard instanceof root.ConfigError,
    fromGuard instanceof cache.ConfigError,
    fromCache instanceof guard.ConfigError,
    fromCache instanceof root.ConfigError,
    fromRoot instanceof cache.ConfigError,
    fromRoot instanceof Error,
  ],
  leakErrorAcross: [
    leakError instanceof guard.LeakError,
    leakError instanceof root.LeakError,
    leakError instanceof Error,
  ],
  notConfigError: [
    new Error('x') instanceof root.ConfigError,
    leakError instanceof cache.ConfigError,
    fromCache instanceof root.LeakError,
    null instanceof root.ConfigError,
  ],
  leakGuardType: typeof guard.leakGuard,
  rootResults,
  results,
  calls,
  stats: orc.stats(),
}))
`,
    )
    expect(report.root).toEqual(expect.arrayContaining(['orcCache', 'leakGuard', 'ConfigError']))
    expect(report.cache).toContain('orcCache')
    expect(report.cache).not.toContain('leakGuard')
    expect(report.guard).toContain('leakGuard')
    expect(report.guard).toContain('ConfigError')
    expect(report.guard).not.toContain('orcCache')
    expect(report.leakGuardType).toBe('function')
    expect(report.configErrorAcross).toEqual([true, true, true, true, true, true])
    expect(report.leakErrorAcross).toEqual([true, true, true])
    expect(report.notConfigError).toEqual([false, false, false, false])
    expect(report.results).toEqual([
      { id: '1', calls: 1 },
      { id: '1', calls: 1 },
      { id: '2', calls: 2 },
      { id: '1', calls: 1 },
    ])
    expect(report.calls).toBe(2)
    expect(report.rootResults).toEqual([
      { id: '1', calls: 1 },
      { id: '1', calls: 1 },
    ])
    expect(report.stats).toMatchObject({ hits: 2, misses: 2, stores: 2 })
  })

  describe('loads only the middleware a user takes', () => {
    // A loader hook records every file the child loads from the installed package.
    // `then`: code run after the import (`api` is the module), awaited.
    const loadedBy = (specifier: string, then = ''): string[] => {
      const log = join(project, `loaded-${specifier.replace(/\W/g, '_')}.log`)
      writeFileSync(log, '')
      writeFileSync(
        join(project, 'record-hooks.mjs'),
        `import { appendFileSync } from 'node:fs'
export async function load(url, context, nextLoad) {
  appendFileSync(process.env.ORC_LOADED_LOG, url + '\\n')
  return nextLoad(url, context)
}
`,
      )
      writeFileSync(
        join(project, 'record.mjs'),
        `import { register } from 'node:module'
register('./record-hooks.mjs', import.meta.url)
`,
      )
      runInProject(
        'probe.mjs',
        `const api = await import(process.env.ORC_SPECIFIER)\n${then}\nprocess.stdout.write('{}')\n`,
        ['--import', './record.mjs'],
        { ORC_LOADED_LOG: log, ORC_SPECIFIER: specifier },
      )
      const marker = '/node_modules/middy-orc/'
      return readFileSync(log, 'utf8')
        .split('\n')
        .filter((url) => url.includes(marker))
        .map((url) => url.slice(url.indexOf(marker) + marker.length))
        .sort()
    }

    it('middy-orc/cache loads its one file, no leakGuard or redis code', () => {
      expect(loadedBy('middy-orc/cache')).toEqual(['dist/cache/index.js'])
    })

    it('middy-orc/redis loads its one file, neither middleware', () => {
      expect(loadedBy('middy-orc/redis')).toEqual(['dist/redis/index.js'])
    })

    it('middy-orc/leak-guard loads its one file, no orcCache code', () => {
      expect(loadedBy('middy-orc/leak-guard')).toEqual(['dist/leak-guard/index.js'])
    })

    it('the root entry loads its one file (both middlewares), nothing else', () => {
      expect(loadedBy('middy-orc')).toEqual(['dist/index.js'])
    })

    // Waits until the loads leakGuard() may have started have settled (a few turns).
    const settle = `for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5))`

    it("leakGuard({ mode: 'off' }) loads nothing more", () => {
      expect(loadedBy('middy-orc/leak-guard', `api.leakGuard({ mode: 'off' })\n${settle}`)).toEqual(
        ['dist/leak-guard/index.js'],
      )
    })

    it('a guard created with mode warn loads the heavy part, its internal file', () => {
      expect(
        loadedBy(
          'middy-orc/leak-guard',
          `api.leakGuard({ mode: 'warn', scope: false })\n${settle}`,
        ),
      ).toEqual(['dist/leak-guard/index.js', 'dist/leak-guard/runtime.js'])
      // Internal: not importable by its path (not in `exports`).
      expect(() => loadedBy('middy-orc/leak-guard/runtime.js')).toThrow(
        /ERR_PACKAGE_PATH_NOT_EXPORTED/,
      )
    })

    it("the root's leakGuard loads the same heavy part when it runs", () => {
      expect(
        loadedBy('middy-orc', `api.leakGuard({ mode: 'warn', scope: false })\n${settle}`),
      ).toEqual(['dist/index.js', 'dist/leak-guard/runtime.js'])
    })

    describe("orcCache's two-tier driver loads only with a shared option", () => {
      // A shared tier of the interface's shape (the cache never sees a Redis client).
      const useCache = (shared: boolean) => `
  const warnings = []
  const tier = new Map()
  const store = {
    get: async (key) => tier.get(key),
    set: async (key, record) => (tier.set(key, record), 'stored'),
    delete: async (keys) => keys.filter((key) => tier.delete(key)).length,
  }
  const orc = api.orcCache({ key: 'id', ${shared ? 'shared: store, ' : ''}logger: { warn: (m) => warnings.push(m) } })
  const { default: middy } = await import('@middy/core')
  let calls = 0
  const handler = middy(async () => ++calls).use(orc)
  const context = { getRemainingTimeInMillis: () => 30_000 }
  const results = []
  for (let i = 0; i < 3; i++) results.push(await handler({ id: 'a' }, context))
  ${settle}
  process.stderr.write(JSON.stringify({ results, warnings, shared: tier.size, stats: orc.stats() }))
  `
      // The child's report, written to stderr by `useCache` (stdout carries the probe's own '{}').
      const reportOf = (specifier: string, shared: boolean) => {
        const log = join(project, 'cache-report.json')
        writeFileSync(
          join(project, 'cache-probe.mjs'),
          `const api = await import(${JSON.stringify(specifier)})\n${useCache(shared)}`,
        )
        const { stderr } = run(process.execPath, ['cache-probe.mjs'], project, {}, 60_000)
        writeFileSync(log, stderr)
        return JSON.parse(stderr) as {
          results: number[]
          warnings: string[]
          shared: number
          stats: { hits: number; sharedStores: number }
        }
      }

      it('without shared, orcCache() loads nothing more than its file', () => {
        expect(loadedBy('middy-orc/cache', useCache(false))).toEqual(['dist/cache/index.js'])
      })

      it('with shared, it loads dist/cache/shared.js and writes to the shared tier', () => {
        expect(loadedBy('middy-orc/cache', useCache(true))).toEqual([
          'dist/cache/index.js',
          'dist/cache/shared.js',
        ])
        const report = reportOf('middy-orc/cache', true)
        expect(report.results).toEqual([1, 1, 1])
        expect(report.shared).toBe(1)
        expect(report.stats).toMatchObject({ hits: 2, sharedStores: 1 })
        expect(report.warnings).toEqual([])
        // Internal: not importable by its path (not in `exports`).
        expect(() => loadedBy('middy-orc/cache/shared.js')).toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/)
      })

      it('a driver that fails to load is logged once, and the cache stays in memory only', () => {
        const file = join(project, 'node_modules', manifest.name, 'dist/cache/shared.js')
        const aside = `${file}.aside`
        renameSync(file, aside)
        try {
          const report = reportOf('middy-orc/cache', true)
          expect(report.results).toEqual([1, 1, 1])
          expect(report.shared).toBe(0)
          expect(report.stats).toMatchObject({ hits: 2, sharedStores: 0 })
          expect(report.warnings).toHaveLength(1)
          expect(report.warnings[0]).toMatch(
            /^orcCache: cannot load its shared-tier driver \(Error\); the cache stays in memory only$/,
          )
        } finally {
          renameSync(aside, file)
        }
      })
    })
  })

  describe('source maps and declarations', () => {
    const installed = (file: string) => join(project, 'node_modules', manifest.name, file)
    const sourcesOf = (entry: string): string[] => {
      const map = JSON.parse(readFileSync(installed(`${entry}.js.map`), 'utf8')) as {
        sources: string[]
        sourcesContent: string[]
      }
      // Each source resolves into src/ and carries the text of that file.
      return map.sources.map((source, i) => {
        const file = join(dirname(`${entry}.js`), source)
        expect(file.startsWith('src/')).toBe(true)
        expect(map.sourcesContent[i]).toBe(readFileSync(join(repoRoot, file), 'utf8'))
        return file
      })
    }

    it('each file maps into src/, and holds only its middleware', () => {
      const cache = sourcesOf('dist/cache/index')
      const guard = sourcesOf('dist/leak-guard/index')
      const runtime = sourcesOf('dist/leak-guard/runtime')
      const root = sourcesOf('dist/index')
      expect(cache).toContain('src/cache/index.ts')
      expect(cache.filter((file) => file.startsWith('src/leak-guard/'))).toEqual([])
      expect(guard).toContain('src/leak-guard/index.ts')
      expect(guard.filter((file) => file.startsWith('src/cache/'))).toEqual([])
      // leakGuard's light part holds none of the heavy part, which copies none of it.
      expect(runtime).toEqual(
        expect.arrayContaining(['src/leak-guard/runtime.ts', 'src/leak-guard/engine.ts']),
      )
      expect(runtime.filter((file) => file.startsWith('src/cache/'))).toEqual([])
      expect(runtime).not.toContain('src/leak-guard/index.ts')
      for (const heavy of ['engine', 'walk', 'tokens', 'pending', 'scope/index']) {
        expect(guard).not.toContain(`src/leak-guard/${heavy}.ts`)
      }
      // The root holds both middlewares' own code (one file), not leakGuard's heavy part.
      expect(root).toEqual(
        expect.arrayContaining(['src/cache/index.ts', 'src/leak-guard/index.ts']),
      )
      for (const heavy of ['engine', 'walk', 'tokens', 'pending', 'scope/index']) {
        expect(root).not.toContain(`src/leak-guard/${heavy}.ts`)
      }
    })

    it('declarations carry the TSDoc of the options', () => {
      const types = readFileSync(installed('dist/cache/options.d.ts'), 'utf8')
      expect(types).toMatch(/\/\*\*[\s\S]*?\*\/\s+ttl\?:/)
      expect(readFileSync(installed('dist/index.d.ts'), 'utf8')).toContain('./cache/index.js')
    })
  })

  it('without the optional JMESPath package, a JMESPath key fails at factory time, naming it', () => {
    const report = runInProject<{ name: string; message: string; pathKey: boolean }>(
      'no-jmespath.mjs',
      `
import { orcCache, ConfigError } from 'middy-orc/cache'
let error
try { orcCache({ key: 'powertools_json(body).id', logger: { warn: () => {} } }) } catch (e) { error = e }
const pathKey = typeof orcCache({ key: 'pathParameters.id', logger: { warn: () => {} } }).stats === 'function'
process.stdout.write(JSON.stringify({
  name: error instanceof ConfigError ? 'ConfigError' : String(error),
  message: String(error?.message),
  pathKey,
}))
`,
    )
    expect(report.name).toBe('ConfigError')
    expect(report.message).toContain('needs @aws-lambda-powertools/jmespath installed')
    expect(report.pathKey).toBe(true)
  })

  it('passes publint --strict', () => {
    const { stdout } = run(process.execPath, [bin('publint'), stage, '--strict'], repoRoot)
    expect(stdout).toContain('All good!')
  })

  it('passes arethetypeswrong with the ESM-only profile', () => {
    const { stdout } = run(
      process.execPath,
      [bin('attw'), tarball, '--profile', 'esm-only', '--format', 'json'],
      repoRoot,
    )
    const report = JSON.parse(stdout) as {
      analysis: { problems: { kind: string; entrypoint?: string; resolutionKind?: string }[] }
    }
    // The ESM-only profile ignores CommonJS `require` (node16-cjs) and node10 resolution.
    const ignored = new Set(['node10', 'node16-cjs'])
    const problems = report.analysis.problems.filter(
      (problem) => problem.resolutionKind === undefined || !ignored.has(problem.resolutionKind),
    )
    expect(problems).toEqual([])
    // And it looked at every entry point.
    expect(Object.keys(JSON.parse(stdout).analysis.entrypoints).sort()).toEqual(
      ['.', './cache', './leak-guard', './redis', './package.json'].sort(),
    )
  })
})
