// The runner: the map of probe kinds, `runProbe` which owns the timeout and never throws, and `runRound`
// which probes many targets with bounded concurrency and jitter. The prober service schedules rounds and
// stores what `onResult` receives; everything about running a probe lives here.

import { setMaxListeners } from 'node:events'
import { VigilError } from '@vigil/errors'
import { storableJson } from '@vigil/outside-text'
import { blankDnsDetails, probeDns } from './dns.js'
import { type FailureString, failureFromError, ProbeTimeoutError } from './failures.js'
import { blankHttpDetails, probeHttp } from './http.js'
import { type Clock, settle, startClock } from './result.js'
import { blankTcpDetails, probeTcp } from './tcp.js'
import { blankTlsDetails, probeTls } from './tls.js'
import type {
  CaList,
  Probe,
  ProbeContext,
  ProbeKind,
  ProbeResult,
  ProbeTarget,
  ResultOf,
  TargetOf,
} from './types.js'

/** Every probe kind and its probe, as blackbox_exporter's map of probers. */
export const probes: { [K in ProbeKind]: Probe<TargetOf<K>> } = {
  dns: probeDns,
  tcp: probeTcp,
  tls: probeTls,
  http: probeHttp,
  https: probeHttp,
}

export const DEFAULT_USER_AGENT = 'vigil-probe/0.1'

// After its signal aborts, a probe gets this long to return its own result with the details gathered so
// far (the connect time of a request whose body never came, say) before the runner answers for it.
const ABORT_GRACE_MS = 50

export interface RunOptions {
  timeoutMs: number
  /** Aborting it interrupts the probe (results say `interrupted`); used on shutdown. */
  signal?: AbortSignal
  ca?: CaList
  userAgent?: string
  /** DNS server (`host:port`) connections resolve names through instead of the system resolver. */
  resolver?: string
}

/**
 * Runs one probe under a deadline. Never throws and never outlives its timeout by more than a few tens of
 * milliseconds, even when the probe ignores its signal.
 */
export async function runProbe<T extends ProbeTarget>(target: T, options: RunOptions): Promise<ResultOf<T>> {
  const clock = startClock()
  const timeoutMs = target.timeoutMs ?? options.timeoutMs
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(new ProbeTimeoutError(timeoutMs)), timeoutMs)
  const external = options.signal
  const forward = () => controller.abort(external?.reason)
  if (external?.aborted) forward()
  else external?.addEventListener('abort', forward, { once: true })
  let grace: ReturnType<typeof setTimeout> | undefined
  const ctx: ProbeContext = {
    signal: controller.signal,
    timeoutMs,
    userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.resolver === undefined ? {} : { resolver: options.resolver }),
  }
  try {
    const probe = probes[target.kind] as Probe<ProbeTarget> | undefined
    if (probe === undefined) return fallback(target, clock, 'unknown_failure: unknown_probe_kind')
    const running = Promise.resolve()
      .then(() => probe(target, ctx) as Promise<ResultOf<T>>)
      .catch((error: unknown) => fallback(target, clock, failureFromError(error, controller.signal)))
    const cutOff = new Promise<ResultOf<T>>((resolve) => {
      const giveUp = () => {
        grace = setTimeout(
          () => resolve(fallback(target, clock, failureFromError(null, controller.signal))),
          ABORT_GRACE_MS,
        )
      }
      if (controller.signal.aborted) giveUp()
      else controller.signal.addEventListener('abort', giveUp, { once: true })
    })
    const result = await Promise.race([running, cutOff])
    // The boundary where probed text enters Vigil: page titles, headers, DNS answers and certificate
    // names come from whoever answered, so they are made storable here (NUL, lone surrogates, lengths).
    return { ...result, details: storableJson(result.details) }
  } finally {
    clearTimeout(timer)
    clearTimeout(grace)
    external?.removeEventListener('abort', forward)
  }
}

/** The result the runner gives when the probe could not give its own. */
function fallback<T extends ProbeTarget>(target: T, clock: Clock, failure: FailureString): ResultOf<T> {
  return settle(target, clock, blankDetails(target), failure) as ResultOf<T>
}

function blankDetails(target: ProbeTarget): ProbeResult['details'] {
  switch (target.kind) {
    case 'dns':
      return blankDnsDetails(target)
    case 'tcp':
      return blankTcpDetails()
    case 'tls':
      return blankTlsDetails(target)
    case 'http':
    case 'https':
      return blankHttpDetails(target)
    default:
      return blankTcpDetails()
  }
}

export interface RoundOptions extends RunOptions {
  /** Probes in flight at most. */
  concurrency: number
  /** Each target starts after a random delay in [0, jitterMs), spreading the load over the round. */
  jitterMs?: number
}

function invalidRoundOption(options: RoundOptions): string | null {
  if (!(Number.isFinite(options.concurrency) && options.concurrency >= 1)) {
    return `concurrency must be at least 1, got ${options.concurrency}`
  }
  if (!(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) {
    return `timeoutMs must be positive, got ${options.timeoutMs}`
  }
  const jitterMs = options.jitterMs ?? 0
  if (!(Number.isFinite(jitterMs) && jitterMs >= 0)) return `jitterMs must be zero or more, got ${jitterMs}`
  return null
}

export interface RoundSummary {
  total: number
  /** Targets probed (each gave exactly one result to onResult). */
  completed: number
  ok: number
  failed: number
  /** Targets not started because the round's signal aborted first. */
  skipped: number
  durationMs: number
}

/**
 * Probes every target once and hands each result to `onResult` as soon as it is ready. At most `concurrency`
 * probes run at a time and each is bounded by its own timeout, so a hanging target holds one slot for its
 * timeout and delays nobody else. Resolves when every started probe has reported; rejects only on invalid
 * options (at once, `probes.invalid_round`) or if `onResult` threw (after the round has finished).
 */
export function runRound(
  targets: readonly ProbeTarget[],
  options: RoundOptions,
  onResult: (result: ProbeResult) => void,
): Promise<RoundSummary> {
  const invalid = invalidRoundOption(options)
  if (invalid !== null) {
    return Promise.reject(
      new VigilError('probes.invalid_round', `runRound: ${invalid}`, {
        hint: 'concurrency and timeoutMs must be positive numbers, jitterMs zero or more',
      }),
    )
  }
  const concurrency = Math.max(1, Math.floor(options.concurrency))
  const jitterMs = options.jitterMs ?? 0
  const { signal } = options
  // Every running probe listens on the round's signal; a signal of our own may have that many listeners
  // without Node warning of a leak, and the caller's signal gets just one.
  const roundAbort = new AbortController()
  setMaxListeners(0, roundAbort.signal)
  const probeOptions: RunOptions = { ...options, signal: roundAbort.signal }
  const t0 = performance.now()
  const summary: RoundSummary = {
    total: targets.length,
    completed: 0,
    ok: 0,
    failed: 0,
    skipped: 0,
    durationMs: 0,
  }
  const ready: ProbeTarget[] = []
  const timers = new Set<ReturnType<typeof setTimeout>>()
  let waiting = targets.length
  let active = 0
  let callbackError: { error: unknown } | null = null

  return new Promise<RoundSummary>((resolve, reject) => {
    const finishIfDone = () => {
      if (waiting > 0 || active > 0 || ready.length > 0) return
      signal?.removeEventListener('abort', stop)
      summary.durationMs = Math.round((performance.now() - t0) * 1000) / 1000
      if (callbackError !== null) reject(callbackError.error)
      else resolve(summary)
    }
    const pump = () => {
      while (active < concurrency && ready.length > 0) {
        const target = ready.shift()!
        active += 1
        void runProbe(target, probeOptions).then((result) => {
          active -= 1
          summary.completed += 1
          if (result.ok) summary.ok += 1
          else summary.failed += 1
          try {
            onResult(result)
          } catch (error) {
            callbackError ??= { error }
          }
          pump()
          finishIfDone()
        })
      }
    }
    const stop = () => {
      roundAbort.abort(signal?.reason)
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      summary.skipped += waiting + ready.length
      waiting = 0
      ready.length = 0
      finishIfDone()
    }
    if (signal?.aborted) {
      stop()
      return
    }
    signal?.addEventListener('abort', stop, { once: true })
    for (const target of targets) {
      const enqueue = () => {
        waiting -= 1
        ready.push(target)
        pump()
      }
      if (jitterMs === 0) {
        enqueue()
        continue
      }
      const timer = setTimeout(() => {
        timers.delete(timer)
        enqueue()
      }, Math.random() * jitterMs)
      timers.add(timer)
    }
    finishIfDone()
  })
}
