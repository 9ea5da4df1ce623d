/**
 * HTTP-dates and Cache-Control parsing (`src/cache/rules.ts`) at their edges: the three
 * date forms, every field's range, the RFC 850 century, and directive syntax.
 */
import { describe, expect, test } from 'vitest'
import { parseCacheControl, parseHttpDate } from '../../src/cache/rules.js'

const at = (iso: string) => Date.parse(iso)
const NOW = at('2026-06-15T00:00:00Z')

describe('parseHttpDate', () => {
  test('the three forms of one instant', () => {
    const instant = at('1994-11-06T08:49:37Z')
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(instant)
    expect(parseHttpDate('  Sun, 06 Nov 1994 08:49:37 GMT  ')).toBe(instant)
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(instant)
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(instant)
    expect(parseHttpDate('Sun Nov 16 08:49:37 1994')).toBe(at('1994-11-16T08:49:37Z'))
  })

  test('each field at the ends of its range', () => {
    expect(parseHttpDate('Thu, 01 Jan 1970 00:00:00 GMT')).toBe(0)
    expect(parseHttpDate('Wed, 31 Dec 2025 23:59:59 GMT')).toBe(at('2025-12-31T23:59:59Z'))
    // A leap second reads as the last second of its minute.
    expect(parseHttpDate('Wed, 31 Dec 2025 23:59:60 GMT')).toBe(at('2025-12-31T23:59:59Z'))
    for (const bad of [
      'Wed, 31 Dec 2025 24:00:00 GMT',
      'Wed, 31 Dec 2025 23:60:00 GMT',
      'Wed, 10 Dec 2025 10:60:00 GMT',
      'Wed, 31 Dec 2025 23:59:61 GMT',
      'Sat, 31 Feb 2026 00:00:00 GMT',
      'Wed, 32 Dec 2025 00:00:00 GMT',
      'Wed, 00 Dec 2025 00:00:00 GMT',
      'Wed, 31 Dek 2025 00:00:00 GMT',
    ]) {
      expect(parseHttpDate(bad), bad).toBeNaN()
    }
  })

  test('a day name it does not know, another case or zone, is no date', () => {
    for (const bad of [
      'Sut, 06 Nov 1994 08:49:37 GMT',
      'sun, 06 Nov 1994 08:49:37 GMT',
      'Sun, 06 Nov 1994 08:49:37 UTC',
      'Sunnyday, 06-Nov-94 08:49:37 GMT',
      'Sut Nov  6 08:49:37 1994',
      '06 Nov 1994',
      '',
    ]) {
      expect(parseHttpDate(bad), bad).toBeNaN()
    }
    expect(parseHttpDate(undefined)).toBeNaN()
  })

  test('an RFC 850 year more than 50 years ahead is the past century', () => {
    // In 2026: 76 is 2076 (50 years ahead), 77 is 1977.
    expect(parseHttpDate('Sunday, 01-Jan-76 00:00:00 GMT', NOW)).toBe(at('2076-01-01T00:00:00Z'))
    expect(parseHttpDate('Friday, 01-Jan-77 00:00:00 GMT', NOW)).toBe(at('1977-01-01T00:00:00Z'))
    expect(parseHttpDate('Thursday, 01-Jan-26 00:00:00 GMT', NOW)).toBe(at('2026-01-01T00:00:00Z'))
  })
})

describe('parseCacheControl', () => {
  test('lower-case names, trimmed values, quotes removed, the first occurrence wins', () => {
    const directives = parseCacheControl(
      ' Max-Age = 60 , no-store, private="set-cookie", max-age=5,,=x',
    )
    expect([...directives]).toEqual([
      ['max-age', '60'],
      ['no-store', ''],
      ['private', 'set-cookie'],
    ])
    expect(parseCacheControl('a="x').get('a')).toBe('"x')
    expect(parseCacheControl('a=""').get('a')).toBe('')
    expect([...parseCacheControl()]).toEqual([])
  })
})
