/**
 * What a script's own source says about its variables, read once: which names its
 * first-party code refers to, and which it ever assigns after their declaration. A scope
 * whose variables first-party code never reassigns keeps the same values (objects stay
 * live: their contents are walked at every check), so the scope reader need not read it
 * again through the inspector at every check, which costs about 1 µs per variable of the
 * scope (thousands in an esbuild bundle). See `scope/index.ts`.
 *
 * The source is scanned, not parsed: comments, strings, template literals and regular
 * expressions are skipped, names and punctuators kept. An assignment target is a name
 * (not a property) before `=` or a compound assignment, next to `++`/`--`, in a
 * destructuring pattern assigned to, or the variable of a `for (x of/in ...)`. The scan
 * errs on the side of "assigned": a local variable or a parameter with a default that has
 * a module variable's name makes that name count as assigned (a read at every check,
 * as without a plan). `eval` or `with` in first-party code, or a source the scan cannot
 * follow, means nothing is known.
 */
import { type BundleRegions, readScript, regionsOf } from '../bundle.js'

/** What {@link planOf} found. */
export interface SourcePlan {
  /**
   * Names that first-party code refers to, or undefined when all code is first-party
   * (a file that bundles no dependency): in a bundle, the variables of the dependencies
   * that first-party code never names are their internal state.
   */
  readonly referenced: ReadonlySet<string> | undefined
  /** Names that first-party code may assign; undefined when that is not known. */
  readonly assigned: ReadonlySet<string> | undefined
}

const UNKNOWN: SourcePlan = { referenced: undefined, assigned: undefined }

/**
 * The scanner reads characters by code, with no regular expression on its common paths:
 * a large regular expression costs milliseconds the first time it runs (V8 interprets it
 * before compiling it), and the plan is made once per file, at discovery. Only a regular
 * expression literal in the source is matched with one ({@link REGEX}).
 */
const REGEX = /\/(?:[^\\/[\n]|\\.|\[(?:[^\]\\\n]|\\.)*\])+\/[\w$]*/y
/** Punctuators of more than one character, by length; `/=` is the division's. */
const PUNCTUATORS = [
  new Set(['>>>=']),
  new Set(['...', '===', '!==', '**=', '<<=', '>>=', '>>>', '&&=', '||=', '??=']),
  new Set('=> == != <= >= && || ?? ?. ++ -- += -= *= %= &= |= ^= ** << >>'.split(' ')),
]
/** The characters a punctuator of more than one character starts with. */
const PUNCTUATOR_STARTS = '=!<>&|?*+-%^.'
const NEWLINE = 10
const BACKSLASH = 92

/** JavaScript's white space and line terminators (`\s`), as character codes. */
const isBlank = (c: number): boolean =>
  c === 32 ||
  (c >= 9 && c <= 13) ||
  (c >= 128 &&
    (c === 0xa0 ||
      c === 0x1680 ||
      (c >= 0x2000 && c <= 0x200a) ||
      c === 0x2028 ||
      c === 0x2029 ||
      c === 0x202f ||
      c === 0x205f ||
      c === 0x3000 ||
      c === 0xfeff))
const isDigit = (c: number): boolean => c >= 48 && c <= 57
/** `[A-Za-z_$]`, and any code unit from U+0080 (names may hold any letter). */
const isNameStart = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 || c >= 128
/** `\w`. */
const isWordChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95
const isNamePart = (c: number): boolean => isWordChar(c) || c === 36 || c >= 128
const ASSIGNMENTS = new Set([
  '=',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '**=',
  '<<=',
  '>>=',
  '>>>=',
  '&=',
  '|=',
  '^=',
  '&&=',
  '||=',
  '??=',
])
/** Names after which a `/` starts a regular expression, not a division. */
const BEFORE_EXPRESSION = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
])
const DECLARATIONS = new Set(['var', 'let', 'const'])
/** Tokens that end a value: a `/` after them divides. (`""`: a string, `0`: a number.) */
const VALUE_ENDS = new Set([')', ']', '}', '""', '0', '/re/', '++', '--'])

/** One token: a name (`name: true`) or a punctuator. */
interface Token {
  readonly text: string
  readonly name: boolean
}

/** Thrown when the scan loses its way (an unterminated string, comment or template). */
class Lost extends Error {}

/** The names and punctuators of `source`, or throws {@link Lost}. */
export const tokenize = (source: string): Token[] => {
  const tokens: Token[] = []
  /** Brace depth inside each open template substitution `${`. */
  const templates: number[] = []
  const n = source.length
  let i = 0
  const regexAllowed = (): boolean => {
    const last = tokens[tokens.length - 1]
    if (last === undefined) return true
    if (last.name) return BEFORE_EXPRESSION.has(last.text)
    return !VALUE_ENDS.has(last.text)
  }
  /** The index after the name characters from `from`. */
  const nameEnd = (from: number): number => {
    let j = from
    while (j < n && isNamePart(source.charCodeAt(j))) j++
    return j
  }
  /** Past a string literal opened at `i` (no line break unless escaped), or throws. */
  const string = (quote: number): void => {
    let j = i + 1
    for (;;) {
      if (j >= n) throw new Lost()
      const c = source.charCodeAt(j)
      if (c === quote) break
      if (c === NEWLINE) throw new Lost()
      j += c === BACKSLASH ? 2 : 1
    }
    i = j + 1
    tokens.push({ text: '""', name: false })
  }
  /** From inside a template's text: to its end, or into a substitution (pushed). */
  const templateText = (): void => {
    for (;;) {
      if (i >= n) throw new Lost()
      const c = source.charCodeAt(i)
      if (c === 96) {
        i++
        tokens.push({ text: '""', name: false })
        return
      }
      if (c === 36 && source.charCodeAt(i + 1) === 123) {
        i += 2
        templates.push(0)
        return
      }
      // An escape takes the next character, whatever it is (a lone `\` at the end: lost).
      if (c === BACKSLASH && i + 1 >= n) throw new Lost()
      i += c === BACKSLASH ? 2 : 1
    }
  }
  while (i < n) {
    const c = source.charCodeAt(i)
    const ch = source[i] as string
    if (isBlank(c)) {
      i++
      while (i < n && isBlank(source.charCodeAt(i))) i++
    } else if (ch === '/' && source[i + 1] === '/') {
      const end = source.indexOf('\n', i)
      i = end < 0 ? n : end
    } else if (ch === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2)
      if (end < 0) throw new Lost() // an unterminated comment
      i = end + 2
    } else if (isNameStart(c)) {
      const end = nameEnd(i + 1)
      tokens.push({ text: source.slice(i, end), name: true })
      i = end
    } else if (ch === '#' && i + 1 < n && isNameStart(source.charCodeAt(i + 1))) {
      // A private name (`#field`) is a property, never a variable.
      const end = nameEnd(i + 2)
      tokens.push({ text: '.', name: false }, { text: source.slice(i + 1, end), name: false })
      i = end
    } else if (isDigit(c) || (ch === '.' && isDigit(source.charCodeAt(i + 1)))) {
      // `\d[\w.]*` or `\.\d\w*`: a leading dot is the only one.
      const dots = isDigit(c)
      i++
      while (i < n && (isWordChar(source.charCodeAt(i)) || (dots && source[i] === '.'))) i++
      tokens.push({ text: '0', name: false })
    } else if (ch === "'" || ch === '"') {
      string(c)
    } else if (ch === '`') {
      i++
      templateText()
    } else if (ch === '/') {
      if (regexAllowed()) {
        REGEX.lastIndex = i
        if (!REGEX.test(source)) throw new Lost()
        i = REGEX.lastIndex
        tokens.push({ text: '/re/', name: false })
      } else {
        const divide = source[i + 1] === '=' ? '/=' : '/'
        tokens.push({ text: divide, name: false })
        i += divide.length
      }
    } else if (ch === '}' && templates.length > 0 && templates[templates.length - 1] === 0) {
      // The end of a template substitution: back into the template's text.
      templates.pop()
      i++
      templateText()
    } else {
      const punctuator = PUNCTUATOR_STARTS.includes(ch) ? punctuatorAt(source, i) : undefined
      if (punctuator !== undefined) {
        tokens.push({ text: punctuator, name: false })
        i += punctuator.length
        continue
      }
      if (templates.length > 0 && (ch === '{' || ch === '}')) {
        templates.push((templates.pop() as number) + (ch === '{' ? 1 : -1))
      }
      tokens.push({ text: ch, name: false })
      i++
    }
  }
  if (templates.length > 0) throw new Lost()
  return tokens
}

/** The longest punctuator of more than one character at `i` (`?.` not before a digit). */
const punctuatorAt = (source: string, i: number): string | undefined => {
  for (const [k, set] of PUNCTUATORS.entries()) {
    const text = source.slice(i, i + 4 - k)
    if (!set.has(text)) continue
    if (text === '?.' && isDigit(source.charCodeAt(i + 2))) return undefined
    return text
  }
  return undefined
}

const isProperty = (tokens: readonly Token[], k: number): boolean => {
  const before = tokens[k - 1]?.text
  return before === '.' || before === '?.'
}

const CLOSERS: Readonly<Record<string, string>> = { ']': '[', '}': '{', ')': '(' }

/**
 * The names `tokens` refer to and those they may assign (see the module comment);
 * `assigned` undefined when `eval` or `with` appears.
 */
export const namesOf = (
  tokens: readonly Token[],
  referenced: Set<string>,
  assigned: Set<string>,
): boolean => {
  /** Index of the opener of each bracket, by the index of its closer (none: unbalanced). */
  const openers: (number | undefined)[] = []
  /** Index of the innermost bracket open at each token (-1: the top level). */
  const enclosing: number[] = []
  const stack: number[] = []
  tokens.forEach((token, k) => {
    enclosing[k] = stack[stack.length - 1] ?? -1
    if (token.name) return
    if (token.text === '[' || token.text === '{' || token.text === '(') stack.push(k)
    else if (CLOSERS[token.text] !== undefined) openers[k] = stack.pop()
  })
  /**
   * Where statements run once, when the module loads: the top level (-1) and the bodies
   * of esbuild's lazy module initialisers, `__esm({ "src/x.ts"() { ... } })`.
   */
  const once = new Set<number>([-1])
  tokens.forEach((token, k) => {
    if (
      token.name &&
      token.text === '__esm' &&
      tokens[k + 1]?.text === '(' &&
      tokens[k + 2]?.text === '{' &&
      tokens[k + 3]?.text === '""' &&
      tokens[k + 4]?.text === '(' &&
      tokens[k + 5]?.text === ')' &&
      tokens[k + 6]?.text === '{'
    ) {
      once.add(k + 6)
    }
  })
  /** An assignment that starts a statement run once (`x = 1;` at the top level). */
  const atLoad = (k: number): boolean => {
    const opener = enclosing[k] as number
    if (!once.has(opener)) return false
    const before = tokens[k - 1]?.text
    return k === 0 || k - 1 === opener || before === ';' || before === '}'
  }
  const assignAll = (from: number, to: number): void => {
    for (let j = from + 1; j < to; j++) {
      const token = tokens[j] as Token
      if (token.name && !isProperty(tokens, j)) assigned.add(token.text)
    }
  }
  for (let k = 0; k < tokens.length; k++) {
    const token = tokens[k] as Token
    const next = tokens[k + 1]?.text
    if (!token.name) {
      // A destructuring assignment: `[a, b] = ...`, `({ a, b } = ...)`.
      if ((token.text === ']' || token.text === '}') && next === '=') {
        const opener = openers[k]
        if (opener === undefined) return false
        const before = tokens[opener - 1]
        if (!(before?.name && DECLARATIONS.has(before.text))) assignAll(opener, k)
      }
      continue
    }
    if (isProperty(tokens, k)) continue
    const name = token.text
    referenced.add(name)
    if ((name === 'eval' || name === 'with') && next === '(') return false
    const before = tokens[k - 1]
    if (before?.name && DECLARATIONS.has(before.text)) continue
    if (next === '=' && atLoad(k)) continue
    if (
      (next !== undefined && ASSIGNMENTS.has(next)) ||
      next === '++' ||
      next === '--' ||
      before?.text === '++' ||
      before?.text === '--' ||
      ((next === 'of' || next === 'in') && before?.text === '(' && tokens[k - 2]?.text === 'for')
    ) {
      assigned.add(name)
    }
  }
  return true
}

/**
 * The plan of a script from its source: of its first-party regions when it is a bundle
 * (`regions`), else of all of it.
 */
export const planOf = (source: string, regions: BundleRegions | undefined): SourcePlan => {
  const referenced = new Set<string>()
  const assigned = new Set<string>()
  try {
    if (regions === undefined) {
      if (!namesOf(tokenize(source), referenced, assigned)) return UNKNOWN
      return { referenced: undefined, assigned }
    }
    const lines = source.split('\n')
    const { starts, dependency } = regions
    for (let r = 0; r < starts.length; r++) {
      if (dependency[r]) continue
      const text = lines.slice(starts[r], starts[r + 1] ?? lines.length).join('\n')
      if (!namesOf(tokenize(text), referenced, assigned)) return UNKNOWN
    }
    return { referenced, assigned }
  } catch {
    // Lost: the scan gave up (nothing else is thrown: it is bounded and without recursion).
    return UNKNOWN
  }
}

/** Scripts the plan is read from: JavaScript files (a TypeScript source is not what runs). */
const JAVASCRIPT = /\.[cm]?js$/

/** The plan of the script at `path` (see {@link planOf}); nothing known for other files. */
export const planOfScript = (path: string | undefined): SourcePlan => {
  if (path === undefined || !JAVASCRIPT.test(path)) return UNKNOWN
  const source = readScript(path)
  return source === undefined ? UNKNOWN : planOf(source, regionsOf(source))
}
