// Newswatch's Prometheus metrics, labelled by configured source name and a fixed set of error codes:
// never an item's URL or an error message.
import { Counter, Gauge, type Registry, registerOnce } from '@vigil/metrics'

function gauge(registry: Registry, name: string, help: string, labelNames: readonly string[]) {
  return registerOnce(registry, name, () => new Gauge({ name, help, labelNames, registers: [registry] }))
}

function counter(registry: Registry, name: string, help: string, labelNames: readonly string[]) {
  return registerOnce(registry, name, () => new Counter({ name, help, labelNames, registers: [registry] }))
}

export function createNewswatchMetrics(registry: Registry) {
  const success = gauge(
    registry,
    'vigil_feed_fetch_success',
    'Whether the last fetch of the news source succeeded (1; a 304 counts) or failed (0).',
    ['source'],
  )
  const duration = gauge(
    registry,
    'vigil_feed_fetch_duration_seconds',
    'Duration of the last fetch of the news source.',
    ['source'],
  )
  const items = counter(
    registry,
    'vigil_feed_items_total',
    'News items stored for the first time, by source (an item seen again adds nothing).',
    ['source'],
  )
  const errors = counter(
    registry,
    'vigil_feed_fetch_errors_total',
    'Failed polls of a news source, by fetch error code (or store when the database failed).',
    ['source', 'reason'],
  )
  const reports = counter(
    registry,
    'vigil_detention_reports_total',
    'Detention reports alerted: new reports (update="false") and changes of their count (update="true").',
    ['update'],
  )
  // Both label sets exist from the start at 0, so the first report is an increase Prometheus can see.
  for (const update of ['false', 'true']) reports.inc({ update }, 0)
  const interval = gauge(
    registry,
    'vigil_feed_interval_seconds',
    'Current polling interval of the news source (shorter inside rally windows).',
    ['source'],
  )
  const degraded = gauge(
    registry,
    'vigil_feed_degraded',
    'Whether the last body of the news source was malformed and read only in part (1) or read cleanly (0).',
    ['source', 'reason'],
  )
  const recovered = gauge(
    registry,
    'vigil_feed_items_recovered',
    'Items recovered by a tolerant parse from the last malformed body of the news source (0 when clean).',
    ['source'],
  )
  const dedup = counter(
    registry,
    'vigil_feed_dedup_decisions_total',
    'Identity decisions on items read from a news source: new, same_guid, same_url (seen before), ' +
      'guid_reused (a GUID the source already used for a different article, stored as a new item).',
    ['source', 'decision'],
  )
  const analyses = counter(
    registry,
    'vigil_news_items_analysed_total',
    'News items analysed, by source and outcome: analysed, skipped (stored before, not analysed again), shortened (over the time budget, analysed again on its first part), over_budget (not stored; tried again next poll).',
    ['source', 'outcome'],
  )
  return {
    degraded(source: string, problem: { code: string; itemsRecovered: number } | null): void {
      // One series per source: the reason label changes with the problem, so the old one is cleared.
      degraded.remove({ source, reason: 'feed_malformed' })
      degraded.remove({ source, reason: 'feed_is_html' })
      degraded.remove({ source, reason: 'none' })
      degraded.set({ source, reason: problem?.code ?? 'none' }, problem ? 1 : 0)
      recovered.set({ source }, problem?.itemsRecovered ?? 0)
    },
    deduplicated(source: string, decision: string): void {
      dedup.inc({ source, decision })
    },
    analysed(source: string, outcome: 'analysed' | 'skipped' | 'shortened' | 'over_budget', count = 1): void {
      if (count > 0) analyses.inc({ source, outcome }, count)
    },
    fetched(source: string, ok: boolean, durationMs: number): void {
      success.set({ source }, ok ? 1 : 0)
      duration.set({ source }, durationMs / 1000)
    },
    failed(source: string, reason: string): void {
      errors.inc({ source, reason })
    },
    stored(source: string, count: number): void {
      items.inc({ source }, count)
    },
    reported(update: boolean): void {
      reports.inc({ update: String(update) })
    },
    interval(source: string, intervalMs: number): void {
      interval.set({ source }, intervalMs / 1000)
    },
  }
}

export type NewswatchMetrics = ReturnType<typeof createNewswatchMetrics>
