/**
 * `describe` for tests that run handlers under the real runtime client, or
 * `describe.skip` when the client is missing here: the global setup then says
 * once what is missing and how to get it, and fails the run when
 * `ORC_REQUIRE_RUNTIME_CLIENT=1` (as CI sets it), so a skip is never silent and
 * never passes CI.
 */
import { describe } from 'vitest'
import { RUNTIME_CLIENT_MISSING } from './lambda.js'

export const describeWithRuntime = describe.skipIf(RUNTIME_CLIENT_MISSING !== undefined)
