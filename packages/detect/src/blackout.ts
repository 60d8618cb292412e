// Full blackouts per scope (country, region, network), and monitors whose own connection is down.
// A scope's share of successful probes (the latest result of each series in the window) is compared with
// its baseline, the median of the same share over past hours; the drop must be confirmed by several
// targets and vantages, and by control targets failing too, before it counts.
import type { BlackoutEvidence, MonitorOfflineEvidence } from '@vigil/model'
import { groupBy, median, round, share } from './stats.js'
import type {
  DetectionSettings,
  HistoryBucket,
  Level,
  SeriesSample,
  Signal,
  VantageLiveness,
} from './types.js'

/** Baselines with fewer hours of history than this are not trusted; full availability is assumed instead. */
export const MIN_BASELINE_BUCKETS = 3

export interface BlackoutInput {
  country: string
  samples: readonly SeriesSample[]
  history: readonly HistoryBucket[]
  liveness: readonly VantageLiveness[]
  settings: DetectionSettings
  now: Date
}

export interface BlackoutResult {
  signals: Signal[]
  /** Vantages whose own connection is down and whose other findings must be suppressed. */
  offlineVantages: Set<string>
}

export function baselineOf(
  scope: string,
  history: readonly HistoryBucket[],
): { value: number; buckets: number } {
  const shares = history.filter((bucket) => bucket.scope === scope && bucket.samples > 0).map((b) => b.share)
  const value = shares.length >= MIN_BASELINE_BUCKETS ? median(shares)! : 1
  return { value, buckets: shares.length }
}

export function detectBlackouts(input: BlackoutInput): BlackoutResult {
  const { samples, settings, now } = input
  const candidates = monitorOfflineCandidates(samples, settings)
  const explained = new Set<string>()
  const signals: Signal[] = []

  const scoped = samples.filter((sample) => sample.region !== null)
  const scopes: Array<{ type: Signal['scopeType']; scope: string; key: string; samples: SeriesSample[] }> = []
  for (const [region, list] of groupBy(scoped, (s) => s.region!)) {
    scopes.push({ type: 'region', scope: region, key: `region:${region}`, samples: list })
  }
  if (scoped.length > 0)
    scopes.push({ type: 'country', scope: input.country, key: `country:${input.country}`, samples: scoped })
  const inCountry = scoped.filter((s) => s.vantageRole === 'in_country' && s.asn !== null)
  for (const [asn, list] of groupBy(inCountry, (s) => s.asn!)) {
    scopes.push({ type: 'network', scope: `AS${asn}`, key: `network:AS${asn}`, samples: list })
  }
  // Regions whose in-country vantages all went silent count even when they sent nothing in the window.
  const silentByRegion = silentVantagesByRegion(input.liveness, now, settings.silenceAfterMs)
  for (const region of silentByRegion.keys()) {
    if (!scopes.some((s) => s.type === 'region' && s.scope === region)) {
      scopes.push({ type: 'region', scope: region, key: `region:${region}`, samples: [] })
    }
  }

  for (const scope of scopes) {
    // First without the vantages that may just be offline themselves: if the others confirm the outage, those
    // vantages are its victims, not false alarms.
    const independent = scope.samples.filter((s) => !candidates.has(s.vantageId))
    const silent = scope.type === 'region' ? (silentByRegion.get(scope.scope) ?? []) : []
    const baseline = baselineOf(scope.key, input.history)
    // The sample minimum applies to the scope as a whole; the others only have to show the drop.
    let assessment = assess(independent, baseline.value, settings, scope.samples.length)
    const confirmedByOthers = assessment.level !== null
    if (confirmedByOthers) assessment = assess(scope.samples, baseline.value, settings)
    if (confirmedByOthers) {
      for (const sample of scope.samples)
        if (candidates.has(sample.vantageId)) explained.add(sample.vantageId)
    }
    let level = assessment.level
    const silenceConfirms = silent.length >= Math.max(1, settings.blackout.minVantages)
    if (level === null && silenceConfirms && independent.length === 0)
      level = silent.length >= 2 ? 'critical' : 'warning'
    if (independent.length === 0 && !silenceConfirms) continue

    const name =
      scope.type === 'network'
        ? `network ${scope.scope}`
        : scope.type === 'country'
          ? `${scope.scope} (country-wide)`
          : scope.scope
    signals.push({
      identity: `blackout|${scope.type}|${scope.scope}`,
      kind: 'blackout',
      scopeType: scope.type,
      scope: scope.scope,
      region: scope.type === 'region' ? scope.scope : null,
      vantageId: null,
      level,
      recovered: level === null && assessment.ratio >= settings.blackout.resolveAbove && silent.length === 0,
      summary: `Internet blackout: ${name}`,
      evidence: {
        share: round(assessment.share),
        baseline: round(baseline.value),
        baselineHours: baseline.buckets,
        ratio: round(assessment.ratio),
        series: assessment.series,
        failingSeries: assessment.failing,
        failingTargets: assessment.failingTargets,
        failingVantages: assessment.failingVantages,
        controlFailing: assessment.controlFailing,
        controlTargets: assessment.controlTargets,
        outsideInFailing: assessment.outsideInFailing,
        outsideInTargets: assessment.outsideInTargets,
        failures: assessment.failures,
        confirmed: assessment.confirmed,
        silentVantages: silent,
      } satisfies BlackoutEvidence,
    })
  }

  const offlineVantages = new Set<string>()
  for (const [vantageId, detail] of candidates) {
    if (explained.has(vantageId)) continue
    offlineVantages.add(vantageId)
    signals.push({
      identity: `monitor_offline|vantage|${vantageId}`,
      kind: 'monitor_offline',
      scopeType: 'vantage',
      scope: vantageId,
      region: detail.region,
      vantageId,
      level: 'warning',
      recovered: false,
      summary: `Monitor offline: ${vantageId}`,
      evidence: {
        controlGroup: settings.monitorOffline.group ?? null,
        controlFailing: detail.failing,
        controlSeries: detail.total,
      } satisfies MonitorOfflineEvidence,
    })
  }
  // Vantages whose control check passes are reported healthy so an open monitor-offline incident resolves.
  for (const [vantageId, list] of groupBy(controlSamples(samples, settings), (s) => s.vantageId)) {
    if (candidates.has(vantageId)) continue
    signals.push({
      identity: `monitor_offline|vantage|${vantageId}`,
      kind: 'monitor_offline',
      scopeType: 'vantage',
      scope: vantageId,
      region: list[0]!.region,
      vantageId,
      level: null,
      recovered: true,
      summary: `Monitor offline: ${vantageId}`,
      evidence: {
        controlGroup: settings.monitorOffline.group ?? null,
        controlFailing: list.filter((s) => !s.ok).length,
        controlSeries: list.length,
      } satisfies MonitorOfflineEvidence,
    })
  }
  return { signals, offlineVantages }
}

interface Assessment {
  level: Level | null
  share: number
  ratio: number
  series: number
  failing: number
  failingTargets: string[]
  failingVantages: string[]
  controlFailing: boolean | null
  /** In-country control targets failing, of those probed (counts for the evidence; the decision is above). */
  controlTargets: { failing: number; total: number }
  outsideInFailing: number
  outsideInTargets: number
  failures: Record<string, number>
  confirmed: boolean
}

function assess(
  samples: readonly SeriesSample[],
  baseline: number,
  settings: DetectionSettings,
  scopeSeries = samples.length,
): Assessment {
  const t = settings.blackout
  const failing = samples.filter((s) => !s.ok)
  const current = share(samples.length - failing.length, samples.length)
  const ratio = baseline > 0 ? current / baseline : 1
  const failingTargets = [...new Set(failing.map((s) => s.targetId))].sort()
  const failingVantages = [...new Set(failing.map((s) => s.vantageId))].sort()
  const inCountryControl = samples.filter((s) => s.vantageRole === 'in_country' && s.purpose === 'control')
  const controlFailing =
    inCountryControl.length === 0
      ? null
      : inCountryControl.filter((s) => !s.ok).length * 2 >= inCountryControl.length
  const outsideInFailing = new Set(failing.filter((s) => s.purpose === 'outside_in').map((s) => s.targetId))
    .size
  const outsideInTargets = new Set(samples.filter((s) => s.purpose === 'outside_in').map((s) => s.targetId))
    .size
  const controlTargets = {
    failing: new Set(inCountryControl.filter((s) => !s.ok).map((s) => s.targetId)).size,
    total: new Set(inCountryControl.map((s) => s.targetId)).size,
  }
  // Outside-in probes need no control: the endpoints are in the country and the vantage is not.
  const controlSatisfied =
    !t.requireControlFailure || controlFailing === true || outsideInFailing >= t.minTargets
  const confirmed =
    scopeSeries >= t.minSamples &&
    failingTargets.length >= t.minTargets &&
    failingVantages.length >= t.minVantages &&
    controlSatisfied
  const raw: Level | null = ratio < t.critical ? 'critical' : ratio < t.warning ? 'warning' : null
  const failures: Record<string, number> = {}
  for (const sample of failing)
    failures[sample.failure ?? 'unknown'] = (failures[sample.failure ?? 'unknown'] ?? 0) + 1
  return {
    level: confirmed ? raw : null,
    share: current,
    ratio,
    series: samples.length,
    failing: failing.length,
    failingTargets,
    failingVantages,
    controlFailing,
    controlTargets,
    outsideInFailing,
    outsideInTargets,
    failures,
    confirmed: confirmed && raw !== null,
  }
}

function controlSamples(samples: readonly SeriesSample[], settings: DetectionSettings): SeriesSample[] {
  const group = settings.monitorOffline.group
  return group === undefined ? [] : samples.filter((s) => s.group === group)
}

function monitorOfflineCandidates(
  samples: readonly SeriesSample[],
  settings: DetectionSettings,
): Map<string, { region: string | null; failing: number; total: number }> {
  const candidates = new Map<string, { region: string | null; failing: number; total: number }>()
  for (const [vantageId, list] of groupBy(controlSamples(samples, settings), (s) => s.vantageId)) {
    const failing = list.filter((s) => !s.ok).length
    if (list.length >= 2 && share(failing, list.length) >= settings.monitorOffline.failureShare) {
      candidates.set(vantageId, { region: list[0]!.region, failing, total: list.length })
    }
  }
  return candidates
}

function silentVantagesByRegion(
  liveness: readonly VantageLiveness[],
  now: Date,
  silenceAfterMs: number,
): Map<string, string[]> {
  const byRegion = new Map<string, { silent: string[]; alive: number }>()
  for (const vantage of liveness) {
    if (vantage.role !== 'in_country' || vantage.region === null || vantage.lastSeenAt === null) continue
    const entry = byRegion.get(vantage.region) ?? { silent: [], alive: 0 }
    if (now.getTime() - vantage.lastSeenAt.getTime() > silenceAfterMs) entry.silent.push(vantage.vantageId)
    else entry.alive += 1
    byRegion.set(vantage.region, entry)
  }
  const silent = new Map<string, string[]>()
  for (const [region, entry] of byRegion)
    if (entry.alive === 0 && entry.silent.length > 0) silent.set(region, entry.silent.sort())
  return silent
}
