/** Logging once per cause (`src/shared/log-once.ts`), as every fail-open path does. */
import { describe, expect, it, vi } from 'vitest'
import { createLogOnce, errorName } from '../../src/shared/log-once.js'

describe('createLogOnce', () => {
  it('logs the first warning of each code, with its extra data when given', () => {
    const logger = { warn: vi.fn() }
    const logOnce = createLogOnce(logger, 'orcCache:')
    logOnce('a', 'first')
    logOnce('a', 'again')
    logOnce('b', 'other', { leakGuard: { where: 'x' } })
    logOnce('b', 'other again', { leakGuard: { where: 'y' } })
    expect(logger.warn.mock.calls).toEqual([
      ['orcCache: first'],
      ['orcCache: other', { leakGuard: { where: 'x' } }],
    ])
  })

  it('never lets a broken logger throw into the request', () => {
    const logger = {
      warn: vi.fn(() => {
        throw new Error('logger down')
      }),
    }
    const logOnce = createLogOnce(logger, 'p:')
    expect(() => logOnce('a', 'm')).not.toThrow()
    expect(() => logOnce('b', 'm', {})).not.toThrow()
    expect(logger.warn).toHaveBeenCalledTimes(2)
  })
})

describe('errorName', () => {
  it('names the class of an error, or the type of anything else thrown, never a message', () => {
    expect(errorName(new TypeError('secret-123'))).toBe('TypeError')
    expect(errorName('secret-123')).toBe('string')
    expect(errorName(undefined)).toBe('undefined')
    expect(errorName({ message: 'secret-123' })).toBe('object')
  })
})
