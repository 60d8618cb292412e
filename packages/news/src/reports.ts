// Decisions about stored detention reports: which stored report a new item joins, what it changes, and
// the incident that tells people about a report. Pure: newswatch reads the reports and records what is
// decided here.
import type {
  DetentionReportChange,
  DetentionReportEvidence,
  IncidentLevel,
  ReportCount,
  StoredDetentionReportWithItems,
  StoredNewsItem,
} from '@vigil/model'
import { type ClusterCandidate, isCountUpdate, sameEvent } from './cluster.js'
import { mergeCityCounts, mergeCounts } from './counts.js'

type ReportWithItems = StoredDetentionReportWithItems
type ReportChange = DetentionReportChange

/**
 * The incident signal of a detention report, as the store's raiseIncident takes it: one incident per
 * report (`detention_report|<id>`), firing, with the report's evidence.
 */
export interface DetentionReportSignal {
  identity: string
  kind: 'detention_report'
  scopeType: 'report'
  scope: string
  region: string | null
  level: IncidentLevel
  state: 'firing'
  summary: string
  evidence: DetentionReportEvidence
  at: Date
}

/** A head count from which a report is critical: a mass detention rather than a few people. */
export const CRITICAL_COUNT = 100

export type ClusterDecision =
  | { kind: 'new' }
  | { kind: 'join'; report: ReportWithItems; countUpdate: boolean }

/** What clustering compares for an item already in a report: its own text, the report's day. */
export function storedCandidate(report: ReportWithItems, item: StoredNewsItem): ClusterCandidate {
  return {
    day: report.day,
    cities: item.cities.length ? item.cities : report.cities,
    language: item.language as ClusterCandidate['language'],
    text: `${item.title} ${item.evidence}`,
    people: item.people,
    counts: item.counts,
  }
}

/**
 * The report a new item belongs to: the most recently updated one with an item about the same event
 * (same day, a shared city, similar text), or a new report.
 */
export function decideCluster(
  candidate: ClusterCandidate,
  reports: readonly ReportWithItems[],
): ClusterDecision {
  for (const report of reports) {
    if (report.items.some((item) => sameEvent(candidate, storedCandidate(report, item)))) {
      return { kind: 'join', report, countUpdate: isCountUpdate(report.counts, candidate.counts) }
    }
  }
  return { kind: 'new' }
}

/** What joining the item changes in the report. A higher count makes the item's sentence the evidence. */
export function joinReport(
  report: ReportWithItems,
  candidate: ClusterCandidate,
  item: { title: string; evidence: string; cityCounts?: ReportChange['cityCounts'] },
  countUpdate: boolean,
  at: Date,
): ReportChange {
  return {
    cities: [...new Set([...report.cities, ...candidate.cities])],
    counts: mergeCounts([...report.counts, ...candidate.counts]),
    // The per-city tally: the largest figure each city was given, by any item of the report.
    cityCounts: mergeCityCounts([...report.cityCounts, ...(item.cityCounts ?? [])]),
    people: [...new Set([...report.people, ...candidate.people])],
    countUpdate,
    title: item.title,
    evidence: item.evidence,
    at,
  }
}

/** Critical from CRITICAL_COUNT detained, warning below and when no count is given. */
export function reportLevel(report: Pick<ReportWithItems, 'maxCount'>): IncidentLevel {
  return report.maxCount && report.maxCount.value >= CRITICAL_COUNT ? 'critical' : 'warning'
}

/** A count as people read it: `about 700`, `at least 300`, `up to 40`, `12`, or `count not given`. */
export function describeCount(count: ReportCount | null): string {
  if (!count) return 'count not given'
  switch (count.qualifier) {
    case 'approx':
      return `about ${count.value}`
    case 'at_least':
      return `at least ${count.value}`
    case 'up_to':
      return `up to ${count.value}`
    default:
      return String(count.value)
  }
}

/** The identity of a report's incident: one incident per stored report, whatever its versions. */
export function reportIdentity(reportId: number): string {
  return `detention_report|${reportId}`
}

/** The incident for a report as it stands now; `update` once its count has changed since it was opened. */
export function reportIncident(report: ReportWithItems, at: Date): DetentionReportSignal {
  const update = report.version > 1
  const where = report.cities.length ? report.cities.join(', ') : 'an unnamed place'
  const sources = new Set(report.items.map((item) => item.source))
  const summary = [
    update ? 'Updated detention report' : 'Detention report',
    `: ${describeCount(report.maxCount)} detained in ${where}`,
    report.day ? ` on ${report.day}` : '',
    ` (${sources.size} ${sources.size === 1 ? 'source' : 'sources'})`,
  ].join('')
  return {
    identity: reportIdentity(report.id),
    kind: 'detention_report',
    scopeType: 'report',
    scope: String(report.id),
    region: report.cities[0] ?? null,
    level: reportLevel(report),
    state: 'firing',
    summary,
    evidence: {
      reportId: report.id,
      version: report.version,
      update,
      day: report.day,
      cities: report.cities,
      count: report.maxCount,
      counts: report.counts,
      // Per-city figures ("Almaty: at least 200"), apart from the total in count.
      cityCounts: report.cityCounts,
      people: report.people,
      language: report.language,
      title: report.title,
      evidence: report.evidence,
      sources: report.items.map((item) => ({
        source: item.source,
        title: item.title,
        url: item.link,
        // A link kept as written because nothing made it absolute: evidence to read with care.
        ...(item.linkUnresolved ? { linkUnresolved: true } : {}),
        published: item.publishedAt?.toISOString() ?? null,
        ...(item.dateIssue ? { publishedIssue: item.dateIssue } : {}),
        evidence: item.evidence,
      })),
    },
    at,
  }
}
