import fc from 'fast-check'
import { LRUCache } from 'lru-cache'
import { describe, expect, test } from 'vitest'
import { renderPlace } from '../../src/leak-guard/findings.js'
import { type FoundAs, placeOf, type WalkRoot, walk } from '../../src/leak-guard/walk.js'
import { ORC_CACHE_BRAND } from '../../src/shared/brand.js'

const SECRET = 'tok_7Hq2LmZx91Pw'

/** Walks `value` under the root label `state` and lists where SECRET was met. */
const find = (value: unknown, maxNodes = 10_000) => {
  const hits: Array<{ where: string; as: FoundAs; cached: boolean }> = []
  const roots: WalkRoot[] = [{ label: 'state', value }]
  const stats = walk(
    roots,
    (text, as, parent, step, key) => {
      if (typeof text !== 'string' || !text.includes(SECRET)) return
      const at = placeOf(parent, step, key)
      hits.push({
        where: renderPlace(at, (k) => (k.includes(SECRET) ? '<masked>' : k)),
        as,
        cached: at.cached,
      })
    },
    maxNodes,
  )
  return { hits, stats, where: hits.map((h) => h.where) }
}

describe('walk finds tokens wherever state can hold them', () => {
  test('as values, inside strings, in arrays, Sets, nested objects and Maps, as keys', () => {
    const key = { id: 1, secret: SECRET }
    const state = {
      plain: SECRET,
      text: `user said ${SECRET}!`,
      list: ['a', ['b', SECRET]],
      set: new Set(['x', SECRET]),
      nested: { deeper: { deepest: { value: SECRET } } },
      map: new Map<unknown, unknown>([
        ['k', SECRET],
        [SECRET, 1],
        [key, 'v'],
      ]),
      [SECRET]: true,
      [Symbol('tag')]: SECRET,
    }
    expect(find(state).where.sort()).toEqual(
      [
        'state.plain',
        'state.text',
        'state.list[1][1]',
        'state.set.values()[1]',
        'state.nested.deeper.deepest.value',
        'state.map.get("k")',
        'state.map.get(<masked>)',
        'state.map.keys()[2].secret',
        'state[<masked>]',
        'state[Symbol(tag)]',
      ].sort(),
    )
  })

  test('in class instances, frozen objects, null-prototype objects, function statics, Buffers', () => {
    class Session {
      static current: unknown
      constructor(readonly token: string) {}
    }
    Session.current = { token: SECRET }
    const bare = Object.create(null) as Record<string, unknown>
    bare.value = SECRET
    const state = {
      instance: new Session(SECRET),
      frozen: Object.freeze({ inner: Object.freeze([SECRET]) }),
      bare,
      Session,
      bytes: Buffer.from(`prefix ${SECRET}`),
      view: new Uint8Array(Buffer.from(SECRET)),
    }
    expect(find(state).where.sort()).toEqual(
      [
        'state.instance.token',
        'state.frozen.inner[0]',
        'state.bare.value',
        'state.Session.current.token',
        'state.bytes.toString()',
        'state.view.toString()',
      ].sort(),
    )
  })

  test('survives cycles and visits each object once', () => {
    const a: Record<string, unknown> = { name: 'a' }
    const b: Record<string, unknown> = { name: 'b', a, secret: SECRET }
    a.b = b
    a.self = a
    const { where, stats } = find({ a, again: a, b })
    expect(where).toEqual(['state.b.secret'])
    expect(stats.truncated).toBe(false)
  })

  test('never calls a getter, even a throwing one, and never enters a Proxy', () => {
    const calls: string[] = []
    const state = {
      get lazy() {
        calls.push('getter')
        return SECRET
      },
      get broken(): never {
        calls.push('broken')
        throw new Error('boom')
      },
      proxy: new Proxy(
        { secret: SECRET },
        {
          get: () => calls.push('get'),
          ownKeys: () => {
            calls.push('ownKeys')
            return []
          },
          getOwnPropertyDescriptor: () => {
            calls.push('descriptor')
            return undefined
          },
          getPrototypeOf: () => {
            calls.push('getPrototypeOf')
            return null
          },
        },
      ),
      revoked: (() => {
        const { proxy, revoke } = Proxy.revocable({}, {})
        revoke()
        return proxy
      })(),
      after: { secret: SECRET },
    }
    const { where, stats } = find(state)
    expect(calls).toEqual([])
    expect(where).toEqual(['state.after.secret'])
    expect(stats.proxies).toBe(2)
  })

  test('never runs overridden collection methods or iterators', () => {
    const calls: string[] = []
    class SneakyMap extends Map<string, string> {
      override forEach(): void {
        calls.push('forEach')
      }
      override entries(): MapIterator<[string, string]> {
        calls.push('entries')
        return super.entries()
      }
    }
    const map = new SneakyMap([['k', SECRET]])
    Object.defineProperty(map, Symbol.iterator, {
      value: () => {
        calls.push('iterator')
        return [][Symbol.iterator]()
      },
    })
    expect(find({ map }).where).toEqual(['state.map.get("k")'])
    expect(calls).toEqual([])
  })

  test('stops at its node budget on huge arrays, and skips the contents of other typed arrays', () => {
    const huge = Array.from({ length: 1_000_000 }, (_, i) => `item-${i}`)
    huge[5] = SECRET
    huge[999_999] = `${SECRET}-late`
    const { where, stats } = find({ huge, floats: new Float64Array(1_000_000) }, 20_000)
    expect(where).toEqual(['state.huge[5]'])
    expect(stats.truncated).toBe(true)
    // The root and its two values, then a fifth of the budget inside the array.
    expect(stats.visited).toBe(3 + 4_000)
  })

  test('one huge collection cannot hide the rest of state', () => {
    const big = new Map(Array.from({ length: 100_000 }, (_, i) => [i, `v${i}`]))
    const set = new Set(Array.from({ length: 100_000 }, (_, i) => i))
    const list = Array.from({ length: 100_000 }, (_, i) => i)
    const { where, stats } = find({ big, set, list, later: { secret: SECRET } }, 10_000)
    expect(where).toEqual(['state.later.secret'])
    expect(stats.truncated).toBe(true)
  })

  test('sparse arrays and array getters: holes skipped, accessors not called', () => {
    const sparse: unknown[] = []
    sparse[3] = SECRET
    Object.defineProperty(sparse, 1, {
      get: () => {
        throw new Error('getter called')
      },
    })
    expect(find({ sparse }).where).toEqual(['state.sparse[3]'])
  })

  test('array holes never reach the prototype chain; setter-only elements run nothing', () => {
    const calls: string[] = []
    // A hole under a prototype that is a Proxy, and one under an inherited index getter.
    const trapped: unknown[] = []
    trapped[0] = SECRET
    trapped[2] = SECRET
    Object.setPrototypeOf(
      trapped,
      new Proxy(Array.prototype, {
        getOwnPropertyDescriptor: (target, key) => {
          calls.push(`trap ${String(key)}`)
          return Reflect.getOwnPropertyDescriptor(target, key)
        },
        get: (target, key, receiver) => {
          calls.push(`get ${String(key)}`)
          return Reflect.get(target, key, receiver)
        },
      }),
    )
    class Inherited extends Array<unknown> {}
    Object.defineProperty(Inherited.prototype, 1, {
      get: () => {
        calls.push('inherited getter')
        return SECRET
      },
    })
    const inherited = new Inherited(3)
    inherited[2] = SECRET
    const setterOnly: unknown[] = [SECRET]
    Object.defineProperty(setterOnly, 1, {
      set: () => calls.push('setter'),
      enumerable: true,
    })
    expect(find({ trapped, inherited, setterOnly }).where).toEqual([
      'state.trapped[0]',
      'state.trapped[2]',
      'state.inherited[2]',
      'state.setterOnly[0]',
    ])
    expect(calls).toEqual([])
  })

  test('an orcCache store (branded) is walked through its entries and marked as cached', () => {
    const store = new LRUCache<string, object>({ max: 10 })
    Object.defineProperty(store, ORC_CACHE_BRAND, { value: true })
    store.set('GET /a', { kind: 1, value: { body: `{"token":"${SECRET}"}` } })
    const { hits } = find({ store })
    expect(hits).toEqual([
      { where: 'state.store.get("GET /a").value.body', as: 'value', cached: true },
    ])
  })

  test('long integers are passed as they are; strings as roots too; short strings skipped', () => {
    const hits: Array<string | number | bigint> = []
    walk(
      [
        { label: 'n', value: { big: 4111111111111111, small: 42, bigint: 12345678901234567890n } },
        { label: 's', value: 'plain root' },
      ],
      (text) => void hits.push(text),
      100,
      4,
    )
    expect(hits.filter((t) => typeof t !== 'string')).toEqual([
      4111111111111111,
      12345678901234567890n,
    ])
    expect(hits).toContain('plain root')
    expect(hits).toContain('small')
    expect(hits).not.toContain('big')
  })
})

describe('walk: a planted value is found at its path, whatever surrounds it', () => {
  type Step =
    | { kind: 'object'; key: string }
    | { kind: 'array'; at: number }
    | { kind: 'map'; key: string }
    | { kind: 'set' }
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({
      kind: fc.constant('object' as const),
      key: fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/),
    }),
    fc.record({ kind: fc.constant('array' as const), at: fc.nat({ max: 5 }) }),
    fc.record({ kind: fc.constant('map' as const), key: fc.stringMatching(/^[a-z]{1,6}$/) }),
    fc.record({ kind: fc.constant('set' as const) }),
  )

  /** Wraps `inner` in the containers of `path` (outermost first), with `noise` beside it. */
  const plant = (
    path: readonly Step[],
    inner: unknown,
    noise: unknown,
  ): { value: unknown; where: string } => {
    let value = inner
    let where = ''
    for (const s of [...path].reverse()) {
      if (s.kind === 'object') {
        value = { noise, [s.key]: value }
        where = `.${s.key}${where}`
      } else if (s.kind === 'array') {
        value = [...Array.from({ length: s.at }, () => noise), value]
        where = `[${s.at}]${where}`
      } else if (s.kind === 'map') {
        value = new Map<unknown, unknown>([
          [s.key, value],
          [{ noise }, noise],
        ])
        where = `.get(${JSON.stringify(s.key)})${where}`
      } else {
        value = new Set([value, noise])
        where = `.values()[0]${where}`
      }
    }
    return { value, where: `state${where}` }
  }

  test('for random nesting of objects, arrays, Maps and Sets with random JSON noise', () => {
    fc.assert(
      fc.property(
        fc
          .array(step, { maxLength: 8 })
          .filter((path) => path.every((s) => s.kind !== 'object' || s.key !== 'noise')),
        fc.jsonValue({ maxDepth: 3 }),
        (path, noise) => {
          const { value, where } = plant(path, SECRET, noise)
          expect(find(value).where).toEqual([where])
        },
      ),
    )
  })
})
