/**
 * Example: leakGuard in a dev (or test) stage.
 *
 * leakGuard reports request data that outlives its invocation: values from the
 * event found, after the invocation and at the start of the next, in container
 * state (globals, module-level variables, watched roots). It costs a walk of
 * that state per invocation, so it belongs in dev and test stages, not in
 * production. Configure it per stage with environment variables, so the code
 * is the same everywhere:
 *
 *   stage   LEAK_GUARD   what happens
 *   dev     warn         each finding is logged once per place (masked), the invocation goes on
 *   test/CI throw        the invocation fails with a LeakError: a leak fails the build
 *   prod    off          a pass-through: nothing is loaded, nothing is walked
 *
 * Other variables: LEAK_GUARD_SAMPLE_RATE (0..1, check a fraction of invocations),
 * LEAK_GUARD_IGNORE (comma-separated names or paths of intended state),
 * LEAK_GUARD_MAX_NODES (cost bound of one check), LEAK_GUARD_JSON (JSON log lines;
 * on by default when the function's log format is JSON).
 *
 * In your project, import from 'middy-orc' instead of the relative path.
 */
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { leakGuard } from '../src/index.js'
import { checkCard } from './card-check.js'
import { checkCardBuggy } from './card-check-buggy.js'
import type { PaymentEvent, PaymentResult } from './payments.js'

/** The set-up: outermost in the stack, so it sees the event first and the response last. */
const guard = () => leakGuard<PaymentEvent, PaymentResult>()

/** The card check done right: leakGuard stays quiet. */
export const handler = middy<PaymentEvent, PaymentResult, Error, Context>(checkCard).use(guard())

/** The module-level card of card-check-buggy.ts: leakGuard reports it (masked). */
export const buggyHandler = middy<PaymentEvent, PaymentResult, Error, Context>(checkCardBuggy).use(
  guard(),
)
