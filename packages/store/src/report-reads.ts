// The reads behind rally reports: success counts per region in fixed time buckets, and the interception
// verdicts seen from each region in a window.
import { OWN_MEASUREMENT_SOURCES } from '@vigil/model'
import type { Sql, TransactionSql } from './connect.js'

type Db = Sql | TransactionSql

export interface RegionBucketRow {
  region: string
  start: Date
  ok: number
  total: number
}

/**
 * Vigil's own measurements (the local prober's and every agent's; imported OONI rows are reported apart)
 * for `regions` in [from, to), counted per region and bucket of `bucketSeconds`
 * (buckets aligned to the Unix epoch, so 5-minute buckets start on :00, :05, ...).
 */
export async function regionAvailabilityBuckets(
  sql: Db,
  regions: readonly string[],
  from: Date,
  to: Date,
  bucketSeconds: number,
): Promise<RegionBucketRow[]> {
  if (regions.length === 0) return []
  return sql<RegionBucketRow[]>`
    select region,
           to_timestamp(floor(extract(epoch from measured_at) / ${bucketSeconds}) * ${bucketSeconds}) as start,
           count(*) filter (where ok)::int as ok, count(*)::int as total
    from measurements
    where measured_at >= ${from} and measured_at < ${to} and source in ${sql([...OWN_MEASUREMENT_SOURCES] as string[])}
      and region in ${sql(regions as string[])}
    group by 1, 2
    order by 1, 2`
}

export interface RegionTlsVerdictRow {
  region: string | null
  vantageId: string
  host: string
  verdict: string
  knownMatch: string | null
  count: number
  first: Date
  last: Date
}

/** TLS verdicts other than ok in [from, to), per vantage region, host and verdict. */
export async function regionTlsVerdicts(sql: Db, from: Date, to: Date): Promise<RegionTlsVerdictRow[]> {
  return sql<RegionTlsVerdictRow[]>`
    select v.region, o.vantage_id as "vantageId", o.host, o.verdict, max(o.known_match) as "knownMatch",
           count(*)::int as count, min(o.measured_at) as first, max(o.measured_at) as last
    from tls_observations o join vantages v on v.id = o.vantage_id
    where o.measured_at >= ${from} and o.measured_at < ${to} and o.verdict <> 'ok'
    group by 1, 2, 3, 4
    order by min(o.measured_at)`
}
