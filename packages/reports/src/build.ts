// Builds the rally report from what the store holds about one day: availability against its baseline,
// when connectivity dropped relative to the announced start and for how long, the incidents, interception
// verdicts and detention reports of each city. Pure: the same data gives the same report, and every
// rendering (summary, chart, tables, CSV) reads this one report, so they cannot disagree.
import { bothTimes, formatMinutes, relativeToAnnounced, wallClock } from './time.js'
import type {
  AvailabilityPoint,
  Bucket,
  CityReport,
  CityWindowData,
  DetentionEntry,
  Drop,
  IncidentEntry,
  InterceptionEntry,
  LowestPoint,
  OoniTestLane,
  RallyReport,
  RallyReportData,
} from './types.js'

const MINUTE = 60_000

/**
 * The chain verdicts that count as interception: the same as those that open an `https_interception`
 * incident (INCIDENT_VERDICTS in packages/chain-verdicts). An untrusted root alone is not one.
 */
export const INTERCEPTION_VERDICTS: readonly string[] = ['known_interception', 'control_mismatch']
/** Chains that did not verify, without anything to say they were intercepted. */
export const UNTRUSTED_VERDICTS: readonly string[] = ['untrusted_root']

/** Whether the incident was an outage people were told about: it fired (not cancelled while pending). */
function fired(incident: { firingAt: Date | null }): boolean {
  return incident.firingAt !== null
}

export function buildRallyReport(data: RallyReportData): RallyReport {
  const detentions = data.reports.map(detentionEntry)
  const cities = data.cities.map((city) => buildCity(city, data, detentions))
  const span =
    cities.length === 0
      ? null
      : {
          start: new Date(Math.min(...cities.map((city) => city.windowStart.getTime()))),
          end: new Date(Math.max(...cities.map((city) => city.windowEnd.getTime()))),
        }
  const countryIncidents = data.incidents
    .filter(
      (incident) =>
        incident.region === null && fired(incident) && (!span || overlaps(incident, span.start, span.end)),
    )
    .map(incidentEntry)
  return {
    date: data.date,
    country: data.country,
    generatedAt: data.generatedAt,
    resolutionMinutes: data.resolutionMinutes,
    span,
    cities,
    countryIncidents,
    detentions,
    detainedTotal: detentions.reduce((sum, entry) => sum + (entry.count ?? 0), 0),
    ioda: iodaSection(data),
    ooni: ooniSection(data),
  }
}

function buildCity(data: CityWindowData, all: RallyReportData, detentions: DetentionEntry[]): CityReport {
  const availability = availabilitySeries(data, all.resolutionMinutes)
  const drops = findDrops(availability, data, all.resolutionMinutes, all.thresholds)
  const cityIncidents = all.incidents
    .filter(
      (incident) =>
        incident.region === data.city &&
        fired(incident) &&
        overlaps(incident, data.windowStart, data.windowEnd),
    )
    .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || a.id - b.id)
    .map(incidentEntry)
  const chains = (verdicts: readonly string[]): InterceptionEntry[] =>
    all.tls
      .filter((row) => row.region === data.city && verdicts.includes(row.verdict))
      .map((row) => ({
        host: row.host,
        verdict: row.verdict,
        vantage: row.vantageId,
        knownMatch: row.knownMatch,
        count: row.count,
        first: row.first,
        last: row.last,
      }))
  const measured = availability.filter((point) => point.share !== null)
  const withoutBaseline = measured.filter((point) => point.noBaseline).length
  const own = detentions.filter((entry) => entry.cities.includes(data.city))
  const sources = [...new Set(own.flatMap((entry) => entry.sources))].sort()
  const city: CityReport = {
    city: data.city,
    timeZone: data.timeZone,
    rally: data.rally,
    announcedStart: data.announcedStart,
    announcedEnd: data.announcedEnd,
    windowStart: data.windowStart,
    windowEnd: data.windowEnd,
    availability,
    baseline: withoutBaseline === 0 ? 'full' : withoutBaseline === measured.length ? 'none' : 'partial',
    drop: mainDrop(drops),
    drops,
    lowest: lowestPoint(availability),
    incidents: cityIncidents,
    throttling: cityIncidents.filter((incident) => incident.kind === 'throttling'),
    interception: chains(INTERCEPTION_VERDICTS),
    untrustedChains: chains(UNTRUSTED_VERDICTS),
    detentions: {
      reports: own.length,
      detained: own.reduce((sum, entry) => sum + (entry.count ?? 0), 0),
      sources,
      ids: own.map((entry) => entry.id),
    },
    summary: '',
  }
  city.summary = summarizeCity(city)
  return city
}

/** One point per bucket of the window, with the median share of the same bucket on the baseline days. */
export function availabilitySeries(data: CityWindowData, resolutionMinutes: number): AvailabilityPoint[] {
  const step = resolutionMinutes * MINUTE
  const index = (buckets: Bucket[]) => new Map(buckets.map((bucket) => [bucket.start.getTime(), bucket]))
  const current = index(data.buckets)
  const history = data.history.map((day) => ({ daysBack: day.daysBack, buckets: index(day.buckets) }))
  const first = Math.floor(data.windowStart.getTime() / step) * step
  const points: AvailabilityPoint[] = []
  for (let at = first; at < data.windowEnd.getTime(); at += step) {
    const bucket = current.get(at)
    const share = bucket && bucket.total > 0 ? bucket.ok / bucket.total : null
    const past = history
      .map((day) => day.buckets.get(at - day.daysBack * 86_400_000))
      .filter((b): b is Bucket => b !== undefined && b.total > 0)
      .map((b) => b.ok / b.total)
    const baseline = past.length === 0 ? null : median(past)
    const ratio =
      share === null
        ? null
        : baseline === null
          ? share
          : baseline === 0
            ? null
            : Math.min(share / baseline, 1.5)
    points.push({
      start: new Date(at),
      share,
      baseline,
      ratio,
      noBaseline: share !== null && baseline === null,
      samples: bucket?.total ?? 0,
    })
  }
  return points
}

/**
 * Every stretch of buckets below the warning fraction of baseline (of full availability where there is no
 * baseline), however short: a five-minute outage is one bucket at 5-minute resolution and is a drop. When
 * connectivity dropped, relative to the announced start, and how long it stayed down (to the start of the
 * first bucket above the line, or the end of the window). A bucket without measurements neither ends a
 * stretch nor starts one: silence is not recovery. Thresholds are the config's `thresholds.blackout`.
 */
export function findDrops(
  points: AvailabilityPoint[],
  city: Pick<CityWindowData, 'announcedStart' | 'windowEnd'>,
  _resolutionMinutes: number,
  thresholds: { warning: number; critical: number },
): Drop[] {
  const drops: Drop[] = []
  let run: AvailabilityPoint[] = []
  for (let i = 0; i <= points.length; i++) {
    const point = points[i]
    if (point !== undefined && point.ratio === null) continue
    if (point !== undefined && point.ratio! < thresholds.warning) {
      run.push(point)
      continue
    }
    const first = run[0]
    if (first) {
      const end = point ? point.start : null
      const lowestRatio = Math.min(...run.map((p) => p.ratio!))
      drops.push({
        start: first.start,
        end,
        durationMinutes: Math.round(((end ?? city.windowEnd).getTime() - first.start.getTime()) / MINUTE),
        minutesFromAnnounced: Math.round((first.start.getTime() - city.announcedStart.getTime()) / MINUTE),
        lowestRatio,
        lowestShare: Math.min(...run.map((p) => p.share!)),
        noBaseline: run.some((p) => p.noBaseline),
        level: lowestRatio < thresholds.critical ? 'critical' : 'warning',
      })
    }
    run = []
  }
  return drops
}

/** The drop the summary names: the longest, then the deepest, then the first. */
function mainDrop(drops: readonly Drop[]): Drop | null {
  let main: Drop | null = null
  for (const drop of drops) {
    if (
      !main ||
      drop.durationMinutes > main.durationMinutes ||
      (drop.durationMinutes === main.durationMinutes && drop.lowestRatio < main.lowestRatio)
    )
      main = drop
  }
  return main
}

/** The main drop of the points (see findDrops), or null. */
export function findDrop(
  points: AvailabilityPoint[],
  city: Pick<CityWindowData, 'announcedStart' | 'windowEnd'>,
  resolutionMinutes: number,
  thresholds: { warning: number; critical: number },
): Drop | null {
  return mainDrop(findDrops(points, city, resolutionMinutes, thresholds))
}

/** The measured bucket with the lowest share (the first of equal ones); null without measurements. */
function lowestPoint(points: readonly AvailabilityPoint[]): LowestPoint | null {
  let lowest: LowestPoint | null = null
  for (const point of points) {
    if (point.share === null) continue
    if (!lowest || point.share < lowest.share)
      lowest = { start: point.start, share: point.share, samples: point.samples }
  }
  return lowest
}

export function summarizeCity(city: CityReport): string {
  const announced = wallClock(city.announcedStart, city.timeZone).time
  const parts: string[] = []
  if (city.drop) {
    const drop = city.drop
    const others = city.drops.length - 1
    parts.push(
      `connectivity dropped at ${bothTimes(drop.start, city.timeZone)}, ${relativeToAnnounced(drop.minutesFromAnnounced, announced)}; ` +
        `${drop.end ? `down for ${formatMinutes(drop.durationMinutes)}` : `still down at the end of the window after ${formatMinutes(drop.durationMinutes)}`} ` +
        `(lowest ${Math.round(drop.lowestRatio * 100)}% ${drop.noBaseline ? 'of full availability, no baseline' : 'of baseline'}, ${drop.level})` +
        (others > 0 ? `; ${others} other drop${others === 1 ? '' : 's'} below the warning line` : ''),
    )
  } else if (city.lowest) {
    parts.push(
      `no drop in availability (lowest ${Math.round(city.lowest.share * 100)}% at ${bothTimes(city.lowest.start, city.timeZone)}${city.baseline === 'none' ? ', no baseline' : ''})`,
    )
  } else {
    parts.push('no measurements in the window')
  }
  for (const incident of city.throttling) {
    const minutes = ((incident.end ?? city.windowEnd).getTime() - incident.start.getTime()) / MINUTE
    parts.push(
      `throttling from ${bothTimes(incident.start, city.timeZone)}, ${relativeToAnnounced((incident.start.getTime() - city.announcedStart.getTime()) / MINUTE, announced)}, for ${formatMinutes(minutes)}`,
    )
  }
  if (city.interception.length > 0) {
    parts.push(
      `HTTPS interception seen for ${[...new Set(city.interception.map((entry) => entry.host))].join(', ')}`,
    )
  }
  if (city.untrustedChains.length > 0) {
    parts.push(
      `untrusted certificate chains (not judged interception) for ${[...new Set(city.untrustedChains.map((entry) => entry.host))].join(', ')}`,
    )
  }
  const { detentions } = city
  parts.push(
    detentions.reports === 0
      ? 'no detention reports'
      : `${detentions.reports} detention report${detentions.reports === 1 ? '' : 's'}, ${detentions.detained} detained (${detentions.sources.join(', ')})`,
  )
  return `${city.city}: ${parts.join('; ')}.`
}

function detentionEntry(report: RallyReportData['reports'][number]): DetentionEntry {
  return {
    id: report.id,
    title: report.title,
    cities: report.cities,
    count: report.maxCount?.value ?? null,
    qualifier: report.maxCount?.qualifier ?? null,
    firstSeenAt: report.firstSeenAt,
    sources: [...new Set(report.items.map((item) => item.source))].sort(),
    links: report.items.map((item) => item.link).filter((link): link is string => link !== null),
  }
}

function incidentEntry(incident: RallyReportData['incidents'][number]): IncidentEntry {
  return {
    id: incident.id,
    kind: incident.kind,
    level: incident.level,
    state: incident.state,
    scope: `${incident.scopeType}:${incident.scope}`,
    summary: incident.summary,
    start: incident.startedAt,
    end: incident.resolvedAt,
  }
}

function overlaps(incident: { startedAt: Date; resolvedAt: Date | null }, start: Date, end: Date): boolean {
  return incident.startedAt < end && (incident.resolvedAt === null || incident.resolvedAt >= start)
}

function iodaSection(data: RallyReportData): RallyReport['ioda'] {
  const series = new Map<string, RallyReport['ioda']['series'][number]>()
  for (const point of data.iodaSignals) {
    const entity = `${point.entityType}/${point.entityCode}`
    const subtype = point.subtype ?? ''
    const metric = point.metric ?? ''
    const key = `${entity}\u0000${point.datasource}\u0000${subtype}\u0000${metric}`
    let entry = series.get(key)
    if (!entry) {
      entry = { entity, datasource: point.datasource, subtype, metric, step: point.step, points: [] }
      series.set(key, entry)
    }
    entry.points.push({ at: point.at, value: point.value })
  }
  return {
    series: [...series.values()],
    events: data.iodaEvents.map((event) => ({
      entity: `${event.entityType}/${event.entityCode}`,
      entityName: event.entityName,
      kind: event.kind,
      datasource: event.datasource,
      start: event.startedAt,
      end: event.endedAt,
      level: event.level,
      score: event.score,
    })),
  }
}

/** OONI's measurements by test, in the order the tests first appear. */
function ooniSection(data: RallyReportData): RallyReport['ooni'] {
  const tests = new Map<string, OoniTestLane>()
  for (const row of data.ooniMeasurements) {
    let lane = tests.get(row.testName)
    if (!lane) {
      lane = {
        test: row.testName,
        measurements: 0,
        verdicts: {},
        failures: {},
        firstAnomaly: null,
        points: [],
      }
      tests.set(row.testName, lane)
    }
    lane.measurements += 1
    lane.verdicts[row.verdict] = (lane.verdicts[row.verdict] ?? 0) + 1
    if (row.failure !== null) lane.failures[row.failure] = (lane.failures[row.failure] ?? 0) + 1
    if (row.verdict === 'anomaly' && lane.firstAnomaly === null) lane.firstAnomaly = row.measuredAt
    lane.points.push({
      at: row.measuredAt,
      verdict: row.verdict,
      target: row.targetId,
      asn: row.asn,
      failure: row.failure,
    })
  }
  return { tests: [...tests.values()] }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}
