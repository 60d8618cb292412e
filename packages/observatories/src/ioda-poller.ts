// Polls IODA's API (v2) for each configured entity (the country, its regions, its networks): raw signals
// (`/signals/raw/{type}/{code}`), outage events with their alerts (`/outages/events/{type}/{code}?format=ioda
// &includeAlerts=true`) and alerts (`/outages/alerts/{type}/{code}`), from where the last poll ended minus
// an overlap (IODA revises its latest buckets). Windows end on a 5-minute boundary, so a poll inside the
// same window asks again conditionally with the validators of the last answer.
import type { Sql } from '@vigil/store'
import { getJson, type Validators } from './http.js'
import { writeIoda } from './import.js'
import { isObject } from './import-error.js'
import { type IodaFile, parseIodaFile } from './ioda.js'
import {
  createPollLoop,
  type PollContext,
  type PollLoop,
  type PollReport,
  type PollTarget,
} from './poll-loop.js'

export interface IodaEntity {
  /** `country`, `region` or `asn`, as IODA names entity types. */
  type: 'country' | 'region' | 'asn'
  /** `KZ`, an IODA region code such as `1473`, an AS number such as `9198`. */
  code: string
}

export interface IodaPollerSettings {
  apiUrl: string
  entities: IodaEntity[]
  /** Milliseconds between polls of an entity. */
  interval: number
  /** Longest back-off after failures, in milliseconds; an hour by default. */
  maxBackoff?: number
  /** How far back the first poll of an entity reaches, in milliseconds; a day by default. */
  lookBack?: number
}

export interface IodaPollerDeps {
  settings: IodaPollerSettings
  sql: Sql
  fetch?: typeof globalThis.fetch
  now?: () => Date
  log?: (event: { poller: string; newRecords?: number; error?: string; retryInMs?: number }) => void
}

export interface IodaPollResult {
  entity: string
  points: number
  pointsInserted: number
  events: number
  eventsInserted: number
  /** Malformed records left out of the answers. */
  rejected: number
  /** Answers unchanged since the last poll (304 to a conditional request). */
  notModified: number
}

export type IodaPoller = PollLoop<IodaPollResult>
export type IodaPollReport = PollReport<IodaPollResult>

const WINDOW_STEP_S = 300
// IODA fills and revises its latest buckets for a while; each poll asks for the last hours again.
const OVERLAP_S = 3 * 3600
const PAGE_LIMIT = 1_000
const MAX_PAGES = 10

function apiBase(apiUrl: string): URL {
  return new URL(apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`)
}

/** The URLs of one poll of an entity over [from, until) in seconds. */
export function iodaUrls(
  apiUrl: string,
  entity: IodaEntity,
  from: number,
  until: number,
): { signals: string; events: (page: number) => string; alerts: (page: number) => string } {
  const base = apiBase(apiUrl)
  const path = `${encodeURIComponent(entity.type)}/${encodeURIComponent(entity.code)}`
  const withTimes = (relative: string, extra: Record<string, string> = {}) => {
    const url = new URL(relative, base)
    url.searchParams.set('from', String(from))
    url.searchParams.set('until', String(until))
    for (const [key, value] of Object.entries(extra)) url.searchParams.set(key, value)
    return url.toString()
  }
  return {
    signals: withTimes(`signals/raw/${path}`),
    events: (page) =>
      withTimes(`outages/events/${path}`, {
        format: 'ioda',
        includeAlerts: 'true',
        limit: String(PAGE_LIMIT),
        page: String(page),
      }),
    alerts: (page) => withTimes(`outages/alerts/${path}`, { limit: String(PAGE_LIMIT), page: String(page) }),
  }
}

/**
 * One poll target per configured entity (`ioda:country/KZ`, `ioda:region/1473`, `ioda:asn/9198`), run by
 * the shared poll loop; each poll stores the new signal points, events and alerts of the entity and
 * returns an IodaPollResult.
 */
export function createIodaPoller(deps: IodaPollerDeps): IodaPoller {
  const target = (entity: IodaEntity): PollTarget<IodaPollResult> => ({
    name: `ioda:${entity.type}/${entity.code}`,
    kind: 'ioda',
    url: apiBase(deps.settings.apiUrl).toString(),
    poll: (context) => pollEntity(entity, context),
  })

  const pollEntity = async (entity: IodaEntity, { now, state, signal }: PollContext) => {
    const cursor = state?.cursor ?? {}
    const nowS = Math.floor(now.getTime() / 1000)
    const until = Math.floor(nowS / WINDOW_STEP_S) * WINDOW_STEP_S
    const polledUntil = typeof cursor.until === 'number' ? cursor.until : null
    const lookBack = Math.floor((deps.settings.lookBack ?? 86_400_000) / 1000)
    // Inside the window of the last poll the same URLs are asked again (conditionally).
    const from =
      polledUntil === until && typeof cursor.from === 'number'
        ? cursor.from
        : polledUntil === null
          ? until - lookBack
          : Math.max(until - lookBack, polledUntil - OVERLAP_S)
    const urls = iodaUrls(deps.settings.apiUrl, entity, from, until)
    const validators = isObject(cursor.validators) ? (cursor.validators as Record<string, Validators>) : {}
    const kept: Record<string, Validators> = {}
    const result: IodaPollResult = {
      entity: `${entity.type}/${entity.code}`,
      points: 0,
      pointsInserted: 0,
      events: 0,
      eventsInserted: 0,
      rejected: 0,
      notModified: 0,
    }
    const files: IodaFile[] = []
    const fetchAnswer = async (url: string): Promise<IodaFile | null> => {
      const page = await getJson(url, { fetch: deps.fetch, signal, validators: validators[url] }, now)
      if (page.validators.etag || page.validators.lastModified) kept[url] = page.validators
      if (page.status === 304) {
        result.notModified += 1
        if (validators[url]) kept[url] = validators[url]
        return null
      }
      // An answer that is not IODA's (or IODA's error envelope) fails the poll, naming the URL.
      let file: IodaFile
      try {
        file = parseIodaFile(page.text)
      } catch (error) {
        throw new Error(`${url}: ${(error as Error).message}`)
      }
      result.rejected += file.rejected.length
      files.push(file)
      return file
    }
    await fetchAnswer(urls.signals)
    for (const pages of [urls.events, urls.alerts]) {
      for (let page = 0; page < MAX_PAGES && !signal.aborted; page++) {
        const file = await fetchAnswer(pages(page))
        if (!file || file.events.length < PAGE_LIMIT) break
      }
    }
    if (files.length > 0) {
      const written = await deps.sql.begin((tx) => writeIoda(tx, files))
      Object.assign(result, written)
    }
    return {
      newRecords: result.pointsInserted + result.eventsInserted,
      cursor: { from, until, validators: kept },
      result,
    }
  }

  return createPollLoop({
    sql: deps.sql,
    targets: deps.settings.entities.map(target),
    settings: { interval: deps.settings.interval, maxBackoff: deps.settings.maxBackoff ?? 3_600_000 },
    now: deps.now,
    log: deps.log,
  })
}
