// The rally report's input (what the store holds about one day) and output (what the renderers show).
import type {
  Incident,
  ObservatoryEvent,
  ObservatorySignalPoint,
  OoniLaneRow,
  RegionBucketRow,
  RegionTlsVerdictRow,
  ReportWithItems,
} from '@vigil/store'

export type Bucket = Pick<RegionBucketRow, 'start' | 'ok' | 'total'>

export interface CityWindowData {
  city: string
  timeZone: string
  rally: string
  /** The announced local start and end, as instants. */
  announcedStart: Date
  announcedEnd: Date
  /** The rally window (lead and tail hours included), cut to the report's local day. */
  windowStart: Date
  windowEnd: Date
  /** Counts of the window. */
  buckets: Bucket[]
  /** Counts of the same hours on earlier days, `daysBack` 1..n. */
  history: Array<{ daysBack: number; buckets: Bucket[] }>
}

export interface RallyReportData {
  /** The local day reported on, YYYY-MM-DD. */
  date: string
  country: string
  generatedAt: Date
  resolutionMinutes: number
  thresholds: { warning: number; critical: number }
  cities: CityWindowData[]
  incidents: Incident[]
  tls: RegionTlsVerdictRow[]
  /** Detention reports of the day, their cities already in the config's canonical names. */
  reports: ReportWithItems[]
  iodaSignals: ObservatorySignalPoint[]
  iodaEvents: ObservatoryEvent[]
  /** Imported OONI measurements from probes in the country over the report's span. */
  ooniMeasurements: OoniLaneRow[]
}

export interface AvailabilityPoint {
  start: Date
  /** Share of successful measurements; null without any. */
  share: number | null
  /** Median share of the same bucket on the baseline days; null without any. */
  baseline: number | null
  /**
   * share / baseline (capped at 1.5); without a baseline, the share itself: compared with full
   * availability, as the blackout detector does without history (its evidence's `baseline` is 1 then,
   * packages/model blackoutEvidenceSchema). Null without measurements.
   */
  ratio: number | null
  /** The bucket had measurements but no baseline day had any for it: `ratio` is against 100%. */
  noBaseline: boolean
  samples: number
}

/** The bucket of the window with the lowest share of successful measurements. */
export interface LowestPoint {
  start: Date
  share: number
  samples: number
}

export interface Drop {
  start: Date
  /** Null when connectivity was still down at the end of the window. */
  end: Date | null
  durationMinutes: number
  /** Minutes from the announced start; negative when it came first. */
  minutesFromAnnounced: number
  lowestRatio: number
  /** The lowest share of successful measurements in the drop, 0..1. */
  lowestShare: number
  /** Some of its buckets had no baseline: their ratio is against full availability. */
  noBaseline: boolean
  level: 'warning' | 'critical'
}

export interface IncidentEntry {
  id: number
  kind: string
  level: string
  state: string
  scope: string
  summary: string
  start: Date
  end: Date | null
}

export interface InterceptionEntry {
  host: string
  verdict: string
  vantage: string
  knownMatch: string | null
  count: number
  first: Date
  last: Date
}

export interface DetentionEntry {
  id: number
  title: string
  cities: string[]
  count: number | null
  qualifier: string | null
  firstSeenAt: Date
  sources: string[]
  links: string[]
}

export interface CityReport {
  city: string
  timeZone: string
  rally: string
  announcedStart: Date
  announcedEnd: Date
  windowStart: Date
  windowEnd: Date
  availability: AvailabilityPoint[]
  /** `full` when every measured bucket had a baseline, `none` when none had, else `partial`. */
  baseline: 'full' | 'partial' | 'none'
  /** The longest drop (the deepest of equally long ones): the one the summary names. */
  drop: Drop | null
  /** Every drop of the window, first first; `drop` is one of them. */
  drops: Drop[]
  /** Null without measurements. */
  lowest: LowestPoint | null
  /** Incidents that fired (an incident cancelled while pending was never an outage and is left out). */
  incidents: IncidentEntry[]
  throttling: IncidentEntry[]
  /** Chains judged intercepted: verdicts `known_interception` and `control_mismatch`. */
  interception: InterceptionEntry[]
  /**
   * Chains that did not verify (`untrusted_root`) without a known root or the control's chain to call them
   * intercepted: the server's own doing as often as not. Listed apart, never counted as interception.
   */
  untrustedChains: InterceptionEntry[]
  detentions: { reports: number; detained: number; sources: string[]; ids: number[] }
  summary: string
}

export interface IodaSeries {
  entity: string
  datasource: string
  /** IODA's subtype and per-bucket aggregate, empty when the series has none. */
  subtype: string
  metric: string
  step: number
  points: Array<{ at: Date; value: number | null }>
}

export interface IodaEventEntry {
  entity: string
  entityName: string | null
  kind: 'alert' | 'event'
  datasource: string
  start: Date
  end: Date | null
  level: string | null
  score: number | null
}

export interface RallyReport {
  date: string
  country: string
  generatedAt: Date
  resolutionMinutes: number
  /** From the earliest window start to the latest window end. */
  span: { start: Date; end: Date } | null
  cities: CityReport[]
  /** Incidents of the whole country (no region) overlapping the span that fired. */
  countryIncidents: IncidentEntry[]
  detentions: DetentionEntry[]
  /** Sum of the largest count of every report of the day. */
  detainedTotal: number
  ioda: { series: IodaSeries[]; events: IodaEventEntry[] }
  /** OONI's measurements, one lane per test: a separate, labelled source next to Vigil's own. */
  ooni: { tests: OoniTestLane[] }
}

export interface OoniTestLane {
  /** OONI test_name, e.g. `telegram`, `web_connectivity`. */
  test: string
  measurements: number
  /** Counts by verdict as read at import: ok, anomaly, down, unknown. */
  verdicts: Record<string, number>
  /** Failure strings of the measurements that were not ok, with how often each was seen. */
  failures: Record<string, number>
  firstAnomaly: Date | null
  points: Array<{ at: Date; verdict: string; target: string; asn: number | null; failure: string | null }>
}
