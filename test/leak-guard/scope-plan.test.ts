/**
 * The plan of a script (`scope/plan.ts`): which names its first-party code refers to and
 * which it may rebind after loading. A name it misses as assigned would be a leak the
 * scope reader stops seeing, so each form of assignment is checked, and what is not an
 * assignment (a property, a declaration, a statement run once at load) is too.
 */
import { describe, expect, test } from 'vitest'
import { regionsOf } from '../../src/leak-guard/bundle.js'
import { planOf, tokenize } from '../../src/leak-guard/scope/plan.js'

const assigned = (source: string) => {
  const plan = planOf(source, undefined)
  return plan.assigned === undefined ? undefined : [...plan.assigned].sort()
}

describe('assignments after load', () => {
  test.each([
    ['let card\nexport const handler = (e) => { card = e.card }', ['card']],
    ['let n = 0\nexport const f = () => { n += 1 }', ['n']],
    ['let n = 0\nexport const f = () => n++', ['n']],
    ['let n = 0\nexport const f = () => --n', ['n']],
    ['let c\nexport const f = (k) => { c ??= make(k) }', ['c']],
    ['let a, b\nexport const f = (e) => { [a, b] = e.pair }', ['a', 'b']],
    ['let a\nexport const f = (e) => { ({ x: a } = e) }', ['a', 'x']],
    ['let last\nexport const f = (list) => { for (last of list); }', ['last']],
    ['let last\nexport const f = (e) => (last = e)', ['last']],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source, as text
    ['let t\nexport const f = (e) => { if (e) { t = `${e.id}` } }', ['t']],
  ])('%s', (source, names) => {
    expect(assigned(source)).toEqual(names)
  })

  test('properties, declarations and comparisons are not', () => {
    expect(
      assigned(
        [
          'const store = new Map()',
          'const counters = { n: 0 }',
          'export const f = (e) => {',
          '  const local = e.id; let other = 1; var third = 2',
          '  store.set(e.id, 1); counters.n++; this.#x = 1; a?.b = 2',
          '  if (local == other || local === third || local != 3) return local >= 2',
          '  const g = (x) => x',
          '}',
        ].join('\n'),
      ),
    ).toEqual([])
  })

  test('statements run once at load, and in esbuild’s lazy module initialisers, are not', () => {
    const source = [
      'var config, client, remember, last;',
      'config = load();',
      'var init_app = __esm({',
      '  "src/app.ts"() {',
      '    "use strict";',
      '    client = new Client(config);',
      '    remember = (e) => last = e;',
      '  }',
      '});',
    ].join('\n')
    expect(assigned(source)).toEqual(['last'])
  })

  test('strings, comments, templates and regular expressions hide nothing and invent nothing', () => {
    const source = [
      'let a, b, c',
      'const s = \'a = 1\' + "b = 2" // c = 3',
      '/* a = 4 */ const r = /b = 5[/]"/g.test(s) ? 1 : 2 / 3',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source, as text
      'export const f = (e) => `x = ${e.map((v) => { c = v; return `${v}` })} = y`',
    ].join('\n')
    expect(assigned(source)).toEqual(['c'])
  })

  test('eval, with, or a source the scan cannot follow: nothing is known', () => {
    expect(assigned('let a\nexport const f = (s) => eval(s)')).toBeUndefined()
    expect(assigned('let a = "unterminated\nexport const f = () => a')).toBeUndefined()
    expect(assigned('export const f = () => `${a')).toBeUndefined()
  })

  test('tokens of a template with nested substitutions', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source, as text
    expect(tokenize('`a${`b${c}`}d` + e').map(({ text }) => text)).toEqual([
      'c',
      '""',
      '""',
      '+',
      'e',
    ])
  })
})

describe('in an esbuild bundle', () => {
  const bundle = [
    'var __esm = (fn) => fn;',
    '',
    '// node_modules/lib/index.js',
    'var cache = {};',
    'function remember(k) { cache = k; }',
    '',
    '// src/handler.ts',
    'var card;',
    'var handler = (e) => { card = e.card; remember(e.id); };',
  ].join('\n')

  test('only first-party regions count: names referred to, names assigned', () => {
    const plan = planOf(bundle, regionsOf(bundle))
    expect([...(plan.assigned ?? [])]).toEqual(['card'])
    expect(plan.referenced?.has('remember')).toBe(true)
    expect(plan.referenced?.has('card')).toBe(true)
    expect(plan.referenced?.has('cache')).toBe(false)
  })

  test('a file that bundles no dependency is first-party throughout', () => {
    const plain = 'let card\nexport const handler = (e) => { card = e.card }'
    expect(planOf(plain, regionsOf(plain)).referenced).toBeUndefined()
  })
})
