// The certwatch service: rounds of TLS chain checks from this vantage, compared with the control's stored
// chains and the pins, stored, exported and folded into one incident per interceptor in the country. runOnce/start/stop.
import { randomUUID } from 'node:crypto'
import {
  applyInterceptionFindings,
  checkTls,
  fromStoredObservation,
  knownListFromConfig,
  pinsFor,
  type TlsCheck,
  toStoredObservation,
} from '@vigil/chain-verdicts'
import type { VigilConfig } from '@vigil/config'
import type { CaptureOptions, KnownInterceptionEntry, TlsObservation } from '@vigil/interception'
import type { Registry } from '@vigil/metrics'
import type { WorkerLoop } from '@vigil/model'
import { latestControlObservation, type NewTlsObservation, type Sql } from '@vigil/store'
import cron, { type ScheduledTask } from 'node-cron'
import type { Logger } from 'pino'
import { type CertwatchMetrics, createCertwatchMetrics } from './metrics.js'
import { type CertTarget, certwatchInterval, planCertTargets } from './plan.js'

export interface CertwatchDeps {
  config: VigilConfig
  /** Where control observations are read and incidents raised; without it checks use the pins alone. */
  sql?: Sql
  /** Receives every observation; the store's buffered writer in `vigil start`, the spool in an agent. */
  record(observation: NewTlsObservation, check: CertwatchCheck): void
  registry?: Registry
  logger?: Logger
  now?: () => Date
  /** Roots to trust instead of the config's trust store (`config.trust.roots`). */
  ca?: CaptureOptions['ca']
  /** How old a control observation may be and still be compared with; twice the base interval by default. */
  controlMaxAgeMs?: number
}

export interface CertwatchCheck extends TlsCheck {
  target: CertTarget
  stored: NewTlsObservation
}

export interface Certwatch extends WorkerLoop<CertwatchCheck[]> {
  readonly targets: CertTarget[]
  readonly known: KnownInterceptionEntry[]
  /** Runs one round now and resolves with every check, after incidents are raised and resolved. */
  runOnce(options?: { signal?: AbortSignal }): Promise<CertwatchCheck[]>
  /** Starts a round when one is due; called every second by the schedule. */
  tick(): void
  start(): void
  /** Stops scheduling, interrupts a running round and waits for it. */
  stop(): Promise<void>
}

export function createCertwatch(deps: CertwatchDeps): Certwatch {
  const { config } = deps
  const vantageId = config.vantage.id
  const now = deps.now ?? (() => new Date())
  const targets = planCertTargets(config)
  const known = knownListFromConfig(config)
  const controlMaxAgeMs = deps.controlMaxAgeMs ?? 2 * config.interception.interval
  const metrics: CertwatchMetrics | undefined = deps.registry
    ? createCertwatchMetrics(deps.registry)
    : undefined
  const lifetime = new AbortController()
  let running: Promise<CertwatchCheck[]> | undefined
  let lastStart: number | undefined
  let task: ScheduledTask | undefined

  // A control vantage is the reference itself; every other vantage compares with the latest control chain.
  const controlFor = async (target: CertTarget, at: Date): Promise<TlsObservation | null> => {
    if (!deps.sql || config.vantage.role === 'control') return null
    try {
      const record = await latestControlObservation(deps.sql, {
        host: target.host,
        sni: target.servername,
        since: new Date(at.getTime() - controlMaxAgeMs),
        excludeVantage: vantageId,
      })
      return record ? fromStoredObservation(record) : null
    } catch (error) {
      // Without the control the check still runs against the list and the pins.
      deps.logger?.warn({ err: error, target: target.targetId }, 'could not read the control observation')
      return null
    }
  }

  const checkTarget = async (target: CertTarget, round: string, signal: AbortSignal) => {
    const control = await controlFor(target, now())
    const check = await checkTls({
      host: target.host,
      port: target.port,
      servername: target.servername,
      timeoutMs: target.timeoutMs,
      known,
      control,
      pinnedSpki: pinsFor(config, target.servername, target.host),
      // The same trust as the prober's: config trust.* plus NODE_EXTRA_CA_CERTS.
      ca: deps.ca ?? config.trust.roots,
      signal,
      vantage: vantageId,
      round,
    })
    // A check cut short by shutdown measured nothing about the network.
    if (check.observation.failure === 'interrupted') return undefined
    const stored = toStoredObservation(check, target.targetId, vantageId, `${vantageId}:${randomUUID()}`)
    return { ...check, target, stored }
  }

  const runRound = async (signal: AbortSignal): Promise<CertwatchCheck[]> => {
    const startedAt = now()
    const round = startedAt.toISOString()
    lastStart = startedAt.getTime()
    const checks: CertwatchCheck[] = []
    // Checks run in parallel up to the configured concurrency; each worker takes the next target.
    let next = 0
    // One listener on the shared signal, fanned out to the checks in flight: each check listens on a signal
    // of its own, so up to `concurrency` captures never pile listeners onto one signal.
    const inFlight = new Set<AbortController>()
    const abortAll = () => {
      for (const check of inFlight) check.abort(signal.reason)
    }
    signal.addEventListener('abort', abortAll, { once: true })
    const checkOne = async (target: CertTarget) => {
      const own = new AbortController()
      inFlight.add(own)
      if (signal.aborted) own.abort(signal.reason)
      try {
        return await checkTarget(target, round, own.signal)
      } finally {
        inFlight.delete(own)
      }
    }
    const worker = async () => {
      while (next < targets.length && !signal.aborted) {
        const target = targets[next++]!
        const check = await checkOne(target)
        if (!check) continue
        checks.push(check)
        metrics?.observe(target.targetId, vantageId, target.region, check.observation, check.verdict.verdict)
        deps.record(check.stored, check)
      }
    }
    const workers = Math.max(1, Math.min(config.probing.concurrency, targets.length))
    try {
      await Promise.all(Array.from({ length: workers }, worker))
    } finally {
      signal.removeEventListener('abort', abortAll)
    }
    if (deps.sql && !signal.aborted) {
      const vantage = {
        id: vantageId,
        region: config.vantage.region ?? null,
        country: config.vantage.country,
      }
      await applyInterceptionFindings(deps.sql, { vantage, checks, at: startedAt }, deps.logger)
    }
    const durationMs = now().getTime() - startedAt.getTime()
    metrics?.roundDone(durationMs)
    deps.logger?.debug(
      { round, checks: checks.length, verdicts: countVerdicts(checks), durationMs },
      'certwatch round done',
    )
    return checks
  }

  const startRound = (signal: AbortSignal): Promise<CertwatchCheck[]> => {
    if (running) {
      deps.logger?.warn('previous certwatch round still running; this round is skipped')
      return running
    }
    const round = runRound(signal).finally(() => {
      running = undefined
    })
    running = round
    return round
  }

  const certwatch: Certwatch = {
    targets,
    known,
    runOnce(options = {}) {
      const signal = options.signal ? AbortSignal.any([options.signal, lifetime.signal]) : lifetime.signal
      return startRound(signal)
    },
    tick() {
      const at = now()
      const intervalMs = certwatchInterval(config, targets, at)
      metrics?.interval(intervalMs)
      if (targets.length === 0 || running || lifetime.signal.aborted) return
      if (lastStart !== undefined && at.getTime() - lastStart < intervalMs) return
      startRound(lifetime.signal).catch((error) => {
        deps.logger?.error({ err: error }, 'certwatch round failed')
      })
    },
    start() {
      if (task) return
      deps.logger?.info({ targets: targets.length, knownRoots: known.length }, 'certwatch started')
      task = cron.schedule('* * * * * *', () => certwatch.tick(), { name: 'certwatch', noOverlap: true })
      certwatch.tick()
    },
    async stop() {
      await task?.destroy()
      task = undefined
      lifetime.abort()
      await running?.catch(() => {})
    },
  }
  return certwatch
}

function countVerdicts(checks: readonly CertwatchCheck[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const check of checks) counts[check.verdict.verdict] = (counts[check.verdict.verdict] ?? 0) + 1
  return counts
}
