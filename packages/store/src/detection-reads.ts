// The reads detection needs from the measurements table: the latest result of every series in a window,
// hourly success shares per scope for baselines, duration medians for throttling, and vantage liveness.
// Every vantage counts: the local prober's rows (source `vigil`) and agents' uploads (`agent`) alike, each
// under its registered vantage's role, network and network type. Imported OONI rows are a separate source
// and stay out of detection and baselines.
import { type NetworkType, OWN_MEASUREMENT_SOURCES } from '@vigil/model'
import type { Sql, TransactionSql } from './connect.js'
import {
  bucketExpression,
  histogramPercentile,
  type RollupSpan,
  rawPart,
  rolledPart,
  rollupSpan,
} from './rollups.js'

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

/**
 * Hourly success shares per region (`region:<name>`), country (`country:<code>`) and network (`network:AS<n>`)
 * in [from, to): `share` is successes / probes (0..1), `samples` the probes, `start` the UTC hour.
 * With `rollups` (the default) the closed, rolled-up hours are read from the hourly rollups and the rest
 * (partial hours at either end, the current hour, hours dirty since their rollup) from raw rows; the
 * figures are the same as the raw read's, exactly.
 */
export async function hourlyScopeShares(
  sql: Sql | TransactionSql,
  country: string,
  from: Date,
  to: Date,
  options: { rollups?: boolean } = {},
): Promise<ScopeShareRow[]> {
  const span = rollupSpan(from, to, options.rollups ?? true)
  const rows = await sql<
    Array<{ region: string; asn: number | null; in_country: boolean; start: Date; ok: number; total: number }>
  >`
    select x.region, v.asn, v.role = 'in_country' as in_country, x.start,
           sum(x.ok)::int as ok, sum(x.total)::int as total
    from (
      select m.region, m.vantage_id, date_trunc('hour', m.measured_at, 'UTC') as start,
             count(*) filter (where m.ok) as ok, count(*) as total
      from ${rawPart(sql, span)} m
      where m.region is not null
      group by 1, 2, 3
      union all
      select r.region, r.vantage_id, r.hour, r.ok, r.total
      from rollup_vantage_hourly r
      where r.region is not null and ${rolledPart(sql, span)}
    ) x join vantages v on v.id = x.vantage_id
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

/**
 * Median duration (milliseconds) of successful tcp, tls, http and https probes per series in [from, to),
 * with the number of such probes. Without `rollups` (the default) the median is PostgreSQL's exact
 * `percentile_cont(0.5)` over raw rows. With `rollups` it is read from the hourly duration histograms
 * (raw rows of the hours not rolled up are put in the same buckets): within
 * `DURATION_PERCENTILE_RELATIVE_ERROR` (2.2 %) of the exact median, `samples` exact.
 */
export async function durationMedians(
  sql: Sql | TransactionSql,
  from: Date,
  to: Date,
  options: { rollups?: boolean } = {},
): Promise<DurationRow[]> {
  if (options.rollups) return histogramMedians(sql, rollupSpan(from, to, true))
  return sql<DurationRow[]>`
    select m.vantage_id as "vantageId", m.target_id as "targetId", m.kind, t.group_name as "group",
           max(m.region) as region,
           percentile_cont(0.5) within group (order by m.duration_ms) as "medianMs",
           count(*)::int as samples
    from measurements m left join targets t on t.id = m.target_id
    where m.measured_at >= ${from} and m.measured_at < ${to} and m.ok and m.duration_ms is not null
      and m.kind in ${sql(TIMED_KINDS)} and m.source in ${sql(OWN_SOURCES)}
    group by 1, 2, 3, 4`
}

const TIMED_KINDS = ['http', 'https', 'tcp', 'tls']

async function histogramMedians(sql: Sql | TransactionSql, span: RollupSpan): Promise<DurationRow[]> {
  const rows = await sql<
    Array<Omit<DurationRow, 'medianMs' | 'samples'> & { buckets: number[]; counts: number[] }>
  >`
    select y.vantage_id as "vantageId", y.target_id as "targetId", y.kind, t.group_name as "group",
           max(y.region) as region, array_agg(y.bucket order by y.bucket) as buckets,
           array_agg(y.n order by y.bucket) as counts
    from (
      select x.vantage_id, x.target_id, x.kind, x.bucket, max(x.region) as region, sum(x.n)::int as n
      from (
        select m.vantage_id, m.target_id, m.kind, m.region, ${bucketExpression(sql, 'm.duration_ms')} as bucket,
               count(*)::int as n
        from ${rawPart(sql, span)} m
        where m.ok and m.duration_ms is not null and m.kind in ${sql(TIMED_KINDS)}
        group by 1, 2, 3, 4, 5
        union all
        select r.vantage_id, r.target_id, r.kind, r.region, b.bucket, b.n
        from rollup_series_hourly r, unnest(r.duration_buckets, r.duration_counts) as b (bucket, n)
        where r.kind in ${sql(TIMED_KINDS)} and ${rolledPart(sql, span)}
      ) x
      group by 1, 2, 3, 4
    ) y left join targets t on t.id = y.target_id
    group by 1, 2, 3, 4`
  return rows.map(({ buckets, counts, ...series }) => ({
    ...series,
    medianMs: histogramPercentile(buckets, counts, 0.5),
    samples: counts.reduce((sum, n) => sum + n, 0),
  }))
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
