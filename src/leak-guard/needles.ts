/**
 * Needles: the values a check looks for, prepared so that each string met in state costs
 * little: one map lookup for the whole value, one for an integer, and for the search
 * inside a string one lookup per position, by the first two characters of the needles.
 */

/** Prepared needles, each with what the caller attached to it. */
export interface NeedleSet<T> {
  readonly byValue: ReadonlyMap<string, T>
  /** Needles of 8 to 40 digits by their number: integers in state match without text. */
  readonly byNumber: ReadonlyMap<number | bigint, T>
  /** Needles by their first two UTF-16 code units. */
  readonly byStart: ReadonlyMap<number, readonly string[]>
  /** The length of the shortest needle (`Infinity` when there is none). */
  readonly shortest: number
}

const DIGITS = /^-?\d{8,40}$/

const startOf = (text: string, at: number): number =>
  (text.charCodeAt(at) << 16) | text.charCodeAt(at + 1)

/** Prepares needles (the first entry of a value wins; values shorter than 2 are ignored). */
export const createNeedleSet = <T>(entries: Iterable<readonly [string, T]>): NeedleSet<T> => {
  const byValue = new Map<string, T>()
  const byNumber = new Map<number | bigint, T>()
  const byStart = new Map<number, string[]>()
  let shortest = Number.POSITIVE_INFINITY
  for (const [value, item] of entries) {
    if (value.length < 2 || byValue.has(value)) continue
    byValue.set(value, item)
    shortest = Math.min(shortest, value.length)
    const start = startOf(value, 0)
    const list = byStart.get(start)
    if (list === undefined) byStart.set(start, [value])
    else list.push(value)
    if (!DIGITS.test(value)) continue
    byNumber.set(BigInt(value), item)
    if (Number.isSafeInteger(Number(value))) byNumber.set(Number(value), item)
  }
  return { byValue, byNumber, byStart, shortest }
}

/** Calls `found` once for each needle shorter than `text` that occurs inside it. */
export const forEachInside = <T>(
  set: NeedleSet<T>,
  text: string,
  found: (value: string) => void,
): void => {
  let reported: string[] | undefined
  for (let at = 0, last = text.length - set.shortest; at <= last; at++) {
    const candidates = set.byStart.get(startOf(text, at))
    if (candidates === undefined) continue
    for (const value of candidates) {
      if (value.length >= text.length || !text.startsWith(value, at) || reported?.includes(value)) {
        continue
      }
      reported ??= []
      reported.push(value)
      found(value)
    }
  }
}
