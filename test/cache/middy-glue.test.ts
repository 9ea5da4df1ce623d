/**
 * The Middy glue helpers (`src/cache/middy-glue.ts`) on their own: Powertools cleanups run
 * on an early response, and the check that orcCache is the outermost middleware.
 * powertools.test.ts runs the same cleanups with the real Powertools middlewares.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { checkOutermost, runPowertoolsCleanups } from '../../src/cache/middy-glue.js'

describe('runPowertoolsCleanups', () => {
  it('returns no promise when nothing ran before orcCache, or nothing left a cleanup', () => {
    const failures: unknown[] = []
    expect(runPowertoolsCleanups({ internal: {} }, (e) => failures.push(e))).toBeUndefined()
    const internal = { other: () => 1, 'powertools-for-aws.logger': 'not a function' }
    expect(runPowertoolsCleanups({ internal }, (e) => failures.push(e))).toBeUndefined()
    expect(failures).toEqual([])
  })

  it('runs each cleanup in turn with the request; a failing one is reported and skipped', async () => {
    const ran: string[] = []
    const failures: unknown[] = []
    const request = {
      internal: {
        'powertools-for-aws.tracer': async (r: unknown) => {
          ran.push(r === request ? 'tracer' : 'tracer?')
        },
        'powertools-for-aws.metrics': () => {
          throw new Error('flush failed')
        },
        'powertools-for-aws.logger': () => {
          ran.push('logger')
        },
        'powertools-for-aws.idempotency': async () => {
          throw new TypeError('idempotency failed')
        },
      },
    }
    await runPowertoolsCleanups(request, (e) => failures.push(e))
    expect(ran).toEqual(['tracer', 'logger'])
    expect(failures.map((e) => (e as Error).message)).toEqual([
      'flush failed',
      'idempotency failed',
    ])
  })
})

describe('checkOutermost', () => {
  it('warns when the response changes after orcCache returned it', async () => {
    let warned = 0
    const request = { response: { statusCode: 200, body: 'a' } }
    checkOutermost(request, () => warned++)
    request.response.body = 'changed by a later after hook'
    await nextTurn()
    expect(warned).toBe(1)
  })

  it('stays quiet when it does not change, and when it cannot be serialised', async () => {
    let warned = 0
    checkOutermost({ response: { statusCode: 200 } }, () => warned++)
    checkOutermost({ response: { big: 1n } }, () => warned++)
    await nextTurn()
    expect(warned).toBe(0)
  })
})
