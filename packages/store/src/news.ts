// The news tables: sources with their fetch health, news items stored once, and detention reports that
// group items about one event. The newswatch service decides; these functions record the decisions.
import type {
  CityCount,
  CountQualifier,
  DetentionReportChange,
  ReportCount,
  StoredDetentionReport,
  StoredDetentionReportWithItems,
  StoredNewsItem,
} from '@vigil/model'
import type { Sql, TransactionSql } from './connect.js'

type Db = Sql | TransactionSql

export type NewsSourceType = 'rss' | 'atom' | 'html'
export type SourceHealthState = 'unknown' | 'ok' | 'degraded' | 'failing' | 'down'
export type { CityCount, CountQualifier, ReportCount }

export interface SourceRecord {
  name: string
  url: string
  type: NewsSourceType
}

export interface StoredSource extends SourceRecord {
  state: SourceHealthState
  lastFetchAt: Date | null
  lastSuccessAt: Date | null
  lastErrorAt: Date | null
  lastErrorCode: string | null
  lastError: string | null
  consecutiveFailures: number
  etag: string | null
  lastModified: string | null
  itemsSeen: number
  /** What was wrong with the last body read only in part; null after a clean read. */
  degraded: SourceDegradation | null
  /** The charset the last body was read in, and why. */
  charset: string | null
  charsetReason: string | null
  /** Items stored although the source had already used their GUID for a different article. */
  guidCollisions: number
}

/** A body read in part: the parse error code, its message and line, and the items recovered. */
export interface SourceDegradation {
  code: string
  message: string
  line: number | null
  itemsRecovered: number
}

/** The outcome of one fetch of a source: its health afterwards and the validators for the next one. */
export interface SourceFetchRecord {
  name: string
  fetchedAt: Date
  state: SourceHealthState
  lastSuccessAt: Date | null
  lastErrorAt: Date | null
  lastErrorCode: string | null
  lastError: string | null
  consecutiveFailures: number
  etag: string | null
  lastModified: string | null
  /** Items stored for the first time by this fetch. */
  newItems: number
  /** The body's degradation, null for a clean read; left as it was when undefined (a 304, a failure). */
  degraded?: SourceDegradation | null
  charset?: string | null
  charsetReason?: string | null
  /** Items of this fetch stored under a GUID the source had used for another article. */
  guidCollisions?: number
}

/** How `insertNewsItems` decided about each item: counted per source in a metric. */
export type DedupDecision = 'new' | 'same_guid' | 'same_url' | 'guid_reused'

export interface InsertedNewsItems {
  /** Items stored for the first time, in input order. */
  inserted: NewsItemRecord[]
  /** Every item's decision, in input order. */
  decisions: DedupDecision[]
}

/** A news item to store: the contracts' stored news item before the store gives it its id. */
export type NewNewsItem = Omit<StoredNewsItem, 'id'>

/** A stored news item. */
export type NewsItemRecord = StoredNewsItem

export interface NewReport {
  /** The event's local day, YYYY-MM-DD. */
  day: string | null
  cities: string[]
  counts: ReportCount[]
  /** Per-city tally; default none. */
  cityCounts?: CityCount[]
  language: string
  title: string
  evidence: string
  people: string[]
  at: Date
}

/** A stored detention report: the contracts' type. */
export type Report = StoredDetentionReport

/** A stored detention report with its items, in the order they joined it. */
export type ReportWithItems = StoredDetentionReportWithItems

/** What a joining item changes in a stored report: the contracts' type. */
export type ReportChange = DetentionReportChange

export interface ReportFilter {
  /** First and last day (YYYY-MM-DD, both inclusive); a report without a day counts by its first sighting. */
  from?: string | undefined
  to?: string | undefined
  city?: string | undefined
  limit: number
}

/** Records the configured sources; a changed URL drops the validators that belonged to the old one. */
export async function upsertSources(sql: Db, sources: readonly SourceRecord[]): Promise<void> {
  for (const source of sources) {
    await sql`
      insert into sources (name, url, type) values (${source.name}, ${source.url}, ${source.type})
      on conflict (name) do update set
        etag = case when sources.url = excluded.url then sources.etag end,
        last_modified = case when sources.url = excluded.url then sources.last_modified end,
        url = excluded.url,
        type = excluded.type,
        updated_at = now()`
  }
}

export async function getSource(sql: Db, name: string): Promise<StoredSource | undefined> {
  const [row] = await sql<SourceRow[]>`select * from sources where name = ${name}`
  return row ? sourceFromRow(row) : undefined
}

export async function listSources(sql: Db): Promise<StoredSource[]> {
  const rows = await sql<SourceRow[]>`select * from sources order by name`
  return rows.map(sourceFromRow)
}

export async function recordSourceFetch(sql: Db, fetch: SourceFetchRecord): Promise<void> {
  await sql`
    update sources set
      state = ${fetch.state},
      last_fetch_at = ${fetch.fetchedAt},
      last_success_at = ${fetch.lastSuccessAt},
      last_error_at = ${fetch.lastErrorAt},
      last_error_code = ${fetch.lastErrorCode},
      last_error = ${fetch.lastError},
      consecutive_failures = ${fetch.consecutiveFailures},
      etag = ${fetch.etag},
      last_modified = ${fetch.lastModified},
      items_seen = items_seen + ${fetch.newItems},
      guid_collisions = guid_collisions + ${fetch.guidCollisions ?? 0},
      updated_at = now()
    where name = ${fetch.name}`
  if (fetch.degraded !== undefined) {
    const degraded = fetch.degraded
    await sql`
      update sources set
        degraded_code = ${degraded?.code ?? null},
        degraded_message = ${degraded?.message ?? null},
        degraded_line = ${degraded?.line ?? null},
        degraded_items = ${degraded?.itemsRecovered ?? null}
      where name = ${fetch.name}`
  }
  if (fetch.charset !== undefined) {
    await sql`
      update sources set charset = ${fetch.charset ?? null}, charset_reason = ${fetch.charsetReason ?? null}
      where name = ${fetch.name}`
  }
}

// Most keys (ids, GUIDs, URLs) one statement of a news read carries: each statement stays short on the
// embedded database, which runs on the main thread.
const STATEMENT_KEYS = 200

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Stores the items not stored before; returns only those. See `storeNewsItems`. */
export async function insertNewsItems(sql: Db, items: readonly NewNewsItem[]): Promise<NewsItemRecord[]> {
  return (await storeNewsItems(sql, items)).inserted
}

/**
 * Stores the items not stored before and says what it decided for each. An item is the same as a stored
 * one when its canonical URL is already stored (any source: `same_url`), or when its source already has
 * its GUID for an article with the same canonical URL or the same title (`same_guid`). A GUID the source
 * already used for an article with a different link and a different title is a publisher reusing
 * identities (feedbin/support#573: a CMS writing the site root as every item's guid): the item is stored
 * as new (`guid_reused`). Check-then-insert, so callers serialise filing (newswatch holds an advisory lock).
 */
export async function storeNewsItems(sql: Db, items: readonly NewNewsItem[]): Promise<InsertedNewsItems> {
  const inserted: NewsItemRecord[] = []
  const decisions: DedupDecision[] = []
  for (const item of items) {
    let reused = false
    if (item.guid !== null) {
      const sameGuid = await sql<{ canonical_url: string | null; title: string }[]>`
        select canonical_url, title from news_items where source = ${item.source} and guid = ${item.guid}`
      if (
        sameGuid.some(
          (row) =>
            (item.canonicalUrl !== null && row.canonical_url === item.canonicalUrl) ||
            row.title === item.title ||
            (item.canonicalUrl === null && row.canonical_url === null),
        )
      ) {
        decisions.push('same_guid')
        continue
      }
      reused = sameGuid.length > 0
    }
    const [row] = await sql<NewsItemRow[]>`
      insert into news_items (source, guid, canonical_url, title, link, published_at, language, detention, score,
                              counts, city_counts, cities, dates, people, evidence, fetched_at, date_issue,
                              link_unresolved)
      values (${item.source}, ${item.guid}, ${item.canonicalUrl}, ${item.title}, ${item.link}, ${item.publishedAt},
              ${item.language}, ${item.detention}, ${item.score}, ${sql.json(item.counts as never)},
              ${sql.json((item.cityCounts ?? []) as never)},
              ${item.cities}::text[], ${item.dates}::text[], ${item.people}::text[], ${item.evidence},
              ${item.fetchedAt}, ${item.dateIssue ?? null}, ${item.linkUnresolved ?? false})
      on conflict do nothing
      returning *`
    if (row) {
      inserted.push(itemFromRow(row))
      decisions.push(reused ? 'guid_reused' : 'new')
    } else {
      decisions.push('same_url')
    }
  }
  return { inserted, decisions }
}

/**
 * What a source's new items are checked against before they are analysed: the canonical URLs already
 * stored (any source), and for each GUID the source already used, the canonical URL and title of every
 * article stored under it. An item is "already stored" by the same rule `storeNewsItems` applies, so a
 * GUID the publisher reuses for a different article does not hide that article.
 */
export async function storedNewsItemKeys(
  sql: Db,
  source: string,
  keys: { guids: readonly string[]; canonicalUrls: readonly string[] },
): Promise<{
  guids: Map<string, Array<{ canonicalUrl: string | null; title: string }>>
  canonicalUrls: Set<string>
}> {
  const guids = new Map<string, Array<{ canonicalUrl: string | null; title: string }>>()
  const canonicalUrls = new Set<string>()
  const asked = new Set(keys.canonicalUrls)
  const seen = new Set<string>()
  // Bounded statements with a turn of the event loop between (see withItems): a feed may hold thousands.
  const total = Math.max(keys.guids.length, keys.canonicalUrls.length)
  for (let start = 0; start < total; start += STATEMENT_KEYS) {
    if (start > 0) await yieldToEventLoop()
    const guidPart = keys.guids.slice(start, start + STATEMENT_KEYS) as string[]
    const urlPart = keys.canonicalUrls.slice(start, start + STATEMENT_KEYS) as string[]
    const rows = await sql<
      { id: number; source: string; guid: string | null; canonical_url: string | null; title: string }[]
    >`
      select id, source, guid, canonical_url, title from news_items
      where (source = ${source} and guid = any(${guidPart}::text[]))
         or canonical_url = any(${urlPart}::text[])`
    for (const row of rows) {
      // A row may answer a GUID of one statement and a URL of another.
      if (seen.has(String(row.id))) continue
      seen.add(String(row.id))
      if (row.canonical_url !== null && asked.has(row.canonical_url)) canonicalUrls.add(row.canonical_url)
      if (row.source === source && row.guid !== null) {
        const articles = guids.get(row.guid) ?? []
        articles.push({ canonicalUrl: row.canonical_url, title: row.title })
        guids.set(row.guid, articles)
      }
    }
  }
  return { guids, canonicalUrls }
}

/**
 * Whether an item is one already stored, by the rule `storeNewsItems` applies, and which decision that is:
 * `same_url` when its canonical URL is stored, `same_guid` when its GUID was stored by the source for an
 * article with the same canonical URL or the same title; null when it is not stored.
 */
export function storedNewsItemMatch(
  known: Awaited<ReturnType<typeof storedNewsItemKeys>>,
  item: { guid: string | null; canonicalUrl: string | null; title: string },
): 'same_url' | 'same_guid' | null {
  // In the order storeNewsItems decides: the source's own GUID first, then the URL.
  const sameGuid =
    item.guid !== null &&
    (known.guids.get(item.guid) ?? []).some(
      (row) =>
        (item.canonicalUrl !== null && row.canonicalUrl === item.canonicalUrl) ||
        row.title === item.title ||
        (item.canonicalUrl === null && row.canonicalUrl === null),
    )
  if (sameGuid) return 'same_guid'
  if (item.canonicalUrl !== null && known.canonicalUrls.has(item.canonicalUrl)) return 'same_url'
  return null
}

/** Opens a report with its first item. */
export async function createReport(sql: Db, report: NewReport, itemId: number): Promise<Report> {
  const top = largestCount(report.counts)
  const [row] = await sql<ReportRow[]>`
    insert into reports (day, cities, max_count, count_qualifier, counts, city_counts, language, title, evidence,
                         people, first_seen_at, updated_at)
    values (${report.day}::date, ${report.cities}::text[], ${top?.value ?? null}, ${top?.qualifier ?? null},
            ${sql.json(report.counts as never)}, ${sql.json((report.cityCounts ?? []) as never)}, ${report.language}, ${report.title}, ${report.evidence},
            ${report.people}::text[], ${report.at}, ${report.at})
    returning *, to_char(day, 'YYYY-MM-DD') as day_text`
  await sql`insert into report_items (report_id, item_id, added_at) values (${row!.id}, ${itemId}, ${report.at})`
  return reportFromRow(row!)
}

/** Adds an item to a report and records what it changed. */
export async function updateReport(
  sql: Db,
  reportId: number,
  itemId: number,
  change: ReportChange,
): Promise<Report> {
  await sql`
    insert into report_items (report_id, item_id, added_at) values (${reportId}, ${itemId}, ${change.at})
    on conflict do nothing`
  const top = largestCount(change.counts)
  const [row] = await sql<ReportRow[]>`
    update reports set
      cities = ${change.cities}::text[],
      counts = ${sql.json(change.counts as never)},
      city_counts = coalesce(${change.cityCounts === undefined ? null : sql.json(change.cityCounts as never)}, city_counts),
      people = ${change.people}::text[],
      max_count = ${top?.value ?? null},
      count_qualifier = ${top?.qualifier ?? null},
      title = case when ${change.countUpdate} then ${change.title} else title end,
      evidence = case when ${change.countUpdate} then ${change.evidence} else evidence end,
      version = version + case when ${change.countUpdate} then 1 else 0 end,
      updated_at = ${change.at}
    where id = ${reportId}
    returning *, to_char(day, 'YYYY-MM-DD') as day_text`
  return reportFromRow(row!)
}

/** Reports about events on that day, with their items: what a new item is compared with. */
export async function reportsOnDay(sql: Db, day: string): Promise<ReportWithItems[]> {
  const rows = await sql<ReportRow[]>`
    select *, to_char(day, 'YYYY-MM-DD') as day_text from reports where day = ${day}::date
    order by updated_at desc, id desc`
  return withItems(sql, rows.map(reportFromRow))
}

export async function getReport(sql: Db, id: number): Promise<ReportWithItems | undefined> {
  const rows = await sql<ReportRow[]>`
    select *, to_char(day, 'YYYY-MM-DD') as day_text from reports where id = ${id}`
  const [report] = await withItems(sql, rows.map(reportFromRow))
  return report
}

/** Reports by event day and city, most recent day first. */
export async function queryReports(sql: Db, filter: ReportFilter): Promise<ReportWithItems[]> {
  const day = sql`coalesce(day, (first_seen_at at time zone 'UTC')::date)`
  const rows = await sql<ReportRow[]>`
    select *, to_char(day, 'YYYY-MM-DD') as day_text from reports
    where true
      ${filter.from === undefined ? sql`` : sql`and ${day} >= ${filter.from}::date`}
      ${filter.to === undefined ? sql`` : sql`and ${day} <= ${filter.to}::date`}
      ${filter.city === undefined ? sql`` : sql`and ${filter.city} = any(cities)`}
    order by ${day} desc, updated_at desc, id desc
    limit ${filter.limit}`
  return withItems(sql, rows.map(reportFromRow))
}

function largestCount(counts: readonly ReportCount[]): ReportCount | null {
  let top: ReportCount | null = null
  for (const count of counts) if (!top || count.value > top.value) top = count
  return top
}

async function withItems(sql: Db, reports: Report[]): Promise<ReportWithItems[]> {
  if (reports.length === 0) return []
  const ids = reports.map((report) => report.id)
  const byReport = new Map<number, NewsItemRecord[]>()
  // A bounded statement at a time, with a turn of the event loop between: the embedded database runs on
  // the process' main thread, so one read of thousands of reports' items would stall everything else.
  for (let start = 0; start < ids.length; start += STATEMENT_KEYS) {
    if (start > 0) await yieldToEventLoop()
    const rows = await sql<Array<NewsItemRow & { report_id: number }>>`
      select ri.report_id, ni.* from report_items ri join news_items ni on ni.id = ri.item_id
      where ri.report_id in ${sql(ids.slice(start, start + STATEMENT_KEYS))}
      order by ri.added_at, ni.id`
    for (const row of rows) {
      const list = byReport.get(row.report_id) ?? []
      list.push(itemFromRow(row))
      byReport.set(row.report_id, list)
    }
  }
  return reports.map((report) => ({ ...report, items: byReport.get(report.id) ?? [] }))
}

interface SourceRow {
  name: string
  url: string
  type: NewsSourceType
  state: SourceHealthState
  last_fetch_at: Date | null
  last_success_at: Date | null
  last_error_at: Date | null
  last_error_code: string | null
  last_error: string | null
  consecutive_failures: number
  etag: string | null
  last_modified: string | null
  items_seen: number
  degraded_code: string | null
  degraded_message: string | null
  degraded_line: number | null
  degraded_items: number | null
  charset: string | null
  charset_reason: string | null
  guid_collisions: number | string
}

function sourceFromRow(row: SourceRow): StoredSource {
  return {
    name: row.name,
    url: row.url,
    type: row.type,
    state: row.state,
    lastFetchAt: row.last_fetch_at,
    lastSuccessAt: row.last_success_at,
    lastErrorAt: row.last_error_at,
    lastErrorCode: row.last_error_code,
    lastError: row.last_error,
    consecutiveFailures: row.consecutive_failures,
    etag: row.etag,
    lastModified: row.last_modified,
    itemsSeen: row.items_seen,
    degraded: row.degraded_code
      ? {
          code: row.degraded_code,
          message: row.degraded_message ?? '',
          line: row.degraded_line,
          itemsRecovered: row.degraded_items ?? 0,
        }
      : null,
    charset: row.charset,
    charsetReason: row.charset_reason,
    guidCollisions: Number(row.guid_collisions),
  }
}

interface NewsItemRow {
  id: number
  source: string
  guid: string | null
  canonical_url: string | null
  title: string
  link: string | null
  published_at: Date | null
  language: string
  detention: boolean
  score: number
  counts: ReportCount[]
  city_counts: CityCount[] | null
  date_issue: 'unparsed' | 'future' | 'too_early' | null
  link_unresolved: boolean | null
  cities: string[]
  dates: string[]
  people: string[]
  evidence: string
  fetched_at: Date
}

function itemFromRow(row: NewsItemRow): NewsItemRecord {
  return {
    id: row.id,
    source: row.source,
    guid: row.guid,
    canonicalUrl: row.canonical_url,
    title: row.title,
    link: row.link,
    publishedAt: row.published_at,
    language: row.language,
    detention: row.detention,
    score: row.score,
    counts: row.counts,
    cityCounts: row.city_counts ?? [],
    cities: row.cities,
    dates: row.dates,
    people: row.people,
    evidence: row.evidence,
    fetchedAt: row.fetched_at,
    dateIssue: row.date_issue ?? null,
    linkUnresolved: row.link_unresolved ?? false,
  }
}

interface ReportRow {
  id: number
  day_text: string | null
  cities: string[]
  max_count: number | null
  count_qualifier: CountQualifier | null
  counts: ReportCount[]
  city_counts: CityCount[] | null
  language: string
  title: string
  evidence: string
  people: string[]
  first_seen_at: Date
  updated_at: Date
  version: number
}

function reportFromRow(row: ReportRow): Report {
  return {
    id: row.id,
    day: row.day_text,
    cities: row.cities,
    maxCount:
      row.max_count === null || row.count_qualifier === null
        ? null
        : { value: row.max_count, qualifier: row.count_qualifier },
    counts: row.counts,
    cityCounts: row.city_counts ?? [],
    language: row.language,
    title: row.title,
    evidence: row.evidence,
    people: row.people,
    firstSeenAt: row.first_seen_at,
    updatedAt: row.updated_at,
    version: row.version,
  }
}
