// The reads detection needs from the measurements table: the latest result of every series in a window,
// hourly success shares per scope for baselines, duration medians for throttling, and vantage liveness.
// Every vantage counts: the local prober's rows (source `vigil`) and agents' uploads (`agent`) alike, each
// under its registered vantage's role, network and network type. Imported OONI rows are a separate source
// and stay out of detection and baselines.
import { type NetworkType, OWN_MEASUREMENT_SOURCES } from '@vigil/model'
import type { Sql, TransactionSql } from './connect.js'

const OWN_SOURCES = [...OWN_MEASUREMENT_SOURCES] as string[]

export interface LatestSeriesRow {
  vantageId: string
  vantageRole: 'in_country' | 'outside' | 'control'
  targetId: string
  kind: string
  group: string | null
  purpose: 'service' | 'control' | 'outside_in' | null
  region: string | null
  /** The registered vantage's AS number. */
  asn: number | null
  /** The registered vantage's network type. */
  networkType: NetworkType
  ok: boolean
  failure: string | null
  durationMs: number | null
  measuredAt: Date
  /** `details.blockPage` of an http/https probe: the block-page pattern's name, at most 200 characters. */
  blockPage: string | null
  /** `details.timeoutPhase` of an http/https probe (dns, connect, tls, headers, body); null when not a string. */
  timeoutPhase: string | null
  /** `details.transferBytesPerSecond`, body bytes per second, clamped to 0..1e12; null when not a number. */
  transferBytesPerSecond: number | null
  /** Probes of the series measured in [from, to], and how many of them failed. */
  windowSamples: number
  windowFailures: number
}

/**
 * The latest measurement of each (vantage, target, kind) measured in [from, to], from every own vantage,
 * with the facts detection reads from its details (block page, timeout phase, transfer rate; details are
 * uploaded by agents, so each is read only when it has the expected JSON type, and bounded) and the
 * series' probe and failure counts in the window.
 */
export async function latestSeries(
  sql: Sql | TransactionSql,
  from: Date,
  to: Date,
): Promise<LatestSeriesRow[]> {
  return sql<LatestSeriesRow[]>`
    select distinct on (m.vantage_id, m.target_id, m.kind)
      m.vantage_id as "vantageId", v.role as "vantageRole", m.target_id as "targetId", m.kind,
      t.group_name as "group", t.purpose, m.region, v.asn, v.network_type as "networkType", m.ok, m.failure,
      m.duration_ms as "durationMs", m.measured_at as "measuredAt",
      case when jsonb_typeof(m.details->'blockPage') = 'string'
        then left(m.details->>'blockPage', 200) end as "blockPage",
      case when jsonb_typeof(m.details->'timeoutPhase') = 'string'
        then left(m.details->>'timeoutPhase', 20) end as "timeoutPhase",
      case when jsonb_typeof(m.details->'transferBytesPerSecond') = 'number'
        then least(greatest((m.details->>'transferBytesPerSecond')::numeric, 0), 1e12)::float8
        end as "transferBytesPerSecond",
      (count(*) over series)::int as "windowSamples",
      (count(*) filter (where not m.ok) over series)::int as "windowFailures"
    from measurements m
    join vantages v on v.id = m.vantage_id
    left join targets t on t.id = m.target_id
    where m.measured_at >= ${from} and m.measured_at <= ${to} and m.source in ${sql(OWN_SOURCES)}
    window series as (partition by m.vantage_id, m.target_id, m.kind)
    order by m.vantage_id, m.target_id, m.kind, m.measured_at desc`
}

export interface ScopeShareRow {
  scope: string
  start: Date
  share: number
  samples: number
}

/** Hourly success shares per region (`region:<name>`), country (`country:<code>`) and network (`network:AS<n>`). */
export async function hourlyScopeShares(
  sql: Sql | TransactionSql,
  country: string,
  from: Date,
  to: Date,
): Promise<ScopeShareRow[]> {
  const rows = await sql<
    Array<{ region: string; asn: number | null; in_country: boolean; start: Date; ok: number; total: number }>
  >`
    select m.region, v.asn, v.role = 'in_country' as in_country, date_trunc('hour', m.measured_at) as start,
           count(*) filter (where m.ok)::int as ok, count(*)::int as total
    from measurements m join vantages v on v.id = m.vantage_id
    where m.measured_at >= ${from} and m.measured_at < ${to} and m.region is not null
      and m.source in ${sql(OWN_SOURCES)}
    group by 1, 2, 3, 4`
  const sums = new Map<string, { scope: string; start: Date; ok: number; total: number }>()
  const add = (scope: string, start: Date, ok: number, total: number) => {
    const key = `${scope}\u0000${start.toISOString()}`
    const entry = sums.get(key) ?? { scope, start, ok: 0, total: 0 }
    entry.ok += ok
    entry.total += total
    sums.set(key, entry)
  }
  for (const row of rows) {
    add(`region:${row.region}`, row.start, row.ok, row.total)
    add(`country:${country}`, row.start, row.ok, row.total)
    if (row.in_country && row.asn !== null) add(`network:AS${row.asn}`, row.start, row.ok, row.total)
  }
  return [...sums.values()].map((entry) => ({
    scope: entry.scope,
    start: entry.start,
    share: entry.total === 0 ? 0 : entry.ok / entry.total,
    samples: entry.total,
  }))
}

export interface DurationRow {
  vantageId: string
  targetId: string
  kind: string
  group: string | null
  region: string | null
  medianMs: number
  samples: number
}

/** Median duration of successful probes per series in [from, to). */
export async function durationMedians(
  sql: Sql | TransactionSql,
  from: Date,
  to: Date,
): Promise<DurationRow[]> {
  return sql<DurationRow[]>`
    select m.vantage_id as "vantageId", m.target_id as "targetId", m.kind, t.group_name as "group",
           max(m.region) as region,
           percentile_cont(0.5) within group (order by m.duration_ms) as "medianMs",
           count(*)::int as samples
    from measurements m left join targets t on t.id = m.target_id
    where m.measured_at >= ${from} and m.measured_at < ${to} and m.ok and m.duration_ms is not null
      and m.kind in ('http', 'https', 'tcp', 'tls') and m.source in ${sql(OWN_SOURCES)}
    group by 1, 2, 3, 4`
}

export interface LivenessRow {
  vantageId: string
  role: 'in_country' | 'outside' | 'control'
  region: string | null
  networkType: NetworkType
  lastSeenAt: Date | null
}

/**
 * When each vantage was last heard from, on the api's clock: its newest received measurement, or its last
 * heartbeat's receipt. With the registered role, region and network type.
 */
export async function vantageLiveness(sql: Sql | TransactionSql, since: Date): Promise<LivenessRow[]> {
  return sql<LivenessRow[]>`
    select v.id as "vantageId", v.role, v.region, v.network_type as "networkType",
           greatest(v.last_seen_at, v.last_heartbeat_at,
                    (select max(m.received_at) from measurements m
                     where m.vantage_id = v.id and m.measured_at >= ${since})) as "lastSeenAt"
    from vantages v`
}
