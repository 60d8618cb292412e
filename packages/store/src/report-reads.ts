// The reads behind rally reports: success counts per region in fixed time buckets, and the interception
// verdicts seen from each region in a window.
import { OWN_MEASUREMENT_SOURCES } from '@vigil/model'
import type { Sql, TransactionSql } from './connect.js'
import { rawPart, rolledPart, rollupSpan } from './rollups.js'

// The rollups' five-minute slots.
const SLOT_SECONDS = 300
const OWN_SOURCES = [...OWN_MEASUREMENT_SOURCES] as string[]

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
 * Buckets of whole five-minute slots read the rollups for the closed, rolled-up hours of the range and raw
 * rows for the rest (`rollups: false` reads only raw rows); the counts are the same either way.
 */
export async function regionAvailabilityBuckets(
  sql: Db,
  regions: readonly string[],
  from: Date,
  to: Date,
  bucketSeconds: number,
  options: { rollups?: boolean } = {},
): Promise<RegionBucketRow[]> {
  if (regions.length === 0) return []
  if (bucketSeconds % SLOT_SECONDS !== 0 || options.rollups === false) {
    return sql<RegionBucketRow[]>`
      select region,
             to_timestamp(floor(extract(epoch from measured_at) / ${bucketSeconds}) * ${bucketSeconds}) as start,
             count(*) filter (where ok)::int as ok, count(*)::int as total
      from measurements
      where measured_at >= ${from} and measured_at < ${to} and source in ${sql(OWN_SOURCES)}
        and region in ${sql(regions as string[])}
      group by 1, 2
      order by 1, 2`
  }
  const span = rollupSpan(from, to, true)
  return sql<RegionBucketRow[]>`
    select x.region, x.start, sum(x.ok)::int as ok, sum(x.total)::int as total
    from (
      select m.region,
             to_timestamp(floor(extract(epoch from m.measured_at) / ${bucketSeconds}) * ${bucketSeconds}) as start,
             count(*) filter (where m.ok) as ok, count(*) as total
      from ${rawPart(sql, span)} m
      where m.region in ${sql(regions as string[])}
      group by 1, 2
      union all
      select r.region, to_timestamp(floor(extract(epoch from r.slot) / ${bucketSeconds}) * ${bucketSeconds}),
             r.ok, r.total
      from rollup_vantage_hourly r
      where r.region in ${sql(regions as string[])} and ${rolledPart(sql, span)}
    ) x
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
