/**
 * The plan's scanner (`tokenize` in `scope/plan.ts`) reads characters by code for speed.
 * Its grammar is the regular expression below (the scanner's first form, kept here as
 * the definition): on real JavaScript and on generated text full of the characters that
 * matter (quotes, slashes, templates, escapes, Unicode blanks), both must give the same
 * tokens, or both give up.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { tokenize } from '../../src/leak-guard/scope/plan.js'

const TOKEN =
  /(\s+)|(\/\/[^\n]*|\/\*[\s\S]*?\*\/)|([A-Za-z_$\u0080-\uffff][\w$\u0080-\uffff]*)|(#[A-Za-z_$\u0080-\uffff][\w$\u0080-\uffff]*)|(\d[\w.]*(?:[eE][+-]\d+)?|\.\d\w*)|(>>>=|\.\.\.|===|!==|\*\*=|<<=|>>=|>>>|&&=|\|\|=|\?\?=|=>|==|!=|<=|>=|&&|\|\||\?\?|\?\.(?!\d)|\+\+|--|\+=|-=|\*=|%=|&=|\|=|\^=|\*\*|<<|>>)|([\s\S])/y
const STRING: Readonly<Record<string, RegExp>> = {
  "'": /'(?:[^'\\\n]|\\[\s\S])*'/y,
  '"': /"(?:[^"\\\n]|\\[\s\S])*"/y,
}
const TEMPLATE_TEXT = /(?:[^`\\$]|\\[\s\S]|\$(?!\{))*/y
const REGEX = /\/(?:[^\\/[\n]|\\.|\[(?:[^\]\\\n]|\\.)*\])+\/[\w$]*/y
const BEFORE_EXPRESSION = new Set(
  'return typeof instanceof in of new delete void throw case do else yield await'.split(' '),
)
const VALUE_ENDS = new Set([')', ']', '}', '""', '0', '/re/', '++', '--'])

/** The reference: tokens as text (names marked), or `lost`. */
const reference = (source: string): string[] | 'lost' => {
  const tokens: { text: string; name: boolean }[] = []
  const templates: number[] = []
  let i = 0
  const regexAllowed = () => {
    const last = tokens[tokens.length - 1]
    if (last === undefined) return true
    return last.name ? BEFORE_EXPRESSION.has(last.text) : !VALUE_ENDS.has(last.text)
  }
  const consume = (pattern: RegExp) => {
    pattern.lastIndex = i
    if (!pattern.test(source)) throw new Error('lost')
    i = pattern.lastIndex
  }
  const templateText = () => {
    consume(TEMPLATE_TEXT)
    if (source[i] === '`') {
      i++
      tokens.push({ text: '""', name: false })
    } else if (source[i] === '$') {
      i += 2
      templates.push(0)
    } else throw new Error('lost')
  }
  try {
    while (i < source.length) {
      TOKEN.lastIndex = i
      const [text, blank, comment, name, privateName, number, punctuator] = TOKEN.exec(
        source,
      ) as RegExpExecArray
      if (blank !== undefined || comment !== undefined) i = TOKEN.lastIndex
      else if (name !== undefined) {
        tokens.push({ text: name, name: true })
        i = TOKEN.lastIndex
      } else if (privateName !== undefined) {
        tokens.push({ text: '.', name: false }, { text: privateName.slice(1), name: false })
        i = TOKEN.lastIndex
      } else if (number !== undefined) {
        tokens.push({ text: '0', name: false })
        i = TOKEN.lastIndex
      } else if (punctuator !== undefined) {
        tokens.push({ text: punctuator, name: false })
        i = TOKEN.lastIndex
      } else if (text === "'" || text === '"') {
        consume(STRING[text] as RegExp)
        tokens.push({ text: '""', name: false })
      } else if (text === '`') {
        i++
        templateText()
      } else if (text === '/') {
        if (source[i + 1] === '*') throw new Error('lost')
        if (regexAllowed()) {
          consume(REGEX)
          tokens.push({ text: '/re/', name: false })
        } else {
          const divide = source[i + 1] === '=' ? '/=' : '/'
          tokens.push({ text: divide, name: false })
          i += divide.length
        }
      } else if (text === '}' && templates.length > 0 && templates[templates.length - 1] === 0) {
        templates.pop()
        i++
        templateText()
      } else {
        if (templates.length > 0 && (text === '{' || text === '}')) {
          templates.push((templates.pop() as number) + (text === '{' ? 1 : -1))
        }
        tokens.push({ text: text as string, name: false })
        i++
      }
    }
    if (templates.length > 0) return 'lost'
  } catch {
    return 'lost'
  }
  return tokens.map(({ text, name }) => (name ? `name:${text}` : text))
}

const scanned = (source: string): string[] | 'lost' => {
  try {
    return tokenize(source).map(({ text, name }) => (name ? `name:${text}` : text))
  } catch {
    return 'lost'
  }
}

/** JavaScript files under `dir`, depth first, at most `limit`. */
const scripts = (dir: string, limit: number, found: string[] = []): string[] => {
  for (const entry of readdirSync(dir).sort()) {
    if (found.length >= limit) break
    const path = join(dir, entry)
    const stat = statSync(path)
    if (stat.isDirectory()) scripts(path, limit, found)
    else if (/\.[cm]?js$/.test(entry) && stat.size < 2_000_000) found.push(path)
  }
  return found
}

describe('tokenize: the same tokens as its grammar', () => {
  test('real code: dependencies, the built package and tests, including minified files', () => {
    const files = [
      ...scripts('node_modules/@middy', 40),
      ...scripts('node_modules/axios', 40),
      ...scripts('node_modules/fast-check/lib', 60),
      ...scripts('node_modules/@aws-lambda-powertools', 60),
      ...scripts('dist', 20),
      ...scripts('test', 60),
    ]
    expect(files.length).toBeGreaterThan(150)
    let lost = 0
    for (const file of files) {
      const source = readFileSync(file, 'utf8')
      const expected = reference(source)
      if (expected === 'lost') lost++
      expect({ file, tokens: scanned(source) }).toEqual({ file, tokens: expected })
    }
    // Most real code is followed to its end.
    expect(lost).toBeLessThan(files.length / 10)
  })

  test('generated text, from the characters the scanner decides on', () => {
    const pieces = [
      ...'ab_$1.9#eE+-*/%=<>!&|^?:;,()[]{}`\'"\\ \n\t\r'.split(''),
      '${',
      '//',
      '/*',
      '*/',
      '...',
      '?.',
      '?.5',
      '>>>=',
      '**=',
      '.5',
      '1e+5',
      'x\u00a0y',
      '\u2028',
      '\ufeff',
      '\u00e9',
      'return',
      'typeof',
      'in',
      '0x1F',
      '#p',
    ]
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), (parts) => {
        const source = parts.join('')
        expect(scanned(source)).toEqual(reference(source))
      }),
      { numRuns: 20_000 },
    )
  })
})
