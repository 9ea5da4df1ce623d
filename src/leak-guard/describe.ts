/**
 * One line of text for a finding: what `warn` mode logs and what a `LeakError`
 * says. Kept apart from `findings.ts` (which needs the walk) because the light part of
 * the guard, loaded at import, needs it for `LeakError`.
 */
import type { LeakFinding } from './findings.js'

/** One line of text for a finding. */
export const describeFinding = (f: LeakFinding): string => {
  // Every masked form names its kind, except a card's digits.
  const what = f.sensitive === 'card' ? `card ${f.value}` : f.value
  const found =
    f.kind === 'cross-request'
      ? `an overlapping request, found at the ${f.phase} of request ${f.foundBy}`
      : f.kind === 'pending'
        ? 'still pending after it returned'
        : `found at the ${f.phase} of request ${f.foundBy}`
  if (f.kind === 'pending' && f.field === '') {
    return `leakGuard: ${f.severity.toUpperCase()} pending: ${f.where} is still pending after request ${f.requestId} returned${f.count > 1 ? `; seen ${f.count} times` : ''}`
  }
  const held = f.as === 'value' ? '' : ` (as ${f.as === 'key' ? 'a key' : 'part of a string'})`
  const cached = f.cached ? ' inside an orcCache store' : ''
  return `leakGuard: ${f.severity.toUpperCase()} ${f.kind}: ${f.where}${held}${cached} holds ${f.field} = ${what} of request ${f.requestId}, ${found}${f.count > 1 ? `; seen ${f.count} times` : ''}`
}
