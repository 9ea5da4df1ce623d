/** Raw results by test id: `true`, or `[kind, message]`. */
export type SuiteResults = Record<string, true | [string, string]>
export interface SuiteTest {
  id: string
  name: string
  kind: 'required' | 'optimal' | 'check'
  suite: string
  depends_on?: string[]
}
export type Verdict =
  | 'pass'
  | 'fail'
  | 'optional_fail'
  | 'yes'
  | 'no'
  | 'setup_fail'
  | 'harness_fail'
  | 'dependency_fail'
  | 'retry'
  | 'untested'
export interface CacheModule {
  // biome-ignore lint/suspicious/noExplicitAny: any orcCache build (src or dist)
  orcCache: (options?: any) => any
  SURROGATE_CAPABILITY?: string
}
export declare const runConformance: (
  cacheModule: CacheModule,
  cacheOptions?: Record<string, unknown>,
) => Promise<{ results: SuiteResults; cache: unknown }>
export declare const testsById: () => Map<string, SuiteTest>
export declare const verdict: (
  results: SuiteResults,
  id: string,
  honourDependencies?: boolean,
) => Verdict
export declare const publishedResults: () => Promise<
  Array<{ name: string; version: string; results: SuiteResults }>
>
