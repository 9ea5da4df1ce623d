/** Type tests of leakGuard's public API (checked by `tsc` through vitest's typecheck mode). */
import middy, { type MiddlewareObj } from '@middy/core'
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda'
import { describe, expectTypeOf, test } from 'vitest'
import {
  LeakError,
  type LeakFinding,
  type LeakGuardMode,
  type LeakGuardOptions,
  type LeakKind,
  type LeakSeverity,
  leakGuard,
  leakGuardDefaults,
  type NamedRoot,
  type RootProvider,
  type SensitiveKind,
} from '../../src/leak-guard/index.js'

type Event = APIGatewayProxyEventV2
type Result = APIGatewayProxyResultV2

describe('leakGuard in a Middy stack', () => {
  test('use(leakGuard()) keeps the handler event and result types', () => {
    const handler = middy<Event, Result>().use(leakGuard())
    expectTypeOf(handler).parameter(0).toEqualTypeOf<Event>()
    expectTypeOf(handler).toExtend<(event: Event, context: Context) => Promise<Result>>()
    expectTypeOf(handler).not.toExtend<(event: Event, context: Context) => Promise<number>>()
    expectTypeOf(leakGuard<Event, Result>()).toEqualTypeOf<
      MiddlewareObj<Event, Result, Error, Context, Record<string, unknown>>
    >()
  })
})

describe('leakGuard options', () => {
  test('accept their documented shapes', () => {
    leakGuard({
      mode: 'throw',
      sampleRate: 0.5,
      json: true,
      ignore: ['config', 'globalThis.app.cache'],
      maxNodes: 1_000,
      scope: false,
      watch: { sessions: () => new Map() },
      roots: () => [{ label: 'module a.ts: x', value: 1 }],
      targets: [() => undefined],
      logger: { warn: () => undefined },
      onLeak: (finding) => {
        expectTypeOf(finding).toEqualTypeOf<LeakFinding>()
      },
    })
    leakGuard({ roots: [() => new Set<NamedRoot>()] })
  })

  test('reject wrong shapes', () => {
    // @ts-expect-error: not a mode
    leakGuard({ mode: 'error' })
    // @ts-expect-error: a fraction, not a string
    leakGuard({ sampleRate: '0.5' })
    // @ts-expect-error: ignore is a list of names, not one comma-separated string
    leakGuard({ ignore: 'config,cache' })
    // @ts-expect-error: a root provider returns named roots
    leakGuard({ roots: () => [1, 2] })
    // @ts-expect-error: a logger needs warn
    leakGuard({ logger: { info: () => undefined } })
    // @ts-expect-error: onLeak receives one finding, not a string
    leakGuard({ onLeak: (finding: string) => finding })
    // @ts-expect-error: targets is a list
    leakGuard({ targets: () => undefined })
    // @ts-expect-error: no such option
    leakGuard({ modes: 'warn' })
  })

  test('the public types say what a finding holds', () => {
    expectTypeOf<LeakGuardMode>().toEqualTypeOf<'warn' | 'throw' | 'off'>()
    expectTypeOf<LeakSeverity>().toEqualTypeOf<'critical' | 'high' | 'medium'>()
    expectTypeOf<LeakKind>().toEqualTypeOf<
      'cross-request' | 'new-global' | 'persisted' | 'pending'
    >()
    expectTypeOf<LeakFinding['sensitive']>().toEqualTypeOf<SensitiveKind | undefined>()
    expectTypeOf<LeakFinding['phase']>().toEqualTypeOf<'start' | 'end'>()
    expectTypeOf<LeakFinding['count']>().toEqualTypeOf<number>()
    expectTypeOf<RootProvider>().returns.toEqualTypeOf<Iterable<NamedRoot>>()
    expectTypeOf<LeakGuardOptions['mode']>().toEqualTypeOf<LeakGuardMode | undefined>()
    expectTypeOf(leakGuardDefaults.mode).toEqualTypeOf<'warn'>()
  })

  test('LeakError carries its findings', () => {
    const error = new LeakError([])
    expectTypeOf(error).toExtend<Error>()
    expectTypeOf(error.findings).toEqualTypeOf<readonly LeakFinding[]>()
  })
})
