/**
 * The walk of container state (`src/leak-guard/walk.ts`) where it stops and where it
 * reads what JavaScript cannot: the node budget met at each kind of step, hostile or
 * unusual orcCache stores, and the rounds of private fields and closure variables asked
 * of a {@link HiddenReader}. The reader here answers from a table the test fills, the way
 * the inspector-backed one (`scope/`) answers from V8.
 */
import { describe, expect, test } from 'vitest'
import { renderPlace } from '../../src/leak-guard/findings.js'
import { type HiddenReader, placeOf, walk } from '../../src/leak-guard/walk.js'
import { ORC_CACHE_BRAND } from '../../src/shared/brand.js'

type Found = readonly (readonly [string, unknown])[]

/** Walks `roots`, listing each string or long integer met as `where as text`. */
const walkAll = (
  roots: Array<{ label: string; value: unknown }>,
  maxNodes = 10_000,
  hidden?: HiddenReader,
) => {
  const met: string[] = []
  const stats = walk(
    roots,
    (text, as, parent, step, key) => {
      met.push(`${renderPlace(placeOf(parent, step, key), (k) => k)} ${as} ${String(text)}`)
    },
    maxNodes,
    1,
    undefined,
    hidden,
  )
  return { met, stats }
}

/** A branded store (as orcCache marks its own) whose `entries` yields `entries`. */
const store = (entries: () => Iterable<unknown>) => {
  class Store {
    entries() {
      return entries()
    }
  }
  const made = new Store()
  Object.defineProperty(made, ORC_CACHE_BRAND, { value: true })
  return made
}

describe('the node budget', () => {
  test('stops before the roots that do not fit', () => {
    const { met, stats } = walkAll(
      [
        { label: 'a', value: 'first-root' },
        { label: 'b', value: 'second-root' },
        { label: 'c', value: 'third-root' },
      ],
      2,
    )
    expect(met).toEqual(['a value first-root', 'b value second-root'])
    expect(stats).toMatchObject({ visited: 2, truncated: true })
  })

  test('stops inside string-keyed properties', () => {
    const { met, stats } = walkAll(
      [{ label: 's', value: { one: 'v1', two: 'v2', three: 'v3' } }],
      3,
    )
    expect(met).toEqual([
      's.one key one',
      's.one value v1',
      's.two key two',
      's.two value v2',
      's.three key three',
    ])
    expect(stats.truncated).toBe(true)
  })

  test('reports a Map key or byte text only from minLength characters', () => {
    const seen: string[] = []
    walk(
      [
        {
          label: 'm',
          value: new Map([
            ['ab', 'long-value'],
            ['long-key', 'cd'],
            ['abcd', 'x'],
          ]),
        },
      ],
      (text) => void seen.push(String(text)),
      100,
      4,
    )
    expect(seen).toEqual(['long-value', 'long-key', 'abcd'])
  })

  test('stops inside symbol-keyed properties and Map values alike', () => {
    const a = Symbol('a')
    const b = Symbol('b')
    const symbols = walkAll([{ label: 's', value: { [a]: 'one', [b]: 'two' } }], 2)
    expect(symbols.met).toEqual(['s[Symbol(a)] value one'])
    expect(symbols.stats.truncated).toBe(true)
    const map = walkAll([{ label: 'm', value: new Map([['k', 'v']]) }], 1)
    expect(map.met).toEqual(['m.get("k") key k'])
    expect(map.stats.truncated).toBe(true)
  })
})

describe('properties', () => {
  test('an object’s keys named like a function’s built-ins are reported; a getter’s key is not', () => {
    class Instance {
      name = 'instance-name'
      prototype = 'instance-prototype'
    }
    const plain = {
      length: 'plain-length',
      get accessorKey() {
        return 'never-read'
      },
    }
    const { met } = walkAll([
      { label: 'p', value: plain },
      { label: 'i', value: new Instance() },
    ])
    expect(met).toEqual([
      'p.length key length',
      'p.length value plain-length',
      'i.name key name',
      'i.name value instance-name',
      'i.prototype key prototype',
      'i.prototype value instance-prototype',
    ])
  })
})

describe('an orcCache store', () => {
  test('is read through its entries: string keys as keys, other keys by index', () => {
    const key = { id: 'key-object-text' }
    const { met } = walkAll([
      {
        label: 'st',
        value: store(() => [
          ['text-key', 'text-value'],
          [key, 'object-value'],
        ]),
      },
    ])
    expect(met).toEqual([
      'st.get("text-key") value text-value',
      'st.get("text-key") key text-key',
      'st.get(<object>) value object-value',
      'st.keys()[1].id key id',
      'st.keys()[1].id value key-object-text',
    ])
  })

  test('a class instance held inside is walked through its properties, as cached', () => {
    class Session {
      token = 'held-in-store'
    }
    const cached: boolean[] = []
    walk(
      [{ label: 'st', value: store(() => [['k', new Session()]]) }],
      (text, _as, parent, step, key) => {
        if (text === 'held-in-store') cached.push(placeOf(parent, step, key).cached)
      },
      100,
    )
    expect(cached).toEqual([true])
  })

  test('goes on after an entry whose key is an object', () => {
    const { met } = walkAll([
      {
        label: 'st',
        value: store(() => [
          [{ id: 'k' }, 'first-value'],
          ['second', 'second-value'],
        ]),
      },
    ])
    expect(met).toContain('st.get("second") value second-value')
  })

  test('stops at an entry that is not a pair, and when the budget runs out at a key', () => {
    const odd = walkAll([
      { label: 'st', value: store(() => [['k1', 'v1'], 'not-a-pair', ['k3', 'v3']]) },
    ])
    expect(odd.met).toEqual(['st.get("k1") value v1', 'st.get("k1") key k1'])
    const tight = walkAll([{ label: 'st', value: store(() => [[{ id: 'x' }, 'v']]) }], 2)
    expect(tight.met).toEqual(['st.get(<object>) value v'])
    expect(tight.stats.truncated).toBe(true)
  })

  test('with an entries that is not a method, or a getter, is not read (the getter never runs)', () => {
    let ran = false
    class Valued {
      entries = 'not-a-function'
    }
    class Gotten {
      get entries() {
        ran = true
        return () => [['k', 'v']]
      }
    }
    class Without {
      held = 'never-read'
    }
    for (const value of [new Valued(), new Gotten(), new Without()]) {
      Object.defineProperty(value, ORC_CACHE_BRAND, { value: true })
      expect(walkAll([{ label: 'st', value }]).met).toEqual([])
    }
    expect(ran).toBe(false)
  })
})

/** A reader that answers from `privates` and `closures`, at most `perRound` owners a round. */
const reader = (
  privates: Map<object, Found>,
  closures: Map<object, Found>,
  perRound = Number.POSITIVE_INFINITY,
) => {
  const rounds: Array<[number, number]> = []
  const hidden: HiddenReader & { rounds: typeof rounds; unavailable?: boolean } = {
    rounds,
    wantsPrivates: (object) => privates.has(object),
    wantsClosure: (fn) => closures.has(fn),
    read(objects, fns) {
      rounds.push([objects.length, fns.length])
      if (hidden.unavailable) return undefined
      return {
        privates: objects.slice(0, perRound).map((o) => privates.get(o) as Found),
        closures: fns.slice(0, perRound).map((f) => closures.get(f) as Found),
      }
    },
  }
  return hidden
}

describe('private fields and closure variables', () => {
  test('are walked where the reader finds them, and what they hold in later rounds', () => {
    class Session {}
    const session = new Session()
    const inner = new Session()
    const handler = () => 0
    const hidden = reader(
      new Map<object, Found>([
        [
          session,
          [
            ['#token', 'private-text'],
            ['#inner', inner],
          ],
        ],
        [inner, [['#deep', 'deeper-text']]],
      ]),
      new Map<object, Found>([[handler, [['cached', 'closure-text']]]]),
    )
    const { met } = walkAll([{ label: 'x', value: { session, handler } }], 10_000, hidden)
    expect(met).toContain('x.session.#token value private-text')
    expect(met).toContain('x.session.#inner.#deep value deeper-text')
    expect(met.some((line) => line.endsWith('value closure-text'))).toBe(true)
    expect(hidden.rounds).toEqual([
      [1, 1],
      [1, 0],
    ])
  })

  test('a reader that answers for the first owners only is asked again for the rest', () => {
    class Box {}
    const boxes = [new Box(), new Box(), new Box()]
    const fns = [() => 1, () => 2]
    const hidden = reader(
      new Map<object, Found>(boxes.map((b, i) => [b, [['#v', `box-${i}`]]])),
      new Map<object, Found>(fns.map((f, i) => [f, [['c', `fn-${i}`]]])),
      1,
    )
    const { met } = walkAll([{ label: 'x', value: { boxes, fns } }], 10_000, hidden)
    for (const text of ['box-0', 'box-1', 'box-2', 'fn-0', 'fn-1']) {
      expect(met.some((line) => line.endsWith(` value ${text}`))).toBe(true)
    }
    expect(hidden.rounds).toEqual([
      [3, 2],
      [2, 1],
      [1, 0],
    ])
  })

  test('only the owners the reader wants are asked about', () => {
    class Box {}
    const wanted = new Box()
    const ignored = new Box()
    const fnWanted = () => 1
    const fnIgnored = () => 2
    const hidden = reader(
      new Map<object, Found>([[wanted, [['#v', 'wanted-private']]]]),
      new Map<object, Found>([[fnWanted, [['c', 'wanted-closure']]]]),
    )
    walkAll([{ label: 'x', value: [wanted, ignored, fnWanted, fnIgnored] }], 10_000, hidden)
    expect(hidden.rounds).toEqual([[1, 1]])
  })

  test('nothing more is read once the reader is unavailable, or the budget is spent', () => {
    class Box {}
    const box = new Box()
    const unavailable = reader(new Map<object, Found>([[box, [['#v', 'never-seen']]]]), new Map())
    unavailable.unavailable = true
    expect(walkAll([{ label: 'x', value: box }], 10_000, unavailable).met).toEqual([])
    expect(unavailable.rounds).toHaveLength(1)

    const spent = reader(new Map<object, Found>([[box, [['#v', 'never-seen']]]]), new Map())
    expect(walkAll([{ label: 'x', value: box }], 1, spent).met).toEqual([])
    expect(spent.rounds).toHaveLength(0)
  })

  test('delivers found values within the budget, and stops after six rounds', () => {
    class Box {}
    const box = new Box()
    const tight = reader(
      new Map<object, Found>([
        [
          box,
          [
            ['#a', 'a-text'],
            ['#b', 'b-text'],
          ],
        ],
      ]),
      new Map(),
    )
    const { met, stats } = walkAll([{ label: 'x', value: box }], 2, tight)
    expect(met).toEqual(['x.#a value a-text'])
    expect(stats.truncated).toBe(true)

    // A chain of boxes, each holding the next in a private field: six rounds, no more.
    const chain = Array.from({ length: 10 }, () => new Box())
    const privates = new Map<object, Found>(
      chain.map((b, i) => [
        b,
        [
          ['#next', chain[i + 1] ?? `end`],
          ['#depth', `depth-${i}`],
        ],
      ]),
    )
    const deep = reader(privates, new Map())
    const found = walkAll([{ label: 'x', value: chain[0] }], 10_000, deep).met
    expect(deep.rounds).toHaveLength(6)
    expect(found.some((line) => line.endsWith('value depth-5'))).toBe(true)
    expect(found.some((line) => line.endsWith('value depth-6'))).toBe(false)
  })
})
