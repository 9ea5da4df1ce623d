/**
 * A handler that proves invocations overlap: each one arrives at a latch for
 * its group and waits until `expected` invocations of that group have arrived
 * (or `timeoutMs` passes). Only overlapping invocations can all be released.
 */
import type { Context } from 'aws-lambda'

interface LatchEvent {
  group: string
  expected: number
  timeoutMs: number
  marker?: string
}

interface Latch {
  arrived: number
  release: () => void
  released: Promise<void>
}

const latches = new Map<string, Latch>()
let inFlight = 0
let peakInFlight = 0

const latchFor = (group: string): Latch => {
  let latch = latches.get(group)
  if (!latch) {
    let release = () => {}
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    latch = { arrived: 0, release, released }
    latches.set(group, latch)
  }
  return latch
}

export const handler = async (event: LatchEvent, context: Context) => {
  inFlight++
  peakInFlight = Math.max(peakInFlight, inFlight)
  try {
    if (event.marker) console.log(`marker ${event.marker} ${context.awsRequestId}`)
    const latch = latchFor(event.group)
    latch.arrived++
    if (latch.arrived >= event.expected) latch.release()
    let timer: NodeJS.Timeout | undefined
    const outcome = await Promise.race([
      latch.released.then(() => 'released' as const),
      new Promise<'timed-out'>((resolve) => {
        timer = setTimeout(() => resolve('timed-out'), event.timeoutMs)
      }),
    ])
    clearTimeout(timer)
    if (event.marker) console.log(`done ${event.marker}`)
    return { outcome, arrived: latch.arrived, peakInFlight }
  } finally {
    inFlight--
  }
}
