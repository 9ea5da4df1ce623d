/**
 * What orcCache says when it refuses to store a result (`src/cache/store.ts`): the
 * reason, and where in the result it is, when it is inside.
 */
import middy from '@middy/core'
import { describe, expect, it, vi } from 'vitest'
import { orcCache } from '../../src/index.js'
import { lambdaContext } from '../helpers/events.js'

describe('a result that cannot be copied', () => {
  it('is passed through uncached, and the warning names what it is (no place for the root)', async () => {
    const warn = vi.fn()
    const results: unknown[] = [new Map([['a', 1]]), { list: [1, new Set([2])] }]
    let call = 0
    const cache = orcCache({ http: false, key: 'id', logger: { warn } })
    const handler = middy(async () => results[call++]).use(cache)
    expect(await handler({ id: 'x' }, lambdaContext())).toBe(results[0])
    expect(await handler({ id: 'x' }, lambdaContext())).toBe(results[1])
    expect(cache.stats()).toMatchObject({ stores: 0, entries: 0 })
    const messages = warn.mock.calls.map(([message]) => String(message))
    expect(messages).toHaveLength(2)
    expect(messages[0]).toMatch(/it contains a Map instance \(only JSON-shaped data is cached\)/)
    expect(messages[1]).toMatch(/it contains a Set instance at list\[1\] \(only JSON-shaped/)
  })
})
