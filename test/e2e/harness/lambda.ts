/**
 * Runs a handler the way AWS Lambda does: bundled with esbuild (as CDK's
 * NodejsFunction or SAM would), loaded by the real AWS Lambda Runtime Interface
 * Client (`aws-lambda-ric`, the code of the managed Node.js runtime) in a Node
 * 22+ child process, and fed events through a local Runtime API.
 *
 * The runtime client talks to the Runtime API with its default native client
 * (`rapid-client.node`, libcurl), which is what Lambda itself uses.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { build } from 'esbuild'
import { childBuildOptions, childCoverageEnv, keepBundle } from '../../helpers/child-coverage.js'
import { REPO_ROOT, runtimeNode } from './node-binary.js'
import { type InitErrorReport, type InvocationOutcome, RuntimeApi } from './runtime-api.js'
import { RUNTIME_CLIENT_HELP, runtimeClientStatus } from './runtime-client.mjs'

export interface LambdaOptions {
  /** A handler source file (bundled with esbuild) or a ready task-root folder. */
  handler: string
  /** The exported function; default `handler`. */
  exportName?: string
  /** Module file name (without extension) inside a task-root folder; default `index`. */
  moduleName?: string
  /** Extra environment variables (the function's configuration). */
  env?: Record<string, string>
  /** Sets `AWS_LAMBDA_MAX_CONCURRENCY` (multi-concurrent mode) to this value. */
  maxConcurrency?: number
  /** Worker threads in multi-concurrent mode (`AWS_LAMBDA_NODEJS_WORKER_COUNT`); default 1. */
  workerCount?: number
  /** Function timeout: the deadline given with each invocation; default 30 s. */
  timeoutMs?: number
  /** Bundle format; default `esm` (an `.mjs` file, as CDK's `OutputFormat.ESM`). */
  format?: 'esm' | 'cjs'
  /**
   * `bundle` (default): dependencies bundled in, nothing external. `external`: packages
   * stay files loaded from the repository's `node_modules` (the handler's own code is
   * still bundled; its task root is made under `.tmp/` so that they resolve).
   */
  packages?: 'bundle' | 'external'
  /** `AWS_LAMBDA_LOG_FORMAT`; default `text`. Multi-concurrent mode always logs JSON. */
  logFormat?: 'text' | 'json'
  /** Default `orc-e2e`. */
  functionName?: string
  /** Default 128. */
  memoryMb?: number
  /** How long to wait for the runtime to initialise; default 15 s. */
  initTimeoutMs?: number
}

/** One line the function wrote, attributed to its invocation where possible. */
export interface LogRecord {
  stream: 'stdout' | 'stderr'
  /** The line as written (the runtime turns newlines inside a message into `\r`). */
  raw: string
  requestId?: string
  level?: string
  /** The message part, newlines restored. */
  message: string
}

export interface InvokeResult<TResponse = unknown> {
  requestId: string
  /** The parsed response payload, when the handler succeeded. */
  response?: TResponse
  /** The error the runtime reported, when the handler failed. */
  error?: { errorType: string; errorMessage: string; trace?: string[] }
  /** Messages logged during this invocation (attributed by request id). */
  logs: string[]
  logRecords: LogRecord[]
  /** Milliseconds from handing the event to the runtime to its answer. */
  durationMs: number
}

export interface InvokeOptions {
  /** Harness-side timeout and the invocation's deadline; default the function timeout. */
  timeoutMs?: number
  requestId?: string
  traceId?: string
  clientContext?: unknown
  cognitoIdentity?: unknown
}

export interface RunningLambda {
  /** The function ARN sent with each invocation. */
  readonly functionArn: string
  /** The version of the Node binary running the runtime, e.g. `24.21.0`. */
  readonly nodeVersion: string
  /** Set when the runtime failed to initialise (then every invoke rejects). */
  readonly initError: InitErrorReport | undefined
  invoke<TResponse = unknown>(
    event: unknown,
    options?: InvokeOptions,
  ): Promise<InvokeResult<TResponse>>
  /** Invokes all events at once (they overlap in multi-concurrent mode). */
  invokeMany<TResponse = unknown>(
    events: readonly unknown[],
    options?: Omit<InvokeOptions, 'requestId'>,
  ): Promise<InvokeResult<TResponse>[]>
  /** Every log line so far, in order. */
  logs(): LogRecord[]
  /** Stops the runtime process and the Runtime API; removes the task root. */
  stop(): Promise<void>
}

/** Why the runtime client cannot run here (see `runtime-client.mjs`), or undefined when it can. */
export const RUNTIME_CLIENT_MISSING: string | undefined = runtimeClientStatus().missing

/** The runtime client's entry module; a clear error (no stack) when it is missing. */
const runtimeClientEntry = (): string => {
  const { entry, missing } = runtimeClientStatus()
  if (entry !== undefined) return entry
  const error = new Error(`${missing}\n${RUNTIME_CLIENT_HELP}`)
  error.stack = error.message
  throw error
}

/** Live runtimes and their task roots, killed and removed on exit if never stopped. */
const live = new Set<ChildProcess>()
const liveDirs = new Set<string>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true })
})

const bundleHandler = async (
  entry: string,
  format: 'esm' | 'cjs',
  taskRoot: string,
  packages: 'bundle' | 'external',
) => {
  const outfile = join(taskRoot, format === 'esm' ? 'index.mjs' : 'index.js')
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    ...(packages === 'external' ? { packages: 'external' as const } : {}),
    platform: 'node',
    target: 'node22',
    format,
    minify: false,
    sourcemap: false,
    ...childBuildOptions,
    logLevel: 'silent',
    // What CDK's NodejsFunction adds to ESM bundles, so CommonJS dependencies
    // that call require() for Node built-ins keep working.
    ...(format === 'esm'
      ? {
          banner: {
            js: "import { createRequire as __orcCreateRequire } from 'node:module'; const require = __orcCreateRequire(import.meta.url);",
          },
        }
      : {}),
  })
  keepBundle(outfile)
  return 'index'
}

const TEXT_LINE = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)\t([^\t]+)\t([A-Z]+)\t(.*)$/s

/** Parses one line of the runtime's console output (text or JSON format). */
export const parseLogLine = (raw: string, stream: 'stdout' | 'stderr'): LogRecord => {
  if (raw.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(raw)
      // The runtime's own JSON lines carry `requestId`; Powertools Logger's carry
      // `function_request_id` (once its middleware has seen the context).
      if (
        parsed &&
        typeof parsed === 'object' &&
        ('requestId' in parsed || 'function_request_id' in parsed)
      ) {
        const record = parsed as {
          requestId?: unknown
          function_request_id?: unknown
          level?: unknown
          message?: unknown
        }
        const requestId = record.requestId ?? record.function_request_id
        return {
          stream,
          raw,
          ...(typeof requestId === 'string' && requestId !== '-' ? { requestId } : {}),
          ...(typeof record.level === 'string' ? { level: record.level } : {}),
          message:
            typeof record.message === 'string' ? record.message : JSON.stringify(record.message),
        }
      }
    } catch {
      // Not JSON after all: an unattributed line.
    }
  }
  const text = TEXT_LINE.exec(raw)
  if (text) {
    const requestId = text[2]!
    return {
      stream,
      raw,
      ...(requestId !== '-' && requestId !== 'undefined' ? { requestId } : {}),
      level: text[3]!,
      message: text[4]!.replaceAll('\r', '\n'),
    }
  }
  return { stream, raw, message: raw.replaceAll('\r', '\n') }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Starts a function: bundles the handler, starts the Runtime API and the
 * runtime client, and resolves once the runtime polls for its first event (or
 * reports an init error).
 */
export const startLambda = async (options: LambdaOptions): Promise<RunningLambda> => {
  const {
    exportName = 'handler',
    maxConcurrency,
    workerCount = 1,
    timeoutMs = 30_000,
    format = 'esm',
    logFormat = 'text',
    functionName = 'orc-e2e',
    memoryMb = 128,
    initTimeoutMs = 15_000,
  } = options
  const ricEntry = runtimeClientEntry()
  const node = runtimeNode()
  const multi = maxConcurrency !== undefined
  const source = resolve(REPO_ROOT, options.handler)
  const isDir = statSync(source).isDirectory()
  const packages = options.packages ?? 'bundle'
  let tempParent = tmpdir()
  if (packages === 'external') {
    tempParent = join(REPO_ROOT, '.tmp')
    mkdirSync(tempParent, { recursive: true })
  }
  const tempRoot = isDir ? undefined : mkdtempSync(join(tempParent, 'orc-e2e-'))
  if (tempRoot) liveDirs.add(tempRoot)
  const taskRoot = tempRoot ?? source
  let moduleName = options.moduleName ?? 'index'
  try {
    if (tempRoot) moduleName = await bundleHandler(source, format, tempRoot, packages)
  } catch (error) {
    if (tempRoot) {
      rmSync(tempRoot, { recursive: true, force: true })
      liveDirs.delete(tempRoot)
    }
    throw error
  }

  const api = await RuntimeApi.start({ maxInFlight: multi ? maxConcurrency : 1 })
  const region = 'us-east-1'
  const functionArn = `arn:aws:lambda:${region}:123456789012:function:${functionName}`
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/')
  const env: Record<string, string> = {
    // As on Lambda, where /var/lang/bin (holding node) comes first.
    PATH: `${dirname(node.path)}:/usr/local/bin:/usr/bin:/bin`,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    LAMBDA_TASK_ROOT: taskRoot,
    LAMBDA_RUNTIME_DIR: dirname(ricEntry),
    _HANDLER: `${moduleName}.${exportName}`,
    AWS_LAMBDA_RUNTIME_API: api.address,
    AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${node.major}.x`,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_FORMAT: logFormat === 'json' ? 'JSON' : 'Text',
    ...(multi
      ? {
          AWS_LAMBDA_MAX_CONCURRENCY: String(maxConcurrency),
          AWS_LAMBDA_NODEJS_WORKER_COUNT: String(workerCount),
        }
      : {}),
    ...options.env,
    ...childCoverageEnv({ stoppedBySignal: true }),
  }

  const child = spawn(node.path, [ricEntry], {
    cwd: taskRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  const records: LogRecord[] = []
  let lastOutputAt = performance.now()
  for (const stream of ['stdout', 'stderr'] as const) {
    // Split on \n only: the runtime writes a multi-line message as one line
    // with \r in place of its newlines (readline would split those too).
    let partial = ''
    child[stream].setEncoding('utf8')
    child[stream].on('data', (chunk: string) => {
      lastOutputAt = performance.now()
      const lines = (partial + chunk).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) records.push(parseLogLine(line, stream))
    })
    child[stream].on('end', () => {
      if (partial !== '') records.push(parseLogLine(partial, stream))
      partial = ''
    })
  }
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined
  const exited = new Promise<void>((resolveExit) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal }
      live.delete(child)
      api.failAll(new Error(`runtime exited (${describeExit(code, signal)})${tail(records)}`))
      resolveExit()
    })
  })
  child.once('error', (error) => {
    api.failAll(error)
  })

  const stop = async () => {
    if (!exit) {
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 2_000)
      await exited
      clearTimeout(killer)
    }
    await api.close()
    if (tempRoot) {
      rmSync(tempRoot, { recursive: true, force: true })
      liveDirs.delete(tempRoot)
    }
  }

  // Ready: every worker is polling for an event, or init failed, or it died.
  const pollers = multi ? workerCount : 1
  let initTimer: NodeJS.Timeout | undefined
  const ready = await Promise.race([
    api.waitFor(() => api.waitingPolls >= pollers).then(() => 'ready' as const),
    api.waitFor(() => api.initError !== undefined).then(() => 'init-error' as const),
    exited.then(() => 'exited' as const),
    new Promise<'timeout'>((resolveTimeout) => {
      initTimer = setTimeout(() => resolveTimeout('timeout'), initTimeoutMs)
    }),
  ])
  clearTimeout(initTimer)
  if (ready === 'exited' || ready === 'timeout') {
    const initError = api.initError
    if (!initError) {
      await stop()
      throw new Error(
        ready === 'timeout'
          ? `runtime did not poll for an event within ${initTimeoutMs} ms${tail(records)}`
          : `runtime exited during init (${describeExit(exit?.code ?? null, exit?.signal ?? null)})${tail(records)}`,
      )
    }
  }

  /** Waits until the log pipes have been quiet briefly, so late lines are counted. */
  const settleLogs = async () => {
    await delay(10)
    while (performance.now() - lastOutputAt < 10) await delay(5)
  }

  const invoke = async <TResponse>(
    event: unknown,
    invokeOptions: InvokeOptions = {},
  ): Promise<InvokeResult<TResponse>> => {
    if (api.initError) {
      throw new Error(`runtime failed to initialise: ${api.initError.body}`)
    }
    const limit = invokeOptions.timeoutMs ?? timeoutMs
    const { requestId, outcome } = api.invoke({
      payload: JSON.stringify(event ?? null),
      deadlineMs: Date.now() + limit,
      functionArn,
      ...(invokeOptions.requestId !== undefined ? { requestId: invokeOptions.requestId } : {}),
      traceId:
        invokeOptions.traceId ??
        `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')};Sampled=0`,
      ...(invokeOptions.clientContext !== undefined
        ? { clientContext: invokeOptions.clientContext }
        : {}),
      ...(invokeOptions.cognitoIdentity !== undefined
        ? { cognitoIdentity: invokeOptions.cognitoIdentity }
        : {}),
    })
    // The harness waits a little longer than the deadline: the runtime itself
    // does not enforce it. On Lambda the sandbox would be reset; here the runtime
    // is left busy (its late answer is refused), so stop() it after a timeout.
    const timer = setTimeout(
      () =>
        api.abandon(requestId, new Error(`invocation ${requestId} timed out after ${limit} ms`)),
      limit + 1_000,
    )
    let answer: InvocationOutcome
    try {
      answer = await outcome
    } finally {
      clearTimeout(timer)
    }
    await settleLogs()
    const mine = records.filter((record) => record.requestId === requestId)
    const result: InvokeResult<TResponse> = {
      requestId,
      logs: mine.map((record) => record.message),
      logRecords: mine,
      durationMs: answer.durationMs,
    }
    if (answer.kind === 'response') {
      result.response = (answer.body === '' ? undefined : JSON.parse(answer.body)) as TResponse
    } else {
      const parsed = JSON.parse(answer.body) as {
        errorType?: string
        errorMessage?: string
        trace?: string[]
      }
      result.error = {
        errorType: parsed.errorType ?? answer.errorType ?? 'unknown',
        errorMessage: parsed.errorMessage ?? '',
        ...(parsed.trace ? { trace: parsed.trace } : {}),
      }
    }
    return result
  }

  return {
    functionArn,
    nodeVersion: node.version,
    get initError() {
      return api.initError
    },
    invoke,
    invokeMany: <TResponse>(
      events: readonly unknown[],
      invokeOptions?: Omit<InvokeOptions, 'requestId'>,
    ) => Promise.all(events.map((event) => invoke<TResponse>(event, invokeOptions))),
    logs: () => [...records],
    stop,
  }
}

const describeExit = (code: number | null, signal: NodeJS.Signals | null) =>
  signal ? `signal ${signal}` : `exit code ${code}`

const tail = (records: readonly LogRecord[]) => {
  const last = records.slice(-15).map((record) => `  ${record.raw}`)
  return last.length > 0 ? `; last output:\n${last.join('\n')}` : ''
}
