// The prober service: rounds of probes for every target group this vantage probes, at the group's
// interval (faster inside rally windows), each result stored as a measurement and exported to Prometheus.
// `runOnce()` runs one round of every group (tests, `vigil probe --once`); `start()`/`stop()` run the
// schedule, ticked every second by node-cron.
import { randomUUID } from 'node:crypto'
import { isInRallyWindow, type VigilConfig } from '@vigil/config'
import type { Registry } from '@vigil/metrics'
import type { WorkerLoop } from '@vigil/model'
import { type CaList, type ProbeResult, runRound } from '@vigil/probes'
import type { NewMeasurement } from '@vigil/store'
import cron, { type ScheduledTask } from 'node-cron'
import type { Logger } from 'pino'
import { createProberMetrics, type ProberMetrics } from './metrics.js'
import { type PlannedGroup, type PlannedProbe, planProbes } from './plan.js'
import { currentInterval, roundJitter } from './schedule.js'

export interface ProbeObservation {
  result: ProbeResult
  measurement: NewMeasurement
}

export interface ProberDeps {
  config: VigilConfig
  /** Receives every measurement; the store's buffered writer in `vigil start`, an agent's spool later. */
  record(measurement: NewMeasurement): void
  /** Sees every result with its measurement as it arrives (the `vigil probe` command prints them). */
  onObservation?(observation: ProbeObservation): void
  registry?: Registry
  logger?: Logger
  now?: () => Date
  /** Roots to trust instead of the config's trust store (`config.trust.roots`). */
  ca?: CaList
  /** System resolvers for groups that say `resolver: system`. */
  systemResolvers?: () => string[]
}

export interface Prober extends WorkerLoop<ProbeObservation[]> {
  readonly groups: PlannedGroup[]
  /**
   * Runs one round of every group now, in parallel, and resolves with every result. Targets start at once:
   * the schedule's jitter spreads load over an interval, and a one-shot run has no interval. A group whose
   * scheduled round is still running is not started again: its results from then on are in the answer.
   */
  runOnce(options?: { signal?: AbortSignal }): Promise<ProbeObservation[]>
  /** Checks which groups are due; called every second by the schedule. */
  tick(): void
  start(): void
  /** Stops scheduling, interrupts running rounds and waits for them. */
  stop(): Promise<void>
}

export function createProber(deps: ProberDeps): Prober {
  const { config } = deps
  const now = deps.now ?? (() => new Date())
  const groups = planProbes(config, deps.systemResolvers)
  const metrics: ProberMetrics | undefined = deps.registry ? createProberMetrics(deps.registry) : undefined
  for (const planned of groups) {
    for (const target of planned.group.targets) {
      metrics?.target(
        target.name,
        planned.group.name,
        planned.group.purpose,
        target.region ?? config.vantage.region ?? null,
        // An in-country endpoint seen from abroad speaks for its own network; anything else for this vantage's.
        planned.group.purpose === 'outside_in' ? target.networkType : config.vantage.network.type,
      )
    }
  }
  const lastStart = new Map<string, number>()
  // A scheduled round hands each result on and keeps none: with thousands of targets, holding every
  // result with its details until the round ends was most of an agent's peak memory. Only a caller of
  // runOnce() asks for the round's results (`collected`).
  const running = new Map<string, { round: Promise<void>; collected: ProbeObservation[] | undefined }>()
  const lifetime = new AbortController()
  let task: ScheduledTask | undefined

  const toObservation = (planned: PlannedProbe, result: ProbeResult): ProbeObservation => {
    const measurement: NewMeasurement = {
      measuredAt: result.startedAt,
      vantageId: config.vantage.id,
      targetId: planned.targetId,
      kind: result.kind,
      region: planned.region,
      asn: config.vantage.network.asn,
      ok: result.ok,
      failure: result.failure,
      durationMs: result.durationMs,
      details: result.details as unknown as Record<string, unknown>,
      // A retried write of the same measurement adds nothing.
      idempotencyKey: `${config.vantage.id}:${randomUUID()}`,
    }
    return { result, measurement }
  }

  const runGroup = (
    planned: PlannedGroup,
    signal: AbortSignal,
    jitter: boolean,
    collect: boolean,
  ): Promise<ProbeObservation[]> => {
    const name = planned.group.name
    const previous = running.get(name)
    if (previous) {
      metrics?.roundSkipped(name)
      deps.logger?.warn({ group: name }, 'previous round of the group still running; this round is skipped')
      if (collect) previous.collected ??= []
      const joined = previous.collected
      return previous.round.then(() => joined ?? [])
    }
    const intervalMs = currentInterval(config, planned, now())
    lastStart.set(name, now().getTime())
    const byKey = new Map(planned.probes.map((p) => [`${p.probe.kind}\u0000${p.probe.name}`, p]))
    const entry: { round: Promise<void>; collected: ProbeObservation[] | undefined } = {
      round: Promise.resolve(),
      collected: collect ? [] : undefined,
    }
    const round = runRound(
      planned.probes.map((p) => p.probe),
      {
        concurrency: config.probing.concurrency,
        timeoutMs: planned.group.timeout,
        jitterMs: jitter ? roundJitter(config, intervalMs) : 0,
        signal,
        // One trust configuration for every TLS check: config trust.* plus NODE_EXTRA_CA_CERTS.
        ca: deps.ca ?? config.trust.roots,
        userAgent: planned.group.http.userAgent,
      },
      (result) => {
        const plannedProbe = byKey.get(`${result.kind}\u0000${result.target}`)
        // A probe cut short by shutdown measured nothing about the network: recording it as a failure
        // would look like an outage.
        if (!plannedProbe || result.failure === 'interrupted') return
        const observation = toObservation(plannedProbe, result)
        entry.collected?.push(observation)
        metrics?.observe(result, config.vantage.id, plannedProbe.region)
        deps.record(observation.measurement)
        deps.onObservation?.(observation)
      },
    )
      .then((summary) => {
        metrics?.roundDone(name, summary.durationMs)
        deps.logger?.debug({ group: name, ...summary }, 'round done')
      })
      .finally(() => running.delete(name))
    entry.round = round
    running.set(name, entry)
    return round.then(() => entry.collected ?? [])
  }

  const prober: Prober = {
    groups,
    async runOnce(options = {}) {
      const signal = options.signal ? AbortSignal.any([options.signal, lifetime.signal]) : lifetime.signal
      const results = await Promise.all(groups.map((planned) => runGroup(planned, signal, false, true)))
      return results.flat()
    },
    tick() {
      const at = now().getTime()
      for (const region of config.regions)
        metrics?.rallyWindow(region.name, isInRallyWindow(config, new Date(at), region.name))
      for (const planned of groups) {
        const name = planned.group.name
        const intervalMs = currentInterval(config, planned, new Date(at))
        metrics?.interval(name, intervalMs)
        const last = lastStart.get(name)
        if (last !== undefined && at - last < intervalMs) continue
        void runGroup(planned, lifetime.signal, true, false)
      }
    },
    start() {
      if (task) return
      const groupNames = groups.map((planned) => planned.group.name)
      deps.logger?.info(
        { groups: groupNames, probes: groups.reduce((n, g) => n + g.probes.length, 0) },
        'prober started',
      )
      task = cron.schedule('* * * * * *', () => prober.tick(), { name: 'prober', noOverlap: true })
      prober.tick()
    },
    async stop() {
      await task?.destroy()
      task = undefined
      lifetime.abort()
      await Promise.allSettled([...running.values()].map((entry) => entry.round))
    },
  }
  return prober
}
