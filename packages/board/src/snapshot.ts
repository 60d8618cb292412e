// What the board shows, read from the store in one go: region tiles with their state and a 24-hour chart,
// open incidents with their evidence in figures, detention reports, news sources, vantages and the rally
// calendar. The result is plain JSON (times as ISO strings), rendered by the server into the page as
// served and sent to open pages over server-sent events.
import { rallyWindows, type VigilConfig } from '@vigil/config'
import { detentionCountSchema, MIN_BASELINE_HOURS } from '@vigil/model'
import { describeCount, describeEvidence, detentionDetails, KIND_TITLES } from '@vigil/notify'
import {
  type Acknowledgement,
  acknowledgementsOf,
  hourlyScopeShares,
  type Incident,
  listSources,
  listVantageHealth,
  openIncidents,
  queryIncidents,
  queryReports,
  type Sql,
  vantageStatus,
} from '@vigil/store'
import { deriveRegionStates, type RegionStateName } from './region-state.js'

const HOUR = 3_600_000

export interface ChartPoint {
  /** Start of the hour, ISO 8601. */
  start: string
  /** Share of successful probes in that hour, 0..1; null when nothing was measured. */
  share: number | null
  samples: number
}

export interface BoardRegion {
  name: string
  timeZone: string
  state: RegionStateName
  since: string | null
  incidentIds: number[]
  /** The last 24 hours, oldest first, one point per hour. */
  chart: ChartPoint[]
  /** Median hourly success share over the 7 days before the chart; null under MIN_BASELINE_HOURS hours. */
  baseline: number | null
}

export interface BoardIncident {
  id: number
  kind: string
  title: string
  place: string
  level: string
  state: string
  summary: string
  startedAt: string
  firingAt: string | null
  /** The same figures an alert email gives (packages/notify describeEvidence). */
  evidence: Array<{ label: string; value: string }>
  sources: Array<{ title: string; url: string }>
  /** Who acknowledged it (an API key's name) and when; null when nobody has. */
  acknowledgement: { by: string; at: string; comment: string | null } | null
}

export interface BoardReport {
  id: number
  day: string | null
  title: string
  cities: string[]
  count: string | null
  version: number
  updatedAt: string
  /** Every news item that joined the report, in order: what it counted, where and when it was seen. */
  history: Array<{ source: string; title: string; url: string | null; count: string | null; at: string }>
}

export interface BoardSource {
  name: string
  url: string
  state: string
  lastSuccessAt: string | null
  lastError: string | null
}

export interface BoardVantage {
  id: string
  region: string | null
  role: string
  status: string
  lastSeenAt: string | null
  spoolBacklog: number | null
  clockSkewMs: number | null
}

export interface BoardRally {
  name: string
  city: string
  timeZone: string
  start: string
  end: string
  /** `current` while the window is open, `next` for the earliest window still to come. */
  phase: 'current' | 'next' | 'past' | 'later'
}

export interface BoardSnapshot {
  name: string
  country: string
  generatedAt: string
  regions: BoardRegion[]
  incidents: BoardIncident[]
  reports: BoardReport[]
  sources: BoardSource[]
  vantages: BoardVantage[]
  rallies: BoardRally[]
}

export interface SnapshotOptions {
  now: Date
  /** A vantage not heard from for this long is silent. */
  silenceAfterMs: number
  /** Most detention reports listed. */
  reportLimit?: number
  /** Reads the charts (default: loadRegionCharts each time); a caller polling often can cache them. */
  charts?: () => Promise<RegionCharts>
}

export type RegionCharts = Map<string, { chart: ChartPoint[]; baseline: number | null }>

/**
 * loadRegionCharts, read again only when `maxAgeMs` has passed: the hourly sums scan 8 days of
 * measurements, which a board polling every second should not do every second.
 */
export function cachedRegionCharts(
  sql: Sql,
  config: VigilConfig,
  maxAgeMs: number,
  now: () => Date = () => new Date(),
): () => Promise<RegionCharts> {
  let cached: { at: number; charts: Promise<RegionCharts> } | undefined
  return () => {
    const at = now().getTime()
    if (!cached || at - cached.at >= maxAgeMs) {
      const charts = loadRegionCharts(sql, config, new Date(at))
      cached = { at, charts }
      charts.catch(() => {
        if (cached?.charts === charts) cached = undefined
      })
    }
    return cached.charts
  }
}

/** The hourly charts and baselines of every region (one pass over the last 8 days of hourly sums). */
export async function loadRegionCharts(sql: Sql, config: VigilConfig, now: Date): Promise<RegionCharts> {
  const end = Math.floor(now.getTime() / HOUR) * HOUR + HOUR
  const chartStart = end - 24 * HOUR
  const rows = await hourlyScopeShares(
    sql,
    config.country,
    new Date(chartStart - 7 * 24 * HOUR),
    new Date(end),
  )
  const charts: RegionCharts = new Map()
  for (const region of config.regions) {
    const mine = rows.filter((row) => row.scope === `region:${region.name}`)
    const byHour = new Map(mine.map((row) => [row.start.getTime(), row]))
    const chart: ChartPoint[] = []
    for (let start = chartStart; start < end; start += HOUR) {
      const row = byHour.get(start)
      chart.push({
        start: new Date(start).toISOString(),
        share: row && row.samples > 0 ? row.share : null,
        samples: row?.samples ?? 0,
      })
    }
    const history = mine
      .filter((row) => row.start.getTime() < chartStart && row.samples > 0)
      .map((row) => row.share)
    // Fewer hours than detection trusts are no baseline (MIN_BASELINE_HOURS), not a median of one or two.
    charts.set(region.name, {
      chart,
      baseline: history.length >= MIN_BASELINE_HOURS ? median(history) : null,
    })
  }
  return charts
}

/** Reads everything the board shows. */
export async function loadBoardSnapshot(
  sql: Sql,
  config: VigilConfig,
  options: SnapshotOptions,
): Promise<BoardSnapshot> {
  const { now } = options
  const open = await openIncidents(sql)
  const resolved = await queryIncidents(sql, {
    from: new Date(now.getTime() - 7 * 24 * HOUR),
    state: 'resolved',
    limit: 500,
  })
  const charts = await (options.charts ?? (() => loadRegionCharts(sql, config, now)))()
  const samples = new Map<string, number>()
  const shares = new Map<string, number>()
  for (const [region, { chart }] of charts) {
    // The current hour and the one before: a region measured within the last hour or so has data.
    const recent = chart.slice(-2)
    const count = recent.reduce((sum, point) => sum + point.samples, 0)
    samples.set(region, count)
    if (count > 0) {
      shares.set(region, recent.reduce((sum, point) => sum + (point.share ?? 0) * point.samples, 0) / count)
    }
  }
  const states = deriveRegionStates({
    regions: config.regions.map((region) => ({
      name: region.name,
      country: region.country ?? config.country,
    })),
    open,
    resolved,
    samples,
    shares,
  })
  const regions: BoardRegion[] = config.regions.map((region, index) => {
    const state = states[index]!
    const chart = charts.get(region.name) ?? { chart: [], baseline: null }
    return {
      name: region.name,
      timeZone: region.timeZone,
      state: state.state,
      since: state.since?.toISOString() ?? null,
      incidentIds: state.incidentIds,
      chart: chart.chart,
      baseline: chart.baseline,
    }
  })

  const acks = await acknowledgementsOf(
    sql,
    open.map((incident) => incident.id),
  )
  const incidents = [...open]
    .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || b.id - a.id)
    .map((incident) => boardIncident(incident, acks.get(incident.id)))

  const reports = (
    await queryReports(sql, {
      from: isoDay(new Date(now.getTime() - 7 * 24 * HOUR)),
      limit: options.reportLimit ?? 20,
    })
  ).map(
    (report): BoardReport => ({
      id: report.id,
      day: report.day,
      title: report.title,
      cities: report.cities,
      count: countText(report.maxCount),
      version: report.version,
      updatedAt: report.updatedAt.toISOString(),
      history: report.items.map((item) => ({
        source: item.source,
        title: item.title,
        url: safeLink(item.link ?? item.canonicalUrl),
        count: countText(largest(item.counts)),
        at: (item.publishedAt ?? item.fetchedAt).toISOString(),
      })),
    }),
  )

  const sources = (await listSources(sql)).map(
    (source): BoardSource => ({
      name: source.name,
      url: safeLink(source.url) ?? '',
      state: source.state,
      lastSuccessAt: source.lastSuccessAt?.toISOString() ?? null,
      lastError: source.lastError,
    }),
  )

  const vantages = (await listVantageHealth(sql)).map((vantage): BoardVantage => {
    const times = [vantage.lastHeartbeatAt, vantage.lastSeenAt, vantage.lastMeasurementAt]
      .filter((time): time is Date => time !== null)
      .map((time) => time.getTime())
    return {
      id: vantage.id,
      region: vantage.region,
      role: vantage.role,
      status: vantageStatus(vantage, now, options.silenceAfterMs),
      lastSeenAt: times.length > 0 ? new Date(Math.max(...times)).toISOString() : null,
      spoolBacklog: vantage.spoolBacklog,
      clockSkewMs: vantage.clockSkewMs,
    }
  })

  return {
    name: config.name,
    country: config.country,
    generatedAt: now.toISOString(),
    regions,
    incidents,
    reports,
    sources,
    vantages,
    rallies: boardRallies(config, now),
  }
}

/** An incident with its evidence in the words and figures of the alert email, and its acknowledgement. */
export function boardIncident(incident: Incident, ack?: Acknowledgement): BoardIncident {
  const sources =
    incident.kind === 'detention_report'
      ? detentionDetails(incident)
          .sources.map((source) => ({ title: source.title, url: safeLink(source.url) }))
          .filter((source): source is { title: string; url: string } => source.url !== null)
      : []
  return {
    id: incident.id,
    kind: incident.kind,
    title: KIND_TITLES[incident.kind] ?? incident.kind,
    place: incident.region ?? `${incident.scopeType} ${incident.scope}`,
    level: incident.level,
    state: incident.state,
    summary: incident.summary,
    startedAt: incident.startedAt.toISOString(),
    firingAt: incident.firingAt?.toISOString() ?? null,
    evidence: describeEvidence(incident),
    sources,
    acknowledgement: ack ? { by: ack.by, at: ack.at.toISOString(), comment: ack.comment } : null,
  }
}

/** The rally windows of the calendar around now: open ones, the next one, and the rest by start. */
export function boardRallies(config: VigilConfig, now: Date): BoardRally[] {
  const windows = rallyWindows(config)
  const time = now.getTime()
  const next = windows.find((window) => window.start.getTime() > time)
  return windows.map((window) => ({
    name: window.rally.name,
    city: window.region.name,
    timeZone: window.region.timeZone,
    start: window.start.toISOString(),
    end: window.end.toISOString(),
    phase:
      window.start.getTime() <= time && time < window.end.getTime()
        ? 'current'
        : window === next ||
            (next !== undefined &&
              window.start.getTime() === next.start.getTime() &&
              window.start.getTime() > time)
          ? 'next'
          : window.end.getTime() <= time
            ? 'past'
            : 'later',
  }))
}

/** Only http(s) links are shown: a `javascript:` URL from a hostile feed never becomes a link. */
export function safeLink(url: string | null | undefined): string | null {
  if (!url) return null
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.toString() : null
  } catch {
    return null
  }
}

function largest(counts: ReadonlyArray<{ value: number; qualifier: string }>) {
  let top: { value: number; qualifier: string } | null = null
  for (const count of counts) if (!top || count.value > top.value) top = count
  return top
}

// The email's wording for counts (`about 700`, `at least 100`); a qualifier the contract does not know
// is not guessed at: the bare figure is shown.
function countText(count: { value: number; qualifier: string } | null): string | null {
  if (!count) return null
  const read = detentionCountSchema.safeParse(count)
  return read.success ? (describeCount(read.data) ?? null) : String(count.value)
}

function median(values: number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function isoDay(at: Date): string {
  return at.toISOString().slice(0, 10)
}
