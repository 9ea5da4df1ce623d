/**
 * The configuration parsers every option goes through (`src/shared/env.ts`): the forms
 * each accepts, the exact bounds, and the error that names the option or variable.
 */
import { describe, expect, it } from 'vitest'
import {
  ConfigError,
  parseBoolean,
  parseBytes,
  parseDuration,
  parseEnum,
  parseNumberInRange,
  parsePositiveInteger,
  readEnv,
  resolveSetting,
  type ValueSource,
} from '../../src/shared/env.js'

const option: ValueSource = { name: 'ttl', fromEnv: false }
const variable: ValueSource = { name: 'ORC_CACHE_TTL', fromEnv: true }

/** The ConfigError `run` throws (failing the test if it does not throw one). */
const configError = (run: () => unknown): ConfigError => {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('ConfigError', () => {
  it('names the option, says the accepted form, and is recognised across entry points', () => {
    const error = new ConfigError('ttl', 'must be a number')
    expect(error.name).toBe('ConfigError')
    expect(error.source).toBe('ttl')
    expect(error.message).toBe('middy-orc: ttl must be a number')
    expect(error).toBeInstanceOf(Error)
    // Another bundle's ConfigError class carries the same registered symbol.
    const marked = Object.defineProperty({}, Symbol.for('middy-orc.ConfigError'), { value: true })
    expect(marked).toBeInstanceOf(ConfigError)
    for (const value of [null, undefined, 'ConfigError', 1, {}, new Error('x')]) {
      expect(value).not.toBeInstanceOf(ConfigError)
    }
    // The mark is own and not enumerable: a spread copy is not a ConfigError.
    expect({ ...error }).not.toBeInstanceOf(ConfigError)
  })

  it('quotes the raw value of an environment variable, and only names an option', () => {
    expect(configError(() => parseDuration('soon', variable)).source).toBe('ORC_CACHE_TTL="soon"')
    expect(configError(() => parseDuration('soon', option)).source).toBe('ttl')
  })
})

describe('readEnv', () => {
  it('reads a set variable trimmed, and unset or blank as undefined', () => {
    expect(readEnv('A', { A: ' 30s ' })).toBe('30s')
    expect(readEnv('A', { A: '   ' })).toBeUndefined()
    expect(readEnv('A', { A: '' })).toBeUndefined()
    expect(readEnv('A', {})).toBeUndefined()
  })
})

describe('parseDuration', () => {
  it.each([
    [0, 0],
    [1.4, 1],
    ['500', 500],
    ['500ms', 500],
    ['1.5s', 1_500],
    ['1.25s', 1_250],
    [' 30 s ', 30_000],
    ['5M', 300_000],
    ['1h', 3_600_000],
  ])('%j is %d ms', (raw, ms) => {
    expect(parseDuration(raw, option)).toBe(ms)
  })

  it.each([
    -1,
    Number.POSITIVE_INFINITY,
    Number.NaN,
    '-5s',
    '5 days',
    '1.s',
    '.5s',
    '1.xs',
    '5s later',
    'in 5s',
    '',
    true,
    null,
  ])('refuses %j', (raw) => {
    expect(configError(() => parseDuration(raw, option)).message).toContain(
      'must be a non-negative duration',
    )
  })
})

describe('parseBytes', () => {
  it.each([
    [1, 1],
    [1.9, 1],
    ['2048', 2_048],
    ['512b', 512],
    ['512kb', 512 * 1024],
    ['1k', 1024],
    ['1KiB', 1024],
    ['16mb', 16 * 1024 ** 2],
    ['1gb', 1024 ** 3],
    [' 2 MB ', 2 * 1024 ** 2],
  ])('%j is %d bytes', (raw, bytes) => {
    expect(parseBytes(raw, option)).toBe(bytes)
  })

  it.each([0, 0.5, -1, Number.POSITIVE_INFINITY, '0', '1tb', 'lots', '', false])(
    'refuses %j',
    (raw) => {
      expect(configError(() => parseBytes(raw, option)).message).toContain(
        'must be a positive size',
      )
    },
  )
})

describe('parsePositiveInteger', () => {
  it.each([
    [1, 1],
    ['1', 1],
    [' 42 ', 42],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  ])('%j is %d', (raw, n) => {
    expect(parsePositiveInteger(raw, option)).toBe(n)
  })

  it.each([0, -1, 1.5, '0', '1.5', '1e3', 'x1', '1x', '', '-1', Number.MAX_SAFE_INTEGER + 1, null])(
    'refuses %j',
    (raw) => {
      expect(configError(() => parsePositiveInteger(raw, option)).message).toContain(
        'must be a positive integer',
      )
    },
  )
})

describe('parseNumberInRange', () => {
  it.each([
    [0, 0],
    [1, 1],
    ['0.25', 0.25],
    [' 1 ', 1],
  ])('%j is %d in [0, 1]', (raw, n) => {
    expect(parseNumberInRange(raw, option, 0, 1)).toBe(n)
  })

  it.each([-0.01, 1.01, '', '  ', 'half', Number.NaN, true, null])('refuses %j', (raw) => {
    expect(configError(() => parseNumberInRange(raw, option, 0, 1)).message).toContain(
      'must be a number from 0 to 1',
    )
  })
})

describe('parseBoolean', () => {
  it.each(['true', 'TRUE', ' 1 ', 'yes', 'On', true])('%j is true', (raw) => {
    expect(parseBoolean(raw, option)).toBe(true)
  })
  it.each(['false', 'False', ' 0', 'no', 'OFF', false])('%j is false', (raw) => {
    expect(parseBoolean(raw, option)).toBe(false)
  })
  it.each(['', 'maybe', 'truely', 'not true', 'off!', 'xno', 1, 0, null])('refuses %j', (raw) => {
    expect(configError(() => parseBoolean(raw, option)).message).toContain('must be a boolean')
  })
})

describe('parseEnum', () => {
  const modes = ['warn', 'throw', 'off'] as const
  it('accepts a word case-insensitively and trimmed from strings', () => {
    expect(parseEnum(' Throw ', option, modes)).toBe('throw')
    expect(parseEnum('off', option, modes)).toBe('off')
  })
  it('refuses anything else and lists the words', () => {
    for (const raw of ['', 'error', 'warn,throw', 1, null]) {
      expect(configError(() => parseEnum(raw, option, modes)).message).toBe(
        'middy-orc: ttl must be one of: warn, throw, off',
      )
    }
  })
})

describe('resolveSetting', () => {
  it('takes the option, else the variable, else the default', () => {
    const env = { ORC_CACHE_TTL: '30s' }
    expect(resolveSetting(5, 'ttl', 'ORC_CACHE_TTL', parseDuration, 1, env)).toBe(5)
    expect(resolveSetting(undefined, 'ttl', 'ORC_CACHE_TTL', parseDuration, 1, env)).toBe(30_000)
    expect(resolveSetting(undefined, 'ttl', 'ORC_CACHE_TTL', parseDuration, 1, {})).toBe(1)
    expect(resolveSetting(undefined, 'ttl', 'ORC_CACHE_TTL', parseDuration, () => 2, {})).toBe(2)
    expect(
      resolveSetting(undefined, 'ttl', 'ORC_CACHE_TTL', parseDuration, 3, { ORC_CACHE_TTL: ' ' }),
    ).toBe(3)
  })
  it('names whichever was used when it is bad', () => {
    const env = { ORC_CACHE_TTL: 'soon' }
    expect(
      configError(() => resolveSetting(-1, 'ttl', 'ORC_CACHE_TTL', parseDuration, 1, env)).source,
    ).toBe('ttl')
    expect(
      configError(() => resolveSetting(undefined, 'ttl', 'ORC_CACHE_TTL', parseDuration, 1, env))
        .source,
    ).toBe('ORC_CACHE_TTL="soon"')
  })
})
