// The alerter's detection loop: every tick it reads the detection window from the store, asks
// packages/detect what is happening, and moves incidents pending -> firing -> resolved accordingly.
// Incidents other services raise (interception, detention reports) are theirs; this loop owns the rest.
import type { VigilConfig } from '@vigil/config'
import {
  decideIncident,
  detectBlackouts,
  detectDnsTampering,
  detectServiceBlocking,
  detectThrottling,
  type Signal,
} from '@vigil/detect'
import { Gauge, type Registry, registerOnce } from '@vigil/metrics'
import type { WorkerLoop } from '@vigil/model'
import {
  durationMedians,
  hourlyScopeShares,
  type Incident,
  latestSeries,
  openIncidents,
  queryIncidents,
  raiseIncident,
  resolveIncident,
  type Sql,
  vantageLiveness,
} from '@vigil/store'
import cron, { type ScheduledTask } from 'node-cron'
import type { Logger } from 'pino'
import { detectionSettings } from './settings.js'

const OWNED_KINDS = new Set([
  'blackout',
  'service_blocking',
  'throttling',
  'dns_tampering',
  'monitor_offline',
])
const DAY = 86_400_000

export interface AlerterDeps {
  config: VigilConfig
  sql: Sql
  registry?: Registry
  logger?: Logger
  now?: () => Date
  /** Seconds between evaluations; 5 by default. */
  everySeconds?: number
}

export interface EvaluationResult {
  signals: Signal[]
  changes: Array<{ identity: string; action: 'opened' | 'fired' | 'updated' | 'resolved' }>
}

export interface Alerter extends WorkerLoop<EvaluationResult> {
  runOnce(): Promise<EvaluationResult>
}

export function createAlerter(deps: AlerterDeps): Alerter {
  const { config, sql } = deps
  const now = deps.now ?? (() => new Date())
  const settings = detectionSettings(config)
  const active = deps.registry
    ? registerOnce(
        deps.registry,
        'vigil_incident_active',
        () =>
          new Gauge({
            name: 'vigil_incident_active',
            help: 'Firing incidents, by kind, region and level.',
            labelNames: ['kind', 'region', 'level'],
            registers: [deps.registry!],
          }),
      )
    : undefined
  let task: ScheduledTask | undefined
  let running: Promise<EvaluationResult> | undefined

  const evaluate = async (): Promise<EvaluationResult> => {
    const at = now()
    const t = config.thresholds
    const windowStart = new Date(at.getTime() - t.blackout.window)
    const baselineStart = new Date(windowStart.getTime() - t.baselineDays * DAY)
    const [samples, history, liveness, windows, baselines, earlier] = await Promise.all([
      latestSeries(sql, windowStart, at),
      hourlyScopeShares(sql, config.country, baselineStart, windowStart),
      vantageLiveness(sql, baselineStart),
      durationMedians(sql, windowStart, at),
      durationMedians(sql, baselineStart, windowStart),
      queryIncidents(sql, { kind: 'blackout', from: baselineStart, to: windowStart, limit: 10_000 }),
    ])
    // Hours that were already part of a blackout would drag the baseline down: leave them out.
    const cleanHistory = history.filter(
      (bucket) => !earlier.some((incident) => overlapsIncident(bucket.scope, bucket.start, incident)),
    )
    const blackout = detectBlackouts({
      country: config.country,
      samples,
      history: cleanHistory,
      liveness,
      settings,
      now: at,
    })
    const signals = [
      ...blackout.signals,
      ...detectServiceBlocking(samples, settings, blackout.offlineVantages),
      ...detectDnsTampering(samples, blackout.offlineVantages),
      ...detectThrottling(windows, baselines, settings, blackout.offlineVantages, samples),
    ]

    const changes: EvaluationResult['changes'] = []
    const open = new Map(
      (await openIncidents(sql))
        .filter((i) => OWNED_KINDS.has(i.kind))
        .map((incident) => [incident.identity, incident]),
    )
    for (const signal of signals) {
      const existing = open.get(signal.identity)
      // A healthy scope with nothing open needs no decision (detection reports every watched service).
      if (signal.level === null && !existing) continue
      const flapping = await isFlapping(sql, signal.identity, at, t.incident.flapWindow, t.incident.flapLimit)
      const decision = decideIncident(
        existing && existing.state !== 'resolved'
          ? {
              state: existing.state,
              level: existing.level,
              startedAt: existing.startedAt,
              evidence: existing.evidence,
            }
          : undefined,
        signal,
        at,
        { forMs: t.incident.for, resolveAfterMs: t.incident.resolveAfter, flapping },
      )
      if (decision.action === 'raise') {
        const result = await sql.begin((tx) =>
          raiseIncident(tx, {
            identity: signal.identity,
            kind: signal.kind,
            scopeType: signal.scopeType,
            scope: signal.scope,
            region: signal.region,
            vantageId: signal.vantageId,
            level: decision.level,
            state: decision.state,
            summary: signal.summary,
            evidence: decision.evidence,
            at,
          }),
        )
        if (result.opened) changes.push({ identity: signal.identity, action: 'opened' })
        else if (result.escalated && result.incident.state === 'firing')
          changes.push({ identity: signal.identity, action: 'fired' })
        else if (existing && existing.state === 'pending' && decision.state === 'firing')
          changes.push({ identity: signal.identity, action: 'fired' })
      } else if (decision.action === 'resolve' && existing) {
        await resolveIncident(sql, signal.identity, at, decision.evidence)
        changes.push({ identity: signal.identity, action: 'resolved' })
      }
    }
    for (const change of changes) deps.logger?.info({ ...change }, `incident ${change.action}`)
    await updateActiveGauge()
    return { signals, changes }
  }

  const updateActiveGauge = async () => {
    if (!active) return
    active.reset()
    for (const incident of await openIncidents(sql)) {
      if (incident.state !== 'firing') continue
      active.inc({ kind: incident.kind, region: incident.region ?? '', level: incident.level })
    }
  }

  const alerter: Alerter = {
    async runOnce() {
      while (running) await running.catch(() => {})
      running = evaluate()
      try {
        return await running
      } finally {
        running = undefined
      }
    },
    start() {
      if (task) return
      const every = Math.max(1, Math.min(59, deps.everySeconds ?? 5))
      task = cron.schedule(
        `*/${every} * * * * *`,
        async () => {
          try {
            await alerter.runOnce()
          } catch (error) {
            deps.logger?.error({ err: error }, 'detection failed; will try again')
          }
        },
        { name: 'alerter', noOverlap: true },
      )
      deps.logger?.info({ everySeconds: every }, 'alerter started')
    },
    async stop() {
      await task?.destroy()
      task = undefined
      await running?.catch(() => {})
    },
  }
  return alerter
}

function overlapsIncident(scope: string, start: Date, incident: Incident): boolean {
  const [type, name] = scope.split(':') as [string, string]
  if (incident.scopeType !== type || incident.scope !== name) return false
  const end = start.getTime() + 3_600_000
  return (
    incident.startedAt.getTime() < end &&
    (incident.resolvedAt?.getTime() ?? Number.POSITIVE_INFINITY) > start.getTime()
  )
}

async function isFlapping(
  sql: Sql,
  identity: string,
  at: Date,
  windowMs: number,
  limit: number,
): Promise<boolean> {
  const [row] = await sql<{ count: number }[]>`
    select count(*)::int as count from incidents
    where identity = ${identity} and started_at >= ${new Date(at.getTime() - windowMs)} and firing_at is not null`
  return (row?.count ?? 0) >= limit
}
