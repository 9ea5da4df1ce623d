/** Types of bench/lib/fleet.mjs, for the tests. */
export interface InvokeResult {
  ok: boolean
  result?: { id: string; version: string | null; pid: number }
  error?: string
  /** Milliseconds from the command's arrival to this invocation's end. */
  ms: number
}

export type FleetCommand =
  | { type: 'invoke'; id: string; n: number; work?: number; budget?: number }
  | { type: 'delete'; id: string }
  | { type: 'invalidateTags'; tags: string[] }
  | { type: 'clear' }
  | { type: 'stats' }

export interface FleetReply {
  results?: InvokeResult[]
  deleted?: boolean
  stats?: Record<string, number>
  /** The redisStore's counters (operations, failures, timeouts, …). */
  store?: Record<string, number>
  warnings?: string[]
  /** Set when the process ended before replying. */
  exited?: number | string
}

export interface FleetEnvironment {
  readonly pid: number
  send(command: FleetCommand): Promise<FleetReply>
  kill(): void
  stop(): Promise<void>
}

export declare const startFleet: (
  count: number,
  env?: Record<string, string>,
) => Promise<FleetEnvironment[]>
