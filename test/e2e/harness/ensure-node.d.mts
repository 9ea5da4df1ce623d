export interface EnsureNodeOptions {
  /** Folder holding one sub-folder per major; default `<repo>/.cache/node`. */
  cacheDir?: string
  /** Called with a progress line before a (slow, one-off) install. */
  log?: (line: string) => void
}
export declare const PINNED_NODE_VERSIONS: Readonly<Record<22 | 24, string>>
export declare const REPO_ROOT: string
export declare const cachedNodePath: (major: number, cacheDir?: string) => string
export declare const probeNodeVersion: (binary: string) => string | undefined
export declare const probeNodeMajor: (binary: string) => number | undefined
export declare const installNode: (major: number, options?: EnsureNodeOptions) => string
export declare const ensureNodeMajor: (major: number, options?: EnsureNodeOptions) => string
export declare const findRuntimeNode: (options?: EnsureNodeOptions) => string
