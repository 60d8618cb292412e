// Polls OONI's measurement list API (`/api/v1/measurements`) for each configured probe country: page by
// page from where the last poll ended, and for every measurement OONI flags (anomaly, confirmed,
// failure) the raw measurement (`/api/v1/raw_measurement`) too, so its test's own verdict keys are read
// rather than the flags alone. Only pages on the configured API's origin are followed.
import { latestOoniMeasurementAt, type Sql } from '@vigil/store'
import { getJson, type Validators } from './http.js'
import { writeOoni } from './import.js'
import { isObject } from './import-error.js'
import { type OoniMeasurement, parseOoniFile } from './ooni.js'
import {
  createPollLoop,
  type PollContext,
  type PollLoop,
  type PollReport,
  type PollTarget,
} from './poll-loop.js'

export interface OoniPollerSettings {
  apiUrl: string
  countries: string[]
  /** Milliseconds between polls of a country. */
  interval: number
  /** Longest back-off after failures, in milliseconds; an hour by default. */
  maxBackoff?: number
}

export interface OoniPollerDeps {
  settings: OoniPollerSettings
  sql: Sql
  fetch?: typeof globalThis.fetch
  now?: () => Date
  /** How far back a poll reaches at most, in milliseconds; a day by default. */
  firstLookBack?: number
  /** Pages followed per country and poll, so one poll never runs unbounded. */
  maxPages?: number
  /** Raw measurements fetched per country and poll; the flags of the others are kept. */
  maxRawPerPoll?: number
  log?: (event: { poller: string; newRecords?: number; error?: string; retryInMs?: number }) => void
}

export interface OoniPollResult {
  country: string
  pages: number
  records: number
  inserted: number
  /** Raw measurements fetched for flagged entries, and how many of those fetches failed. */
  raw: number
  rawFailed: number
  /** The first page was unchanged (304 to a conditional request). */
  notModified: boolean
}

export type OoniPoller = PollLoop<OoniPollResult>
export type OoniPollReport = PollReport<OoniPollResult>

const PAGE_SIZE = 1_000
const WINDOW_MS = 300_000

function apiBase(apiUrl: string): URL {
  return new URL(apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`)
}

/** The list URL for one country in (since, until] (OONI takes `since`/`until` as UTC without a zone). */
export function ooniListUrl(apiUrl: string, country: string, since: Date, until: Date): string {
  const url = new URL('api/v1/measurements', apiBase(apiUrl))
  url.searchParams.set('probe_cc', country)
  url.searchParams.set('since', since.toISOString().slice(0, 19))
  url.searchParams.set('until', until.toISOString().slice(0, 19))
  url.searchParams.set('order_by', 'measurement_start_time')
  url.searchParams.set('order', 'asc')
  url.searchParams.set('limit', String(PAGE_SIZE))
  return url.toString()
}

/** The raw measurement of one measurement_uid. */
export function ooniRawUrl(apiUrl: string, measurementUid: string): string {
  const url = new URL('api/v1/raw_measurement', apiBase(apiUrl))
  url.searchParams.set('measurement_uid', measurementUid)
  return url.toString()
}

/**
 * One poll target per configured country (`ooni:KZ`), run by the shared poll loop: runOnce() polls the
 * countries that are due, start()/stop() run it every `interval` (back-off up to `maxBackoff` after
 * failures). Each poll stores what is new and returns an OoniPollResult per country.
 */
export function createOoniPoller(deps: OoniPollerDeps): OoniPoller {
  const maxPages = deps.maxPages ?? 20
  const maxRaw = deps.maxRawPerPoll ?? 200
  const origin = apiBase(deps.settings.apiUrl).origin

  const target = (country: string): PollTarget<OoniPollResult> => ({
    name: `ooni:${country}`,
    kind: 'ooni',
    url: new URL('api/v1/measurements', apiBase(deps.settings.apiUrl)).toString(),
    poll: (context) => pollCountry(country, context),
  })

  const pollCountry = async (country: string, context: PollContext) => {
    const { now, state, signal } = context
    const cursor = state?.cursor ?? {}
    const stored =
      typeof cursor.since === 'string'
        ? new Date(cursor.since)
        : await latestOoniMeasurementAt(deps.sql, country)
    // Never further back than the look-back: OONI's API is not for bulk extraction, and an old file
    // import must not turn the first poll into one.
    const earliest = new Date(now.getTime() - (deps.firstLookBack ?? 86_400_000))
    const since = stored && stored > earliest ? stored : earliest
    // On a 5-minute boundary: a poll with nothing new inside the same window repeats the URL, which is then
    // asked conditionally; what came in after the boundary is read by the next window (since is exclusive).
    const until = new Date(Math.floor(now.getTime() / WINDOW_MS) * WINDOW_MS)
    const first = ooniListUrl(deps.settings.apiUrl, country, since, until)
    const validators = isObject(cursor.validators) ? (cursor.validators as Record<string, Validators>) : {}
    const result: OoniPollResult = {
      country,
      pages: 0,
      records: 0,
      inserted: 0,
      raw: 0,
      rawFailed: 0,
      notModified: false,
    }
    let newest = since
    let next: string | null = first
    const newValidators: Record<string, Validators> = {}
    while (next && result.pages < maxPages && !signal.aborted) {
      const page = await getJson(
        next,
        { fetch: deps.fetch, signal, validators: next === first ? validators[first] : undefined },
        now,
      )
      if (page.status === 304) {
        result.notModified = true
        newValidators[first] = validators[first] ?? {}
        break
      }
      if (next === first && (page.validators.etag || page.validators.lastModified)) {
        newValidators[first] = page.validators
      }
      const parsed = parseOoniFile(page.text)
      if (parsed.rejected.length > 0 && parsed.records.length === 0) {
        throw new Error(
          `OONI page ${next} has no readable measurement: ${parsed.rejected[0]!.at}: ${parsed.rejected[0]!.message}`,
        )
      }
      const records = await withRawMeasurements(parsed.records, result, signal, now)
      const written = await deps.sql.begin((tx) => writeOoni(tx, records))
      result.pages += 1
      result.records += records.length
      result.inserted += written.inserted
      for (const record of records)
        if (record.measurement.measuredAt > newest) newest = record.measurement.measuredAt
      next = nextPage(page.text)
    }
    return {
      newRecords: result.inserted,
      cursor: { since: newest.toISOString(), validators: newValidators },
      result,
    }
  }

  /** The page's next_url, when it is on the configured API's origin. */
  const nextPage = (text: string): string | null => {
    const body = JSON.parse(text) as unknown
    const metadata = isObject(body) && isObject(body.metadata) ? body.metadata : undefined
    const next = typeof metadata?.next_url === 'string' && metadata.next_url !== '' ? metadata.next_url : null
    if (!next) return null
    try {
      return new URL(next).origin === origin ? next : null
    } catch {
      return null
    }
  }

  /** Replaces the flagged list entries by their raw measurements, read with their test's own keys. */
  const withRawMeasurements = async (
    records: OoniMeasurement[],
    result: OoniPollResult,
    signal: AbortSignal,
    now: Date,
  ): Promise<OoniMeasurement[]> => {
    const out: OoniMeasurement[] = []
    for (const record of records) {
      const ooni = (record.measurement.details as { ooni: Record<string, unknown> }).ooni
      const uid = typeof ooni.measurement_uid === 'string' ? ooni.measurement_uid : null
      const flagged = record.verdict !== 'ok' && record.shape === 'list' && uid !== null
      if (!flagged || result.raw >= maxRaw || signal.aborted) {
        out.push(record)
        continue
      }
      result.raw += 1
      try {
        const page = await getJson(ooniRawUrl(deps.settings.apiUrl, uid), { fetch: deps.fetch, signal }, now)
        const body = JSON.parse(page.text) as unknown
        if (!isObject(body) || !isObject(body.test_keys)) throw new Error('not a raw measurement')
        // The raw body has no measurement_uid; the list's is kept so both map to the same stored row.
        const [raw] = parseOoniFile(JSON.stringify({ ...body, measurement_uid: uid })).records
        if (!raw) throw new Error('raw measurement is malformed')
        out.push(raw)
      } catch {
        // The flags are still a verdict (never ok); the raw one is read on a later import if at all.
        result.rawFailed += 1
        out.push(record)
      }
    }
    return out
  }

  return createPollLoop({
    sql: deps.sql,
    targets: deps.settings.countries.map(target),
    settings: { interval: deps.settings.interval, maxBackoff: deps.settings.maxBackoff ?? 3_600_000 },
    now: deps.now,
    log: deps.log,
  })
}
