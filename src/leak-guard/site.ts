/**
 * Where work was created: the first frame of a captured V8 stack that is first-party
 * code (not Node's, not a dependency's, also bundled: see `bundle.ts`, not the runtime
 * client's), and the Node API that code called. Pure: used by `pending.ts`.
 */
import { isDependencyLine } from './bundle.js'

const FRAME = /\(?((?:file:\/\/)?[^()\s]+?):(\d+):(\d+)\)?$/

/** Where work was created, and the Node API the first-party code called to create it. */
export interface CreationSite {
  /** `file:line:column`, relative to the task root. */
  readonly site: string
  /** `fs.writeFile`, `fs.promises.writeFile`, `dns.lookup`, `process.nextTick`, or ''. */
  readonly api: string
  /** True when the first-party frame called the API directly (the frame above it is Node's API). */
  readonly direct: boolean
}

const FUNCTION_NAME = /^at (?:async )?(?:new )?([^\s(]+) \(/

/** `fs.writeFile` from `at Object.writeFile (node:fs:2439:6)`. */
const apiName = (line: string, file: string): string => {
  const name = FUNCTION_NAME.exec(line)?.[1]?.replace(/^Object\./, '') ?? ''
  if (name === '' || name.includes('.') || !file.startsWith('node:')) return name
  const module = file.startsWith('node:internal/')
    ? file === 'node:internal/fs/promises'
      ? 'fs.promises'
      : ''
    : file.slice('node:'.length)
  return module === '' ? name : `${module}.${name}`
}

/**
 * The first frame of a stack that is first-party code, as `file:line:column` relative to
 * `root`, with the Node API it called; undefined when every frame is Node's, a
 * dependency's or the runtime's.
 */
export const creationSite = (
  stack: string,
  root: string,
  runtimeDir: string | undefined,
): CreationSite | undefined => {
  let api = ''
  let previous: 'node' | 'other' | undefined
  for (const line of stack.split('\n').slice(1)) {
    const trimmed = line.trim()
    const match = FRAME.exec(trimmed)
    if (match === null) continue
    let file = match[1] as string
    if (file.startsWith('node:')) {
      // The outermost Node frame (nearest the caller) is the API that was called.
      if (!file.startsWith('node:internal/async_hooks')) api = apiName(trimmed, file)
      previous = 'node'
      continue
    }
    if (file.startsWith('file://')) file = decodeURIComponent(file.slice('file://'.length))
    if (
      !file.startsWith('/') ||
      isDependencyLine(file, Number(match[2]) - 1) ||
      (runtimeDir !== undefined && file.startsWith(`${runtimeDir}/`))
    ) {
      previous = 'other'
      continue
    }
    const relative = file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file
    return { site: `${relative}:${match[2]}:${match[3]}`, api, direct: previous === 'node' }
  }
  return undefined
}

/**
 * The first frame of a stack that is first-party code, as `file:line:column` relative to
 * `root`, or undefined when every frame is Node's, a dependency's or the runtime's.
 */
export const firstPartySite = (
  stack: string,
  root: string,
  runtimeDir: string | undefined,
): string | undefined => creationSite(stack, root, runtimeDir)?.site
