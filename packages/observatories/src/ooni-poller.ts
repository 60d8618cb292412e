// Polls OONI's measurement API for the configured probe countries and imports what is new, page by page,
// from where the stored OONI measurements end. runOnce() for tests, start()/stop() for the process.
import { latestOoniMeasurementAt, type Sql } from '@vigil/store'
import { importOoniFiles } from './import.js'
import { isObject } from './import-error.js'

export interface OoniPollerSettings {
  apiUrl: string
  countries: string[]
  /** Milliseconds between polls. */
  interval: number
}

export interface OoniPollerDeps {
  settings: OoniPollerSettings
  sql: Sql
  fetch?: typeof globalThis.fetch
  now?: () => Date
  /** How far back the first poll of a country reaches, in milliseconds; a day by default. */
  firstLookBack?: number
  /** Pages followed per country and poll, so one poll never runs unbounded. */
  maxPages?: number
  log?: (event: { country: string; inserted?: number; pages?: number; error?: string }) => void
}

export interface OoniPollResult {
  country: string
  pages: number
  records: number
  inserted: number
  error?: string
}

export interface OoniPoller {
  runOnce(): Promise<OoniPollResult[]>
  start(): void
  stop(): Promise<void>
}

const PAGE_SIZE = 1_000

/** The list URL for one country since a time (OONI takes `since`/`until` as UTC without a zone). */
export function ooniListUrl(apiUrl: string, country: string, since: Date, until: Date): string {
  const url = new URL('api/v1/measurements', apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`)
  url.searchParams.set('probe_cc', country)
  url.searchParams.set('since', since.toISOString().slice(0, 19))
  url.searchParams.set('until', until.toISOString().slice(0, 19))
  url.searchParams.set('order_by', 'measurement_start_time')
  url.searchParams.set('order', 'asc')
  url.searchParams.set('limit', String(PAGE_SIZE))
  return url.toString()
}

export function createOoniPoller(deps: OoniPollerDeps): OoniPoller {
  const fetchJson = deps.fetch ?? globalThis.fetch
  const now = deps.now ?? (() => new Date())
  const maxPages = deps.maxPages ?? 20
  let timer: NodeJS.Timeout | undefined
  let running: Promise<OoniPollResult[]> | undefined
  let stopped = false

  const pollCountry = async (country: string): Promise<OoniPollResult> => {
    const until = now()
    const latest = await latestOoniMeasurementAt(deps.sql, country)
    const since = latest ?? new Date(until.getTime() - (deps.firstLookBack ?? 86_400_000))
    let next: string | null = ooniListUrl(deps.settings.apiUrl, country, since, until)
    const result: OoniPollResult = { country, pages: 0, records: 0, inserted: 0 }
    try {
      while (next && result.pages < maxPages && !stopped) {
        const response = await fetchJson(next, { headers: { accept: 'application/json' } })
        if (!response.ok) throw new Error(`OONI answered ${response.status} for ${next}`)
        const text = await response.text()
        const imported = await importOoniFiles(deps.sql, [{ name: next, text }])
        result.pages += 1
        result.records += imported.records
        result.inserted += imported.inserted
        const body = JSON.parse(text) as unknown
        const metadata = isObject(body) && isObject(body.metadata) ? body.metadata : undefined
        next = typeof metadata?.next_url === 'string' && metadata.next_url !== '' ? metadata.next_url : null
      }
    } catch (error) {
      // One country's failure (network down, API error, a malformed page) must not stop the others.
      result.error = error instanceof Error ? error.message : String(error)
    }
    deps.log?.({ country, inserted: result.inserted, pages: result.pages, error: result.error })
    return result
  }

  const runOnce = async (): Promise<OoniPollResult[]> => {
    const results: OoniPollResult[] = []
    for (const country of deps.settings.countries) results.push(await pollCountry(country))
    return results
  }

  const schedule = () => {
    if (stopped) return
    timer = setTimeout(() => {
      running = runOnce().finally(() => {
        running = undefined
        schedule()
      })
    }, deps.settings.interval)
  }

  return {
    runOnce,
    start() {
      stopped = false
      running = runOnce().finally(() => {
        running = undefined
        schedule()
      })
    },
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      timer = undefined
      await running?.catch(() => {})
    },
  }
}
