/**
 * What a finding says (`src/leak-guard/findings.ts`): the path of a place, the one line a
 * finding is logged as, and the deduplication that reports a place at 1, 10, 100...
 * sightings and forgets the oldest of 1,000 places.
 */
import { describe, expect, test } from 'vitest'
import {
  createFindingLog,
  describeFinding,
  type LeakFinding,
  renderPlace,
} from '../../src/leak-guard/findings.js'
import { type Place, Step } from '../../src/leak-guard/walk.js'

const root: Place = {
  parent: undefined,
  step: Step.Root,
  key: { label: 'globalThis', value: {} },
  cached: false,
}
const at = (parent: Place, step: Step, key: unknown): Place => ({
  parent,
  step,
  key,
  cached: false,
})
/** Masks keys that start with "secret", as request data would be. */
const maskKey = (key: string) => (key.startsWith('secret') ? 'fp:0123456789' : key)

describe('renderPlace', () => {
  test('writes each step the way JavaScript would read it', () => {
    const sessions = at(root, Step.Property, 'sessions')
    expect(renderPlace(at(sessions, Step.Index, 3), maskKey)).toBe('globalThis.sessions[3]')
    expect(renderPlace(at(sessions, Step.Property, 'x-id'), maskKey)).toBe(
      'globalThis.sessions["x-id"]',
    )
    // Only a whole identifier is written with a dot.
    expect(renderPlace(at(sessions, Step.Property, 'a-b'), maskKey)).toBe(
      'globalThis.sessions["a-b"]',
    )
    expect(renderPlace(at(sessions, Step.Property, '1a'), maskKey)).toBe(
      'globalThis.sessions["1a"]',
    )
    expect(renderPlace(at(sessions, Step.Property, '$a_1'), maskKey)).toBe(
      'globalThis.sessions.$a_1',
    )
    expect(renderPlace(at(sessions, Step.Property, 'secret-user'), maskKey)).toBe(
      'globalThis.sessions[fp:0123456789]',
    )
    expect(renderPlace(at(sessions, Step.MapKey, 0), maskKey)).toBe('globalThis.sessions.keys()[0]')
    expect(renderPlace(at(sessions, Step.SetItem, 2), maskKey)).toBe(
      'globalThis.sessions.values()[2]',
    )
    expect(renderPlace(at(sessions, Step.Bytes, undefined), maskKey)).toBe(
      'globalThis.sessions.toString()',
    )
  })

  test('writes a Map key of any type without showing an object', () => {
    const map = at(root, Step.Property, 'byId')
    const get = (key: unknown) => renderPlace(at(map, Step.MapValue, key), maskKey)
    expect(get('u-1')).toBe('globalThis.byId.get("u-1")')
    expect(get('secret-token')).toBe('globalThis.byId.get(fp:0123456789)')
    expect(get(42)).toBe('globalThis.byId.get(42)')
    expect(get(false)).toBe('globalThis.byId.get(false)')
    expect(get(null)).toBe('globalThis.byId.get(null)')
    expect(get(undefined)).toBe('globalThis.byId.get(undefined)')
    expect(get(Symbol('k'))).toBe('globalThis.byId.get(Symbol(k))')
    expect(get({ secret: 'x' })).toBe('globalThis.byId.get(<object>)')
    expect(get(() => 1)).toBe('globalThis.byId.get(<function>)')
    expect(get(10n)).toBe('globalThis.byId.get(<bigint>)')
  })
})

const finding: Omit<LeakFinding, 'count'> = {
  severity: 'high',
  kind: 'persisted',
  where: 'globalThis.last',
  as: 'value',
  cached: false,
  field: 'body.email',
  requestId: 'req-1',
  foundBy: 'req-2',
  phase: 'start',
  sensitive: 'email',
  value: '<email fp:0123456789>',
}

describe('describeFinding', () => {
  test('one line: severity, kind, place, field, masked value, requests', () => {
    expect(describeFinding({ ...finding, count: 1 })).toBe(
      'leakGuard: HIGH persisted: globalThis.last holds body.email = <email fp:0123456789> of request req-1, found at the start of request req-2',
    )
  })

  test('says how it is held, whether in a cache, how often seen, and names a card', () => {
    expect(
      describeFinding({
        ...finding,
        severity: 'critical',
        kind: 'cross-request',
        as: 'key',
        cached: true,
        phase: 'end',
        sensitive: 'card',
        field: 'body.card',
        value: '411111******1111',
        count: 10,
      }),
    ).toBe(
      'leakGuard: CRITICAL cross-request: globalThis.last (as a key) inside an orcCache store holds body.card = card 411111******1111 of request req-1, an overlapping request, found at the end of request req-2; seen 10 times',
    )
    expect(describeFinding({ ...finding, as: 'substring', count: 2 })).toContain(
      'globalThis.last (as part of a string) holds',
    )
    expect(describeFinding({ ...finding, count: 2 })).toMatch(/; seen 2 times$/)
  })
})

describe('createFindingLog', () => {
  const masked = () => finding.value

  test('reports a place at its 1st, 10th and 100th sighting, and only counts the others', () => {
    const record = createFindingLog()
    const reported: number[] = []
    for (let i = 1; i <= 100; i++) {
      const out = record(finding, masked)
      if (out) reported.push(out.count)
    }
    expect(reported).toEqual([1, 10, 100])
    // Another field at the same place, or another kind, is another finding.
    expect(record({ ...finding, field: 'body.name' }, masked)?.count).toBe(1)
    expect(record({ ...finding, kind: 'new-global' }, masked)?.count).toBe(1)
  })

  test('forgets the oldest place beyond 1,000, and no other', () => {
    const record = createFindingLog()
    const place = (i: number) => ({ ...finding, where: `globalThis.p${i}` })
    for (let i = 0; i < 1_000; i++) expect(record(place(i), masked)?.count).toBe(1)
    expect(record(place(1_000), masked)?.count).toBe(1) // the 1,001st place: p0 is forgotten
    expect(record(place(0), masked)?.count).toBe(1) // p0 is new again; p1 is forgotten
    expect(record(place(2), masked)).toBeUndefined() // p2 is remembered: its 2nd sighting
    expect(record(place(1), masked)?.count).toBe(1)
  })

  test('a place seen again, with 1,000 remembered, forgets none of them', () => {
    const record = createFindingLog()
    const place = (i: number) => ({ ...finding, where: `globalThis.p${i}` })
    for (let i = 0; i < 1_000; i++) record(place(i), masked)
    expect(record(place(999), masked)).toBeUndefined() // its 2nd sighting
    expect(record(place(0), masked)).toBeUndefined() // p0 is still remembered: its 2nd sighting too
  })

  test('makes the masked value only for a sighting it reports', () => {
    const record = createFindingLog()
    let made = 0
    const value = () => {
      made++
      return finding.value
    }
    const reported = []
    for (let i = 1; i <= 10; i++) reported.push(record(finding, value)?.value)
    expect(reported.filter((masked) => masked !== undefined)).toEqual([
      finding.value,
      finding.value,
    ])
    expect(made).toBe(2) // the 1st and the 10th
    expect(record(finding, value)).toBeUndefined()
    expect(made).toBe(2)
  })
})
