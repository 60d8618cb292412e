// Reads what the store holds about one rally day: the windows of that day from the rally calendar, Vigil's
// measurements in them and on the baseline days before, incidents, interception verdicts, detention
// reports and imported IODA and OONI data. The thin I/O edge in front of buildRallyReport.
import { localTimeToInstant, rallyWindows, resolveRegion, type VigilConfig } from '@vigil/config'
import { dayProblem } from '@vigil/model'
import {
  queryIncidents,
  queryObservatoryEvents,
  queryObservatorySignals,
  queryOoniMeasurements,
  queryReports,
  type RegionBucketRow,
  regionAvailabilityBuckets,
  regionTlsVerdicts,
  type Sql,
} from '@vigil/store'
import type { CityWindowData, RallyReportData } from './types.js'

const DAY = 86_400_000

export interface RallyReportRequest {
  /** The local day, YYYY-MM-DD. */
  date: string
  /** One city (any of its names); every city with a window that day when absent. */
  city?: string | undefined
  /** 5 by default; 1 for minute resolution. */
  resolutionMinutes?: 1 | 5
  now?: Date
  onProgress?: (message: string) => void
}

export class RallyReportRequestError extends Error {
  readonly code = 'BAD_REPORT_REQUEST'
}

function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + DAY).toISOString().slice(0, 10)
}

/** The rally windows of `date` in each city's local time, cut to that day. */
export function windowsOfDay(
  config: VigilConfig,
  date: string,
  city?: string,
): Omit<CityWindowData, 'buckets' | 'history'>[] {
  const problem = dayProblem(date)
  if (problem) throw new RallyReportRequestError(`not a day Vigil can report on: ${date} (${problem})`)
  const wanted = city === undefined ? undefined : resolveRegion(config, city)
  if (city !== undefined && !wanted)
    throw new RallyReportRequestError(`no region called "${city}" in the config`)
  const windows: Omit<CityWindowData, 'buckets' | 'history'>[] = []
  for (const window of rallyWindows(config)) {
    if (wanted && window.region !== wanted) continue
    const zone = window.region.timeZone
    const dayStart = localTimeToInstant(`${date}T00:00`, zone)
    const dayEnd = localTimeToInstant(`${nextDay(date)}T00:00`, zone)
    if (!(window.start < dayEnd && window.end > dayStart)) continue
    // On the later days of a rally of several days, the announced time of day counts again.
    const firstDay = window.rally.start.slice(0, 10)
    const announcedStart =
      date > firstDay
        ? localTimeToInstant(`${date}T${window.rally.start.slice(11, 16)}`, zone)
        : localTimeToInstant(window.rally.start, zone)
    windows.push({
      city: window.region.name,
      timeZone: zone,
      rally: window.rally.name,
      announcedStart,
      announcedEnd: localTimeToInstant(window.rally.end, zone),
      windowStart: new Date(Math.max(window.start.getTime(), dayStart.getTime())),
      windowEnd: new Date(Math.min(window.end.getTime(), dayEnd.getTime())),
    })
  }
  return windows
}

export async function loadRallyReportData(
  sql: Sql,
  config: VigilConfig,
  request: RallyReportRequest,
): Promise<RallyReportData> {
  const progress = request.onProgress ?? (() => {})
  const resolutionMinutes = request.resolutionMinutes ?? 5
  const windows = windowsOfDay(config, request.date, request.city)
  const base: Omit<
    RallyReportData,
    'cities' | 'incidents' | 'tls' | 'reports' | 'iodaSignals' | 'iodaEvents' | 'ooniMeasurements'
  > = {
    date: request.date,
    country: config.country,
    generatedAt: request.now ?? new Date(),
    resolutionMinutes,
    thresholds: {
      warning: config.thresholds.blackout.warning,
      critical: config.thresholds.blackout.critical,
    },
  }
  if (windows.length === 0) {
    return {
      ...base,
      cities: [],
      incidents: [],
      tls: [],
      reports: [],
      iodaSignals: [],
      iodaEvents: [],
      ooniMeasurements: [],
    }
  }
  const from = new Date(Math.min(...windows.map((w) => w.windowStart.getTime())))
  const to = new Date(Math.max(...windows.map((w) => w.windowEnd.getTime())))
  const regions = [...new Set(windows.map((w) => w.city))]
  const bucketSeconds = resolutionMinutes * 60
  progress(`rally windows: ${windows.length} (${regions.join(', ')})`)

  const current = await regionAvailabilityBuckets(sql, regions, from, to, bucketSeconds)
  const history: Array<{ daysBack: number; rows: RegionBucketRow[] }> = []
  const baselineDays = config.thresholds.baselineDays
  for (let daysBack = 1; daysBack <= baselineDays; daysBack++) {
    progress(`baseline day ${daysBack}/${baselineDays}`)
    const shift = daysBack * DAY
    history.push({
      daysBack,
      rows: await regionAvailabilityBuckets(
        sql,
        regions,
        new Date(from.getTime() - shift),
        new Date(to.getTime() - shift),
        bucketSeconds,
      ),
    })
  }
  progress('incidents, interception verdicts, detention reports, IODA and OONI data')
  const [incidents, tls, reports, signals, events, ooni] = [
    await queryIncidents(sql, { from, to, limit: 10_000 }),
    await regionTlsVerdicts(sql, from, to),
    await queryReports(sql, { from: request.date, to: request.date, limit: 10_000 }),
    await queryObservatorySignals(sql, { from, to }),
    await queryObservatoryEvents(sql, { from, to }),
    await queryOoniMeasurements(sql, { from, to, country: config.country }),
  ]
  const ofCountry = (entity: { entityType: string; entityCode: string }) =>
    entity.entityType !== 'country' || entity.entityCode === config.country

  const inWindow = (rows: RegionBucketRow[], city: string, start: number, end: number) =>
    rows
      .filter(
        (row) =>
          row.region === city &&
          row.start.getTime() >= start - bucketSeconds * 1000 &&
          row.start.getTime() < end,
      )
      .map(({ start: at, ok, total }) => ({ start: at, ok, total }))
  const cities: CityWindowData[] = windows.map((window) => {
    const start = window.windowStart.getTime()
    const end = window.windowEnd.getTime()
    return {
      ...window,
      buckets: inWindow(current, window.city, start, end),
      history: history.map((day) => ({
        daysBack: day.daysBack,
        buckets: inWindow(day.rows, window.city, start - day.daysBack * DAY, end - day.daysBack * DAY),
      })),
    }
  })
  const canonical = (name: string) => resolveRegion(config, name)?.name ?? name
  const wantedCity = request.city === undefined ? undefined : resolveRegion(config, request.city)?.name
  return {
    ...base,
    cities,
    incidents,
    tls,
    reports: reports
      .map((report) => ({ ...report, cities: [...new Set(report.cities.map(canonical))] }))
      .filter((report) => wantedCity === undefined || report.cities.includes(wantedCity)),
    iodaSignals: signals.filter(ofCountry),
    iodaEvents: events.filter(ofCountry),
    ooniMeasurements: ooni,
  }
}
