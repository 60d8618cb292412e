// The loop every observatory poller runs: one poll per due target (a country for OONI, an entity for
// IODA), its outcome and health recorded in observatory_pollers, the next poll an interval after a
// success and an exponential back-off after failures (longer when the server sent Retry-After).
// runOnce() for tests, start()/stop() for the process; stop() aborts requests in flight and waits.

import type { WorkerLoop } from '@vigil/model'
import { getPoller, type PollerRecord, recordPoll, type Sql } from '@vigil/store'
import { PollHttpError } from './http.js'

export interface PollContext {
  now: Date
  /** The stored state of this target, undefined before its first poll. */
  state: PollerRecord | undefined
  signal: AbortSignal
}

export interface PollTarget<R> {
  /** `ooni:KZ`, `ioda:country/KZ`. */
  name: string
  kind: 'ooni' | 'ioda'
  /** The API the target polls, shown in its health line. */
  url: string
  /** Polls once; returns what was new, the cursor to keep, and a result for the caller. */
  poll(context: PollContext): Promise<{ newRecords: number; cursor: Record<string, unknown>; result: R }>
}

export type PollReport<R> =
  | { name: string; status: 'ok'; result: R }
  | { name: string; status: 'failed'; error: string; retryInMs: number }
  | { name: string; status: 'not_due'; nextPollAt: Date }

export interface PollLoopSettings {
  /** Milliseconds between polls of one target after a success. */
  interval: number
  /** Longest back-off after failures, in milliseconds. */
  maxBackoff: number
}

export interface PollLoop<R> extends WorkerLoop<PollReport<R>[]> {
  /** Polls every target that is due; a target's failure never stops the others. */
  runOnce(): Promise<PollReport<R>[]>
  start(): void
  /** Stops the loop, aborts requests in flight and waits for the round to end. */
  stop(): Promise<void>
}

// The first retry after a failure; doubled per failure in a row up to maxBackoff.
const FIRST_BACKOFF_MS = 30_000

/** Back-off after `failures` failures in a row: 30 s, 1 min, 2 min... capped; never less than Retry-After. */
export function backoffMs(failures: number, maxBackoff: number, retryAfter: number | null): number {
  const exponential = Math.min(maxBackoff, FIRST_BACKOFF_MS * 2 ** Math.max(0, failures - 1))
  return Math.max(exponential, Math.min(retryAfter ?? 0, 24 * 3_600_000))
}

/**
 * The loop over `targets`: a target is polled when it has no stored state or its stored next poll time
 * has come; outcomes and health go to observatory_pollers (recordPoll). The process loop sleeps until the
 * earliest next poll (at least 1 s, at most `interval`), cancellably.
 */
export function createPollLoop<R>(deps: {
  sql: Sql
  targets: readonly PollTarget<R>[]
  settings: PollLoopSettings
  now?: () => Date
  log?: (event: { poller: string; newRecords?: number; error?: string; retryInMs?: number }) => void
}): PollLoop<R> {
  const now = deps.now ?? (() => new Date())
  let stopped = true
  let running: Promise<unknown> | undefined
  let wake: (() => void) | undefined
  let timer: NodeJS.Timeout | undefined
  let abort = new AbortController()

  const pollTarget = async (target: PollTarget<R>): Promise<PollReport<R>> => {
    const polledAt = now()
    const state = await getPoller(deps.sql, target.name)
    if (state?.nextPollAt && state.nextPollAt > polledAt) {
      return { name: target.name, status: 'not_due', nextPollAt: state.nextPollAt }
    }
    try {
      const { newRecords, cursor, result } = await target.poll({ now: polledAt, state, signal: abort.signal })
      await recordPoll(deps.sql, {
        name: target.name,
        kind: target.kind,
        url: target.url,
        polledAt,
        error: null,
        nextPollAt: new Date(polledAt.getTime() + deps.settings.interval),
        newRecords,
        cursor,
      })
      deps.log?.({ poller: target.name, newRecords })
      return { name: target.name, status: 'ok', result }
    } catch (error) {
      // Stopped mid-poll: the API did nothing wrong, so its health and back-off stay as they were.
      if (abort.signal.aborted) return { name: target.name, status: 'failed', error: 'stopped', retryInMs: 0 }
      const failures = (state?.consecutiveFailures ?? 0) + 1
      const retryAfter = error instanceof PollHttpError ? error.retryAfterMs : null
      const retryInMs = backoffMs(failures, deps.settings.maxBackoff, retryAfter)
      const message = (error instanceof Error ? error.message : String(error)).slice(0, 500)
      await recordPoll(deps.sql, {
        name: target.name,
        kind: target.kind,
        url: target.url,
        polledAt,
        error: message,
        nextPollAt: new Date(polledAt.getTime() + retryInMs),
        newRecords: 0,
        cursor: state?.cursor ?? {},
      })
      deps.log?.({ poller: target.name, error: message, retryInMs })
      return { name: target.name, status: 'failed', error: message, retryInMs }
    }
  }

  const runOnce = async (): Promise<PollReport<R>[]> => {
    const reports: PollReport<R>[] = []
    for (const target of deps.targets) reports.push(await pollTarget(target))
    return reports
  }

  /** Milliseconds until the earliest next poll, between 1 s and the interval. */
  const untilNext = (reports: PollReport<R>[]): number => {
    const at = now().getTime()
    const waits = reports.map((report) =>
      report.status === 'ok'
        ? deps.settings.interval
        : report.status === 'failed'
          ? report.retryInMs
          : report.nextPollAt.getTime() - at,
    )
    return Math.max(1_000, Math.min(deps.settings.interval, ...waits))
  }

  const loop = async () => {
    while (!stopped) {
      let reports: PollReport<R>[] = []
      try {
        reports = await runOnce()
      } catch (error) {
        // The store itself failed; try again after the first back-off step.
        deps.log?.({ poller: 'all', error: (error as Error).message, retryInMs: FIRST_BACKOFF_MS })
      }
      if (stopped) break
      const wait = reports.length > 0 ? untilNext(reports) : FIRST_BACKOFF_MS
      await new Promise<void>((resolve) => {
        wake = resolve
        timer = setTimeout(resolve, wait)
      })
    }
  }

  return {
    runOnce,
    start() {
      if (!stopped) return
      stopped = false
      abort = new AbortController()
      running = loop()
    },
    async stop() {
      stopped = true
      abort.abort()
      if (timer) clearTimeout(timer)
      wake?.()
      await running
      running = undefined
    },
  }
}
