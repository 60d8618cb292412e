// The agent's upload loop: sends the spool's oldest records to the api in gzip batches, in order, and
// acknowledges them in the spool only once the api confirmed them; backs off while the api is unreachable
// and honours Retry-After. A second loop sends a heartbeat with the agent's clock and backlog.
// `runOnce()`/`heartbeat()` for tests, `start()`/`stop()` for the process.
import { setTimeout as sleep } from 'node:timers/promises'
import { gzipSync } from 'node:zlib'
import type { HeartbeatBody, IngestBatch, IngestResponse, VantageClaim, WorkerLoop } from '@vigil/model'
import type { Spool } from '@vigil/spool'
import type { Logger } from 'pino'
import { Agent, type Dispatcher, interceptors, request } from 'undici'
import type { SpooledRecord } from './run-agent.js'

export interface UploaderDeps {
  spool: Spool<SpooledRecord>
  /** The api's base URL, e.g. https://vigil.example.org */
  apiUrl: string
  token: string
  batchSize: number
  uploadIntervalMs: number
  heartbeatIntervalMs: number
  maxBackoffMs: number
  version: string
  /**
   * What this agent's config says its vantage is; sent with each heartbeat so the api can refuse (409) an
   * agent whose config contradicts the registry, instead of its measurements counting for the wrong place.
   */
  vantage?: VantageClaim
  logger?: Logger
  now?: () => Date
  /** One request may take this long before it counts as a network failure. */
  requestTimeoutMs?: number
}

export type UploadOutcome =
  | { kind: 'idle' }
  | { kind: 'sent'; measurements: number }
  | { kind: 'failed'; measurements: number; reason: 'network' | 'server' | 'rejected' }
  | { kind: 'rate_limited'; measurements: number; retryAfterMs: number }

export interface Uploader extends WorkerLoop<UploadOutcome> {
  /** Uploads every pending record now, batch by batch, until the spool is empty or a batch fails. */
  runOnce(): Promise<UploadOutcome>
  /** Sends one heartbeat; true when the api took it. */
  heartbeat(): Promise<boolean>
  start(): void
  /** Stops both loops and waits for them; a request in flight is abandoned (its batch is resent later). */
  stop(): Promise<void>
}

const FIRST_BACKOFF_MS = 1_000
// As many as fetch follows (Fetch Standard, "HTTP-redirect fetch": more than 20 is a network error).
const MAX_REDIRECTIONS = 20
// Without a usable Retry-After, wait as long as a rate-limit window.
const DEFAULT_RETRY_AFTER_MS = 60_000

/** The request body for spooled records, each kind in spool order; a record without `type` is a measurement. */
export function toIngestBatch(records: readonly SpooledRecord[], sentAt: Date): IngestBatch {
  const batch: Required<IngestBatch> = { sentAt: sentAt.toISOString(), measurements: [], tlsObservations: [] }
  for (const record of records) {
    if ('type' in record && record.type === 'tls_observation') {
      const { type: _type, ...observation } = record
      batch.tlsObservations.push(observation)
    } else {
      const { type: _type, ...measurement } = record as SpooledRecord & { type?: string }
      batch.measurements.push(measurement as IngestBatch['measurements'][number])
    }
  }
  // Left out when empty, so a measurement-only batch reads as it did before TLS observations were sent.
  return batch.tlsObservations.length > 0 ? batch : { sentAt: batch.sentAt, measurements: batch.measurements }
}

/** How long to wait before the next upload attempt. */
export function nextUploadDelay(
  outcome: UploadOutcome,
  consecutiveFailures: number,
  settings: { uploadIntervalMs: number; maxBackoffMs: number },
): number {
  switch (outcome.kind) {
    case 'idle':
    case 'sent':
      return settings.uploadIntervalMs
    case 'rate_limited':
      return outcome.retryAfterMs
    case 'failed':
      return Math.min(settings.maxBackoffMs, FIRST_BACKOFF_MS * 2 ** Math.max(0, consecutiveFailures - 1))
  }
}

/** A 2xx status, what fetch calls `ok`. */
function isSuccess(status: number): boolean {
  return status >= 200 && status < 300
}

/** A response header as fetch's `headers.get()` gives it: repeated fields joined with ", ", else null. */
function headerValue(headers: Dispatcher.ResponseData['headers'], name: string): string | null {
  const value = headers[name]
  if (value === undefined) return null
  return Array.isArray(value) ? value.join(', ') : value
}

/** Retry-After as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now: Date): number | undefined {
  if (header === null) return undefined
  const trimmed = header.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const at = Date.parse(trimmed)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime())
}

export function createUploader(deps: UploaderDeps): Uploader {
  const now = deps.now ?? (() => new Date())
  const base = deps.apiUrl.replace(/\/+$/, '')
  const timeoutMs = deps.requestTimeoutMs ?? 60_000
  const lifetime = new AbortController()
  let batchSize = deps.batchSize
  let loops: Promise<void> | undefined

  // The HTTP client the probes already load (undici), not the global fetch: fetch is Node's own copy of
  // undici and loading it as well cost the agent about 7 MiB of resident memory. Redirects are followed
  // as fetch follows them.
  const dispatcher = new Agent().compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTIONS }))

  const post = (path: string, body: unknown, gzip: boolean): Promise<Dispatcher.ResponseData> => {
    const json = Buffer.from(JSON.stringify(body))
    return request(`${base}${path}`, {
      dispatcher,
      method: 'POST',
      headers: {
        authorization: `Bearer ${deps.token}`,
        'content-type': 'application/json',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      },
      body: gzip ? gzipSync(json) : json,
      signal: AbortSignal.any([lifetime.signal, AbortSignal.timeout(timeoutMs)]),
    })
  }

  const runOnce = async (): Promise<UploadOutcome> => {
    let sent = 0
    for (;;) {
      const entries = deps.spool.read(batchSize)
      if (entries.length === 0) return sent === 0 ? { kind: 'idle' } : { kind: 'sent', measurements: sent }
      const batch = toIngestBatch(
        entries.map((e) => e.record),
        now(),
      )
      let response: Dispatcher.ResponseData
      try {
        response = await post('/v1/ingest', batch, true)
      } catch (error) {
        deps.logger?.warn(
          { err: error, pending: deps.spool.stats().backlog },
          'api unreachable; keeping the spool',
        )
        return { kind: 'failed', measurements: sent, reason: 'network' }
      }
      if (isSuccess(response.statusCode)) {
        const result = (await response.body.json()) as IngestResponse
        deps.spool.ack(entries[entries.length - 1]!.seq)
        sent += entries.length
        deps.logger?.debug({ ...result, backlog: deps.spool.stats().backlog }, 'batch uploaded')
        continue
      }
      const text = await response.body.text()
      if (response.statusCode === 429) {
        const retryAfterMs =
          parseRetryAfter(headerValue(response.headers, 'retry-after'), now()) ?? DEFAULT_RETRY_AFTER_MS
        deps.logger?.warn({ retryAfterMs }, 'the api limits this agent’s uploads; waiting as it asks')
        return { kind: 'rate_limited', measurements: sent, retryAfterMs }
      }
      if (response.statusCode === 413 && batchSize > 1) {
        // Records vary in size; smaller batches get under the api's body limit.
        batchSize = Math.max(1, Math.floor(batchSize / 2))
        deps.logger?.warn({ batchSize }, 'the api found the batch too large; sending smaller batches')
        continue
      }
      const reason = response.statusCode >= 500 ? 'server' : 'rejected'
      deps.logger?.[reason === 'server' ? 'warn' : 'error'](
        { status: response.statusCode, body: text.slice(0, 500) },
        reason === 'server'
          ? 'the api failed; keeping the spool'
          : 'the api rejected a batch; keeping the spool',
      )
      return { kind: 'failed', measurements: sent, reason }
    }
  }

  const heartbeat = async (): Promise<boolean> => {
    const body: HeartbeatBody = {
      agentTime: now().toISOString(),
      spoolBacklog: deps.spool.stats().backlog,
      version: deps.version,
      ...(deps.vantage ? { vantage: deps.vantage } : {}),
    }
    try {
      const response = await post('/v1/heartbeat', body, false)
      if (response.statusCode === 409) {
        // The registry and this agent's config disagree about where it measures: say which field.
        const answer = (await response.body.json().catch(() => ({}))) as { message?: string }
        deps.logger?.error(
          { status: 409, reason: answer.message },
          'the api refused the heartbeat: this agent contradicts its registered vantage',
        )
        return false
      }
      await response.body.dump()
      const ok = isSuccess(response.statusCode)
      if (!ok) deps.logger?.warn({ status: response.statusCode }, 'heartbeat refused')
      return ok
    } catch (error) {
      deps.logger?.debug({ err: error }, 'heartbeat not delivered')
      return false
    }
  }

  const pause = async (ms: number): Promise<void> => {
    try {
      await sleep(ms, undefined, { signal: lifetime.signal })
    } catch {
      // Aborted by stop().
    }
  }

  const uploadLoop = async () => {
    let failures = 0
    while (!lifetime.signal.aborted) {
      let outcome: UploadOutcome
      try {
        outcome = await runOnce()
      } catch (error) {
        // An unreadable answer or a spool that cannot record the acknowledgement: the batch stays and is resent.
        deps.logger?.error({ err: error }, 'upload failed; keeping the spool')
        outcome = { kind: 'failed', measurements: 0, reason: 'server' }
      }
      failures = outcome.kind === 'failed' ? failures + 1 : 0
      await pause(nextUploadDelay(outcome, failures, deps))
    }
  }

  const heartbeatLoop = async () => {
    while (!lifetime.signal.aborted) {
      await heartbeat()
      await pause(deps.heartbeatIntervalMs)
    }
  }

  return {
    runOnce,
    heartbeat,
    start() {
      loops ??= Promise.all([uploadLoop(), heartbeatLoop()]).then(() => {})
    },
    async stop() {
      lifetime.abort()
      await loops
      await dispatcher.close()
    },
  }
}
