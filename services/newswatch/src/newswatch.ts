// The newswatch service: polls every enabled news source at its interval (faster inside rally windows)
// with conditional GETs, stores new items once, files detention items into reports and raises an incident
// for every new report and every change of a report's count. `runOnce()` polls every source now (tests);
// `start()`/`stop()` run the schedule, ticked every second by node-cron.

import { type NewsSource as ConfiguredSource, resolveRegion, type VigilConfig } from '@vigil/config'
import type { Registry } from '@vigil/metrics'
import type { WorkerLoop } from '@vigil/model'
import {
  type Analysis,
  type ClusterCandidate,
  canonicalUrl,
  decideCluster,
  type FetchErrorCode,
  type FetchOptions,
  type FetchResult,
  fetchSource,
  joinReport,
  type NewsItem,
  nextHealth,
  reportIncident,
  type SourceHealth,
  toClusterCandidate,
} from '@vigil/news'
import { storableJson, storableText } from '@vigil/outside-text'
import {
  createReport,
  getReport,
  getSource,
  type InsertedNewsItems,
  isTransient,
  type NewNewsItem,
  type NewsItemRecord,
  type ReportWithItems,
  raiseIncident,
  recordSourceFetch,
  reportsOnDay,
  type Sql,
  type StoredSource,
  sqlState,
  storedNewsItemKeys,
  storedNewsItemMatch,
  storeNewsItems,
  type TransactionSql,
  updateReport,
  upsertSources,
} from '@vigil/store'
import cron, { type ScheduledTask } from 'node-cron'
import type { Logger } from 'pino'
import { type AnalysisThread, BudgetExceededError, createAnalysisThread } from './analysis-thread.js'
import { createNewswatchMetrics, type NewswatchMetrics } from './metrics.js'
import {
  configGazetteer,
  configVocabulary,
  sourceInterval,
  toNewsSource,
  utcOffsetMinutes,
} from './sources.js'

// Filing items into reports is serialised, across sources and across replicas, so one event read from
// two outlets at once still becomes one report. Any fixed number works; this one is "news" in ASCII.
const FILING_LOCK = 0x6e657773
// Longest GUID or link kept as an item's identity; B-tree index entries are limited to about 2.7 kB.
const MAX_KEY_LENGTH = 2000

export interface NewswatchDeps {
  config: VigilConfig
  sql: Sql
  registry?: Registry
  logger?: Logger
  now?: () => Date
  /** Overrides for every fetch (a dispatcher, a user agent, a shorter timeout in tests). */
  fetchOptions?: Omit<FetchOptions, 'etag' | 'lastModified' | 'signal'>
  /** Time budgets of the analysis thread, per item and per body parsed. */
  analysis?: { itemBudgetMs?: number; parseBudgetMs?: number }
}

export interface SourcePoll {
  source: string
  status: 'ok' | 'not_modified' | 'error'
  /** A fetch error code from the news package, or `store` when the database failed. */
  error: { code: string; message: string } | null
  /** Items the source's body held. */
  items: number
  /** Items stored for the first time. */
  newItems: number
}

/** A report people are told about: a new one, or a change of its count. */
export interface ReportAlert {
  reportId: number
  version: number
  update: boolean
  incidentId: number
}

export interface NewswatchRun {
  polls: SourcePoll[]
  alerts: ReportAlert[]
}

export interface Newswatch extends WorkerLoop<NewswatchRun> {
  readonly sources: readonly ConfiguredSource[]
  /** Polls every enabled source now, in parallel. */
  runOnce(options?: { signal?: AbortSignal }): Promise<NewswatchRun>
  /** Polls the sources that are due; called every second by the schedule. */
  tick(): void
  start(): void
  /** Stops scheduling, interrupts running polls and waits for them. */
  stop(): Promise<void>
}

interface PreparedItem {
  record: NewNewsItem
  candidate: ClusterCandidate
  /** When the item happened for ordering: its publication time, or the fetch time when that is suspect. */
  orderAt: Date
}

interface ItemIdentity {
  guid: string | null
  link: string | null
  canonical: string | null
}

// An item over its analysis budget is analysed again on this much of its text: the first sentences of
// news copy say who was detained where.
const SHORTENED = { title: 300, summary: 1_000 }

interface Fetched {
  source: string
  result: FetchResult
  prepared: PreparedItem[]
  previous: SourceHealth | null
}

export function createNewswatch(deps: NewswatchDeps): Newswatch {
  const { config, sql } = deps
  const now = deps.now ?? (() => new Date())
  const logger = deps.logger
  const metrics: NewswatchMetrics | undefined = deps.registry
    ? createNewswatchMetrics(deps.registry)
    : undefined
  const sources = config.news.sources.filter((source) => source.enabled)
  const analyzeOptions = { gazetteer: configGazetteer(config), extraVocabulary: configVocabulary(config) }
  const defaultZone = config.regions[0]?.timeZone ?? 'UTC'
  const lastStart = new Map<string, number>()
  const running = new Map<string, Promise<NewswatchRun>>()
  const lifetime = new AbortController()
  let registered: Promise<void> | undefined
  let task: ScheduledTask | undefined

  const register = () => {
    registered ??= upsertSources(
      sql,
      config.news.sources.map((source) => ({ name: source.name, url: source.url, type: source.type })),
    ).catch((error) => {
      registered = undefined
      throw error
    })
    return registered
  }

  let thread: AnalysisThread | undefined
  const analysisThread = () => {
    thread ??= createAnalysisThread({ analyzeOptions, ...deps.analysis })
    return thread
  }

  const identify = (item: NewsItem): ItemIdentity | null => {
    // Identities too long to index are no identities: a hostile feed must not fail the round's write.
    const link = item.link && item.link.length <= MAX_KEY_LENGTH ? item.link : null
    const guid = item.guid && item.guid.length <= MAX_KEY_LENGTH ? storable(item.guid) : null
    const canonical = link ? canonicalUrl(link) : null
    // Without a GUID or a usable link the item cannot be recognised next time, so it is not stored.
    if (!guid && !canonical) return null
    return { guid, link, canonical }
  }

  /**
   * The analysis of an item, in the analysis thread under its time budget. Over budget, the item is analysed
   * again on its first part; over budget again, it is left for the next poll (null).
   */
  const analyse = async (source: string, item: NewsItem): Promise<Analysis | null> => {
    try {
      const analysis = await analysisThread().analyze(item)
      metrics?.analysed(source, 'analysed')
      return analysis
    } catch (error) {
      if (!(error instanceof BudgetExceededError)) throw error
    }
    try {
      const analysis = await analysisThread().analyze({
        ...item,
        title: item.title.slice(0, SHORTENED.title),
        summary: (item.summary || item.content).slice(0, SHORTENED.summary),
        content: '',
      })
      metrics?.analysed(source, 'shortened')
      logger?.warn({ source, link: item.link }, 'news item over its analysis budget; analysed its first part')
      return analysis
    } catch (error) {
      if (!(error instanceof BudgetExceededError)) throw error
      metrics?.analysed(source, 'over_budget')
      logger?.error(
        { source, link: item.link },
        'news item over its analysis budget twice; left for the next poll',
      )
      return null
    }
  }

  const prepare = (
    source: string,
    item: NewsItem,
    { guid, link, canonical }: ItemIdentity,
    analysis: Analysis,
    fetchedAt: Date,
  ): PreparedItem => {
    const published = item.published ? new Date(item.published) : null
    // A publication time in the future or before the web is kept as written, but the fetch time stands in
    // for it wherever time decides something (the report's day, filing order).
    const orderAt = published && !item.dateIssue ? published : fetchedAt
    const zone = (analysis.cities[0] && resolveRegion(config, analysis.cities[0])?.timeZone) ?? defaultZone
    const candidate = toClusterCandidate({ ...item, published: orderAt.toISOString() }, analysis, {
      utcOffsetMinutes: utcOffsetMinutes(zone, orderAt),
    })
    return {
      candidate,
      orderAt,
      record: {
        source,
        guid,
        canonicalUrl: canonical,
        title: storable(item.title || link || ''),
        link: link && storable(link),
        publishedAt: published,
        language: analysis.language,
        detention: analysis.detention,
        score: analysis.score,
        counts: storableJson(analysis.counts),
        cityCounts: storableJson(analysis.cityCounts),
        cities: analysis.cities.map(storable),
        dates: analysis.dates.map(storable),
        people: analysis.people.map(storable),
        evidence: storable(analysis.evidence),
        fetchedAt,
        dateIssue: item.dateIssue ?? null,
        linkUnresolved: item.linkUnresolved ?? false,
      },
    }
  }

  /**
   * Files one new detention item into a report and raises or refreshes the report's incident. `days` holds
   * the reports of each day read so far in this round's transaction, kept current as items are filed, so a
   * round of many items reads each day's reports once instead of once per item (a feed of thousands of
   * detention items made that quadratic, and each read a long store call).
   */
  const file = async (
    tx: TransactionSql,
    item: NewsItemRecord,
    candidate: ClusterCandidate,
    at: Date,
    days: Map<string, ReportWithItems[]>,
  ): Promise<ReportAlert | null> => {
    let reports: ReportWithItems[] = []
    if (candidate.day) {
      reports = days.get(candidate.day) ?? (await reportsOnDay(tx, candidate.day))
      days.set(candidate.day, reports)
    }
    const decision = decideCluster(candidate, reports)
    let reportId: number
    let alerted: boolean
    if (decision.kind === 'new') {
      const created = await createReport(
        tx,
        {
          day: candidate.day,
          cities: [...candidate.cities],
          counts: [...candidate.counts],
          cityCounts: item.cityCounts ?? [],
          language: item.language,
          title: item.title,
          evidence: item.evidence,
          people: [...candidate.people],
          at,
        },
        item.id,
      )
      reportId = created.id
      alerted = true
    } else {
      reportId = decision.report.id
      await updateReport(
        tx,
        reportId,
        item.id,
        joinReport(decision.report, candidate, item, decision.countUpdate, at),
      )
      alerted = decision.countUpdate
    }
    const report = (await getReport(tx, reportId))!
    if (candidate.day) {
      // In the order reportsOnDay reads them: most recently updated first, then the newest.
      const current = [report, ...reports.filter((other) => other.id !== report.id)].sort(
        (a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || b.id - a.id,
      )
      days.set(candidate.day, current)
    }
    // Every joining source refreshes the incident's evidence; only a new report or a new count is an alert.
    const raised = await raiseIncident(tx, reportIncident(report, at))
    if (!alerted) return null
    logger?.info(
      { report: report.id, version: report.version, cities: report.cities, count: report.maxCount },
      decision.kind === 'new' ? 'new detention report' : 'detention report updated',
    )
    return {
      reportId: report.id,
      version: report.version,
      update: decision.kind === 'join',
      incidentId: raised.incident.id,
    }
  }

  /** Fetches one source with the validators stored for it; a source's problem comes back as data. */
  const fetchOne = async (configured: ConfiguredSource, signal: AbortSignal): Promise<Fetched> => {
    const stored = await getSource(sql, configured.name)
    const result = await fetchSource(toNewsSource(configured), {
      timeoutMs: configured.timeout,
      maxBytes: configured.maxBytes,
      // Decoding and parsing run in the analysis thread, off the event loop.
      parse: (source, bytes, options) => analysisThread().parse(source, bytes, options),
      ...deps.fetchOptions,
      etag: stored?.etag ?? null,
      lastModified: stored?.lastModified ?? null,
      signal,
    })
    const fetchedAt = new Date(result.fetchedAt)
    const identified = result.items
      .map((item) => ({ item, identity: identify(item) }))
      .filter((entry): entry is { item: NewsItem; identity: ItemIdentity } => entry.identity !== null)
    // Items stored before are not analysed again: a feed repeats its last items on every poll.
    const known = await storedNewsItemKeys(sql, configured.name, {
      guids: identified.flatMap(({ identity }) => (identity.guid ? [identity.guid] : [])),
      canonicalUrls: identified.flatMap(({ identity }) => (identity.canonical ? [identity.canonical] : [])),
    })
    const fresh = identified.filter(({ item, identity }) => {
      const match = storedNewsItemMatch(known, {
        guid: identity.guid,
        canonicalUrl: identity.canonical,
        title: storable(item.title || identity.link || ''),
      })
      // The identity decision is made here for an item seen before, and counted as the store counts its own.
      if (match) metrics?.deduplicated(configured.name, match)
      return match === null
    })
    metrics?.analysed(configured.name, 'skipped', identified.length - fresh.length)
    const prepared: PreparedItem[] = []
    for (const { item, identity } of fresh) {
      if (signal.aborted) break
      const analysis = await analyse(configured.name, item)
      if (analysis) prepared.push(prepare(configured.name, item, identity, analysis, fetchedAt))
    }
    return { source: configured.name, result, prepared, previous: storedHealth(stored) }
  }

  /**
   * Polls sources together: fetches in parallel, then records every result and files every new detention
   * item in one transaction, oldest first, so items about one event read from several outlets in one round
   * file in publication order whichever answered first, and a failed write leaves the validators unchanged
   * for the whole round to be fetched again.
   */
  const pollBatch = async (
    batch: readonly ConfiguredSource[],
    signal: AbortSignal,
  ): Promise<NewswatchRun> => {
    if (batch.length === 0) return { polls: [], alerts: [] }
    try {
      await register()
      const fetched = await Promise.all(batch.map((source) => fetchOne(source, signal)))
      // Interrupted by shutdown: nothing was learnt about the sources.
      if (signal.aborted) return { polls: [], alerts: [] }
      const at = now()
      for (const { source, result } of fetched) {
        metrics?.fetched(source, result.status !== 'error', result.durationMs)
        if (result.error) metrics?.failed(source, result.error.code)
        if (result.status === 'ok') {
          metrics?.degraded(source, result.degraded)
          logger?.debug({ source, charset: result.charset }, `news source charset: ${result.charsetReason}`)
          if (result.charsetReason?.includes('overruled') || result.charsetReason?.includes('guessed')) {
            logger?.info({ source, charset: result.charset }, `news source charset: ${result.charsetReason}`)
          }
          if (result.degraded) {
            logger?.warn(
              {
                source,
                code: result.degraded.code,
                line: result.degraded.line,
                itemsRecovered: result.degraded.itemsRecovered,
              },
              `news source degraded: ${result.degraded.message}`,
            )
          }
        }
      }
      const recorded = await sql.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(${FILING_LOCK})`
        const polls: SourcePoll[] = []
        const fresh: Array<{ item: NewsItemRecord; candidate: ClusterCandidate; orderAt: Date }> = []
        for (const { source, result, prepared, previous } of fetched) {
          const health = nextHealth(previous, result, at)
          if (result.error) {
            logger?.warn(
              { source, code: result.error.code, failures: health.consecutiveFailures, state: health.state },
              `news source failed: ${result.error.message}`,
            )
          }
          // One source's unstorable item costs that source its round, not the other sources theirs.
          let inserted: NewsItemRecord[]
          try {
            const stored = await tx.savepoint((sp) => storeSource(sp, source, result, prepared, health, at))
            inserted = stored.inserted
            for (const decision of stored.decisions) metrics?.deduplicated(source, decision)
            const reused = stored.decisions.filter((decision) => decision === 'guid_reused').length
            if (reused > 0) {
              logger?.warn(
                { source, items: reused },
                'news source reuses GUIDs for different articles; stored them as separate items',
              )
            }
          } catch (error) {
            // Only a statement the database refused is the source's; a lost connection fails the round.
            if (sqlState(error) === undefined || isTransient(error)) throw error
            metrics?.failed(source, 'store')
            logger?.error({ err: error, source }, 'could not store the items of the news source')
            polls.push({
              source,
              status: 'error',
              error: { code: 'store', message: error instanceof Error ? error.message : String(error) },
              items: result.items.length,
              newItems: 0,
            })
            continue
          }
          const byIdentity = new Map(prepared.map((item) => [identityOf(item.record), item]))
          for (const item of inserted) {
            const preparedItem = byIdentity.get(identityOf(item))!
            if (item.detention)
              fresh.push({ item, candidate: preparedItem.candidate, orderAt: preparedItem.orderAt })
          }
          polls.push({
            source,
            status: result.status,
            error: result.error,
            items: result.items.length,
            newItems: inserted.length,
          })
        }
        const alerts: ReportAlert[] = []
        const days = new Map<string, ReportWithItems[]>()
        // Oldest first, so a later item with a higher count is the update, not the original.
        for (const { item, candidate } of fresh.sort(
          (a, b) => a.orderAt.getTime() - b.orderAt.getTime() || a.item.id - b.item.id,
        )) {
          const alert = await file(tx, item, candidate, at, days)
          if (alert) alerts.push(alert)
        }
        return { polls, alerts }
      })
      for (const poll of recorded.polls) metrics?.stored(poll.source, poll.newItems)
      for (const alert of recorded.alerts) metrics?.reported(alert.update)
      return recorded
    } catch (error) {
      if (signal.aborted) return { polls: [], alerts: [] }
      // The database failed; these sources are tried again at their next turn, and other rounds go on.
      logger?.error(
        { err: error, sources: batch.map((s) => s.name) },
        'could not record a round of news polls',
      )
      const message = error instanceof Error ? error.message : String(error)
      return {
        polls: batch.map((source) => {
          metrics?.failed(source.name, 'store')
          return {
            source: source.name,
            status: 'error',
            error: { code: 'store', message },
            items: 0,
            newItems: 0,
          }
        }),
        alerts: [],
      }
    }
  }

  const runBatch = (batch: readonly ConfiguredSource[], signal: AbortSignal): Promise<NewswatchRun> => {
    const startedAt = now().getTime()
    for (const source of batch) lastStart.set(source.name, startedAt)
    const current = pollBatch(batch, signal).finally(() => {
      for (const source of batch) running.delete(source.name)
    })
    for (const source of batch) running.set(source.name, current)
    return current
  }

  const newswatch: Newswatch = {
    sources,
    async runOnce(options = {}) {
      const signal = options.signal ? AbortSignal.any([options.signal, lifetime.signal]) : lifetime.signal
      // A source already being polled by the schedule is not polled twice; its round's results are included.
      const busy = new Set(
        sources.filter((source) => running.has(source.name)).map((s) => running.get(s.name)!),
      )
      const runs = await Promise.all([
        runBatch(
          sources.filter((source) => !running.has(source.name)),
          signal,
        ),
        ...busy,
      ])
      return { polls: runs.flatMap((run) => run.polls), alerts: runs.flatMap((run) => run.alerts) }
    },
    tick() {
      const at = now()
      const due = sources.filter((source) => {
        const intervalMs = sourceInterval(config, source, at)
        metrics?.interval(source.name, intervalMs)
        const last = lastStart.get(source.name)
        return !running.has(source.name) && (last === undefined || at.getTime() - last >= intervalMs)
      })
      if (due.length > 0) void runBatch(due, lifetime.signal)
    },
    start() {
      if (task) return
      logger?.info({ sources: sources.map((source) => source.name) }, 'newswatch started')
      task = cron.schedule('* * * * * *', () => newswatch.tick(), { name: 'newswatch', noOverlap: true })
      newswatch.tick()
    },
    async stop() {
      await task?.destroy()
      task = undefined
      lifetime.abort()
      await Promise.allSettled([...running.values()])
      await thread?.close()
      thread = undefined
    },
  }
  return newswatch
}

/** Stores a source's new items and its health after the fetch; returns the items stored for the first time. */
async function storeSource(
  sql: TransactionSql,
  source: string,
  result: FetchResult,
  prepared: readonly PreparedItem[],
  health: SourceHealth,
  at: Date,
): Promise<InsertedNewsItems> {
  const stored = await storeNewsItems(
    sql,
    prepared.map((item) => item.record),
  )
  const { inserted } = stored
  await recordSourceFetch(sql, {
    name: source,
    fetchedAt: at,
    state: health.state,
    lastSuccessAt: toDate(health.lastSuccessAt),
    lastErrorAt: toDate(health.lastErrorAt),
    lastErrorCode: health.lastError?.code ?? null,
    lastError: health.lastError?.message ?? null,
    consecutiveFailures: health.consecutiveFailures,
    etag: result.etag,
    lastModified: result.lastModified,
    newItems: inserted.length,
    guidCollisions: stored.decisions.filter((decision) => decision === 'guid_reused').length,
    // A 304 or a failure says nothing new about the body or its charset.
    ...(result.status === 'ok'
      ? { degraded: result.degraded, charset: result.charset, charsetReason: result.charsetReason }
      : {}),
  })
  return stored
}

// Feed text is text from outside: NUL and lone surrogates replaced and lengths bounded where it enters.
const storable = (text: string) => storableText(text, 4_000)

function storedHealth(stored: StoredSource | undefined): SourceHealth | null {
  if (!stored) return null
  return {
    lastSuccessAt: stored.lastSuccessAt?.toISOString() ?? null,
    lastErrorAt: stored.lastErrorAt?.toISOString() ?? null,
    lastError: stored.lastErrorCode
      ? { code: stored.lastErrorCode as FetchErrorCode, message: stored.lastError ?? '' }
      : null,
    consecutiveFailures: stored.consecutiveFailures,
    state: stored.state,
    degraded: stored.degraded && {
      ...stored.degraded,
      code: stored.degraded.code as NonNullable<FetchResult['degraded']>['code'],
    },
  }
}

function toDate(iso: string | null): Date | null {
  return iso === null ? null : new Date(iso)
}

function identityOf(item: Pick<NewNewsItem, 'guid' | 'canonicalUrl' | 'title'>): string {
  // The title too: a source that reuses one GUID may also give no link.
  return `${item.guid ?? ''}\u0000${item.canonicalUrl ?? ''}\u0000${item.title}`
}
