/**
 * The package as a user's function holds it: `npm pack` of the repository (or a given
 * tarball), installed into a scratch project's `node_modules` with its peer `@middy/core`,
 * as `npm install` leaves it in a zip-deployed function. The scratch project is a plain
 * ES module package; children started in it resolve `middy-orc`, `lru-cache` and
 * `@middy/core` from its `node_modules`, never from the repository.
 *
 * `@middy/core` and `lru-cache` are pinned to the versions in the repository's own
 * `node_modules` (the lock file's), so that a figure moves only when our code does.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Runs a command; throws with its output when it fails. */
export const run = (command, args, cwd) => {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status ?? result.error}):\n${result.stdout}\n${result.stderr}`,
    )
  }
  return result.stdout
}

const installedVersion = (root, name) =>
  JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version

/** Packs the repository at `root` into `dir` (its build must be current); returns the tarball. */
export const pack = (root, dir) => {
  mkdirSync(dir, { recursive: true })
  const [info] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], root))
  return join(dir, info.filename)
}

/**
 * Packs the package as it was at git revision `rev` (a commit, tag or branch of the
 * repository at `root`) into `dir`; returns the tarball. The revision's files are
 * extracted with `git archive` into `dir/<commit>`, built there by its own `npm run build` with
 * the repository's `node_modules` (linked), then packed: what `npm pack` gave at that
 * commit, for `bench/startup.mjs --baseline <rev>`.
 */
export const packRevision = (root, rev, dir) => {
  const commit = run('git', ['rev-parse', '--short', `${rev}^{commit}`], root).trim()
  const tree = join(dir, commit)
  rmSync(tree, { recursive: true, force: true })
  mkdirSync(tree, { recursive: true })
  const archive = join(dir, `${commit}.tar`)
  run('git', ['archive', '--output', archive, commit], root)
  run('tar', ['-xf', archive, '-C', tree], root)
  rmSync(archive)
  symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'))
  run('npm', ['run', 'build'], tree)
  const [info] = JSON.parse(
    run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tree], tree),
  )
  return { tarball: join(tree, info.filename), commit }
}

/**
 * A fresh scratch project in `dir` with `tarball` installed; returns its path. Uses npm's
 * cache first (`--prefer-offline`): the registry is asked only for what it lacks.
 */
export const installScratch = (root, dir, tarball) => {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'orc-scratch', private: true, type: 'module' }),
  )
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--no-package-lock',
      '--prefer-offline',
      tarball,
      `@middy/core@${installedVersion(root, '@middy/core')}`,
      `lru-cache@${installedVersion(root, 'lru-cache')}`,
    ],
    dir,
  )
  return dir
}
