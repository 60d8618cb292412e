// Builds the rally report from what the store holds about one day: availability against its baseline,
// when connectivity dropped relative to the announced start and for how long, the incidents, interception
// verdicts and detention reports of each city. Pure: the same data gives the same report.
import { bothTimes, formatMinutes, relativeToAnnounced, wallClock } from './time.js'
import type {
  AvailabilityPoint,
  Bucket,
  CityReport,
  CityWindowData,
  DetentionEntry,
  Drop,
  IncidentEntry,
  OoniTestLane,
  RallyReport,
  RallyReportData,
} from './types.js'

const MINUTE = 60_000
// A drop shorter than this is noise (one bad bucket), not a disruption worth a line in the summary.
const MIN_DROP_MINUTES = 10

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
    .filter((incident) => incident.region === null && (!span || overlaps(incident, span.start, span.end)))
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
  const drop = findDrop(availability, data, all.resolutionMinutes, all.thresholds)
  const cityIncidents = all.incidents
    .filter(
      (incident) => incident.region === data.city && overlaps(incident, data.windowStart, data.windowEnd),
    )
    .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || a.id - b.id)
    .map(incidentEntry)
  const interception = all.tls
    .filter((row) => row.region === data.city)
    .map((row) => ({
      host: row.host,
      verdict: row.verdict,
      vantage: row.vantageId,
      knownMatch: row.knownMatch,
      count: row.count,
      first: row.first,
      last: row.last,
    }))
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
    drop,
    incidents: cityIncidents,
    throttling: cityIncidents.filter((incident) => incident.kind === 'throttling'),
    interception,
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
    points.push({
      start: new Date(at),
      share,
      baseline,
      ratio: share === null || baseline === null || baseline === 0 ? null : Math.min(share / baseline, 1.5),
      samples: bucket?.total ?? 0,
    })
  }
  return points
}

/**
 * The first stretch of at least ten minutes below the warning fraction of baseline: when connectivity
 * dropped, relative to the announced start, and how long it stayed down. A bucket without measurements
 * neither ends a stretch nor starts one: silence is not recovery.
 */
export function findDrop(
  points: AvailabilityPoint[],
  city: Pick<CityWindowData, 'announcedStart' | 'windowEnd'>,
  resolutionMinutes: number,
  thresholds: { warning: number; critical: number },
): Drop | null {
  let run: AvailabilityPoint[] = []
  for (let i = 0; i <= points.length; i++) {
    const point = points[i]
    if (point !== undefined && point.ratio === null) continue
    if (point !== undefined && point.ratio! < thresholds.warning) {
      run.push(point)
      continue
    }
    const first = run[0]
    const last = run[run.length - 1]
    if (first && last) {
      const minutes = (last.start.getTime() - first.start.getTime()) / MINUTE + resolutionMinutes
      if (minutes >= MIN_DROP_MINUTES) {
        const end = point ? point.start : null
        const lowestRatio = Math.min(...run.map((p) => p.ratio!))
        return {
          start: first.start,
          end,
          durationMinutes: Math.round(((end ?? city.windowEnd).getTime() - first.start.getTime()) / MINUTE),
          minutesFromAnnounced: Math.round((first.start.getTime() - city.announcedStart.getTime()) / MINUTE),
          lowestRatio,
          level: lowestRatio < thresholds.critical ? 'critical' : 'warning',
        }
      }
    }
    run = []
  }
  return null
}

export function summarizeCity(city: CityReport): string {
  const announced = wallClock(city.announcedStart, city.timeZone).time
  const parts: string[] = []
  const measured = city.availability.some((point) => point.share !== null)
  if (city.drop) {
    const drop = city.drop
    parts.push(
      `connectivity dropped at ${bothTimes(drop.start, city.timeZone)}, ${relativeToAnnounced(drop.minutesFromAnnounced, announced)}; ` +
        `${drop.end ? `down for ${formatMinutes(drop.durationMinutes)}` : `still down at the end of the window after ${formatMinutes(drop.durationMinutes)}`} ` +
        `(lowest ${Math.round(drop.lowestRatio * 100)}% of baseline, ${drop.level})`,
    )
  } else {
    parts.push(measured ? 'no drop in availability' : 'no measurements in the window')
  }
  for (const incident of city.throttling) {
    const minutes = ((incident.end ?? city.windowEnd).getTime() - incident.start.getTime()) / MINUTE
    parts.push(
      `throttling from ${bothTimes(incident.start, city.timeZone)}, ${relativeToAnnounced((incident.start.getTime() - city.announcedStart.getTime()) / MINUTE, announced)}, for ${formatMinutes(minutes)}`,
    )
  }
  const interceptions = city.interception.filter((entry) => entry.verdict !== 'handshake_failed')
  if (interceptions.length > 0) {
    parts.push(
      `HTTPS interception seen for ${[...new Set(interceptions.map((entry) => entry.host))].join(', ')}`,
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
