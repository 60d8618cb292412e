// Hourly rollups of Vigil's own measurements (migration 0017): per series (vantage, target, kind) and per
// vantage (in five-minute slots), for each closed hour: successes, total, failures by OONI failure string and a fixed-bucket
// histogram of the durations of successful probes. Every insert marks its hours dirty (a trigger);
// `rollUpDirtyHours` rolls closed dirty hours from the raw rows. Reads over long ranges combine the rollups
// of clean hours with the raw rows of the rest (the partial hours at either end, the current hour and any
// hour marked dirty since its rollup), so their counts equal the raw computation exactly.
import { OWN_MEASUREMENT_SOURCES } from '@vigil/model'
import type { Sql, TransactionSql } from './connect.js'

type Db = Sql | TransactionSql

const HOUR = 3_600_000
const OWN_SOURCES = [...OWN_MEASUREMENT_SOURCES] as string[]

/**
 * Histogram buckets per doubling of a duration: bucket i holds durations d (milliseconds) with
 * floor(16 · log2 d) = i, so each bucket spans a factor 2^(1/16) (4.4 %). Durations are clamped to
 * [2^-10, 2^25] ms (about 1 µs to 9.3 hours) first. The layout is the one of log-linear latency
 * histograms (HdrHistogram, Prometheus native histograms with schema 4 use the same factor).
 */
export const DURATION_BUCKETS_PER_DOUBLING = 16
const MIN_MS = 2 ** -10
const MAX_MS = 2 ** 25

/** The largest relative error of a percentile read from the histogram: 2^(1/32) − 1, about 2.2 %. */
export const DURATION_PERCENTILE_RELATIVE_ERROR = 2 ** (1 / (2 * DURATION_BUCKETS_PER_DOUBLING)) - 1

/** The histogram bucket of a duration in milliseconds (see `DURATION_BUCKETS_PER_DOUBLING`). */
export function durationBucket(ms: number): number {
  const clamped = Number.isNaN(ms) ? MAX_MS : Math.min(Math.max(ms, MIN_MS), MAX_MS)
  return Math.floor((DURATION_BUCKETS_PER_DOUBLING * Math.log(clamped)) / Math.LN2)
}

/** The geometric middle of bucket `index`, in milliseconds: the value a percentile in it is read as. */
export function bucketMiddleMs(index: number): number {
  return 2 ** ((index + 0.5) / DURATION_BUCKETS_PER_DOUBLING)
}

/**
 * The `p` quantile (0..1) of a histogram given as ascending bucket indexes and their counts, interpolated
 * between the two nearest ranks as PostgreSQL's `percentile_cont` does, each rank read as its bucket's
 * middle: within `DURATION_PERCENTILE_RELATIVE_ERROR` of `percentile_cont` over the raw durations (for
 * durations inside the clamp range). NaN for an empty histogram. Throws RangeError for p outside 0..1.
 */
export function histogramPercentile(
  buckets: readonly number[],
  counts: readonly number[],
  p: number,
): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile must be within 0..1, got ${p}`)
  const total = counts.reduce((sum, n) => sum + n, 0)
  if (total === 0) return Number.NaN
  const rank = p * (total - 1)
  const valueAt = (k: number): number => {
    let seen = 0
    for (let i = 0; i < buckets.length; i++) {
      seen += counts[i]!
      if (k < seen) return bucketMiddleMs(buckets[i]!)
    }
    return bucketMiddleMs(buckets[buckets.length - 1]!)
  }
  const lo = Math.floor(rank)
  const hi = Math.ceil(rank)
  const low = valueAt(lo)
  return lo === hi ? low : low + (rank - lo) * (valueAt(hi) - low)
}

/**
 * The SQL expression of `durationBucket` over a duration column (double precision, milliseconds).
 * `greatest`/`least` put NaN at the top, as `durationBucket` does.
 */
export function bucketExpression(sql: Db, column: string) {
  return sql`least(floor(${DURATION_BUCKETS_PER_DOUBLING}::float8 * ln(least(greatest(${sql.unsafe(column)}, ${MIN_MS}::float8), ${MAX_MS}::float8)) / ln(2::float8)), ${DURATION_BUCKETS_PER_DOUBLING * 25})::int`
}

/**
 * How a read over [from, to) splits: hours in [rolledFrom, rolledTo) are read from the rollups unless
 * dirty; [from, rolledFrom) and [rolledTo, to) from raw rows. With `rollups` false everything is raw.
 */
export interface RollupSpan {
  from: Date
  to: Date
  rolledFrom: Date
  rolledTo: Date
}

export function rollupSpan(from: Date, to: Date, rollups: boolean): RollupSpan {
  if (!rollups || to <= from) return { from, to, rolledFrom: to, rolledTo: to }
  const rolledFrom = new Date(Math.ceil(from.getTime() / HOUR) * HOUR)
  const rolledTo = new Date(Math.max(rolledFrom.getTime(), Math.floor(to.getTime() / HOUR) * HOUR))
  return { from, to, rolledFrom, rolledTo }
}

/**
 * A subquery (alias it) of Vigil's own raw measurements that a read over `span` takes from raw rows: the
 * partial hours at either end and every dirty hour in between. Each part is a range on `measured_at`.
 */
export function rawPart(sql: Db, span: RollupSpan) {
  const headEnd = new Date(Math.min(span.rolledFrom.getTime(), span.to.getTime()))
  const tailStart = new Date(Math.max(span.rolledTo.getTime(), span.from.getTime()))
  return sql`(
    select m.* from measurements m
    where m.measured_at >= ${span.from} and m.measured_at < ${headEnd} and m.source in ${sql(OWN_SOURCES)}
    union all
    select m.* from measurements m
    where m.measured_at >= ${tailStart} and m.measured_at < ${span.to} and m.source in ${sql(OWN_SOURCES)}
    union all
    select m.* from rollup_dirty_hours d
    join measurements m on m.measured_at >= d.hour and m.measured_at < d.hour + interval '1 hour'
    where d.hour >= ${span.rolledFrom} and d.hour < ${span.rolledTo} and m.source in ${sql(OWN_SOURCES)})`
}

/** The condition (on a rollup table aliased `r`) that keeps the clean rolled-up hours of `span`. */
export function rolledPart(sql: Db, span: RollupSpan) {
  return sql`r.hour >= ${span.rolledFrom} and r.hour < ${span.rolledTo}
    and not exists (select 1 from rollup_dirty_hours d where d.hour = r.hour)`
}

export interface RollUpOptions {
  /** The present: only hours that ended by then are rolled up. */
  now?: Date
  /** At most this many hours per call (oldest first); 48 unless given. */
  maxHours?: number
}

export interface RollUpResult {
  /** Hours rolled up by this call. */
  hours: number
  /** Closed dirty hours left for the next call. */
  remaining: number
}

/**
 * Rolls up closed dirty hours, oldest first, each in its own transaction: the hour's rollup rows are
 * replaced by the raw computation and its dirty mark removed, unless an insert marked it again meanwhile
 * (then the next call rolls it once more). Only Vigil's own sources are rolled up.
 */
export async function rollUpDirtyHours(sql: Sql, options: RollUpOptions = {}): Promise<RollUpResult> {
  const now = options.now ?? new Date()
  const maxHours = options.maxHours ?? 48
  if (!Number.isInteger(maxHours) || maxHours < 1) {
    throw new RangeError(`rollup hours per call must be a positive whole number, got ${maxHours}`)
  }
  const closedBefore = new Date(Math.floor(now.getTime() / HOUR) * HOUR)
  const due = await sql<Array<{ hour: Date; version: string }>>`
    select hour, version::text as version from rollup_dirty_hours
    where hour < ${closedBefore} order by hour limit ${maxHours}`
  for (const { hour, version } of due) {
    await sql.begin(async (tx) => rollUpHour(tx, hour, version))
  }
  const [left] = await sql<Array<{ n: number }>>`
    select count(*)::int as n from rollup_dirty_hours where hour < ${closedBefore}`
  return { hours: due.length, remaining: left?.n ?? 0 }
}

async function rollUpHour(tx: TransactionSql, hour: Date, version: string): Promise<void> {
  const end = new Date(hour.getTime() + HOUR)
  await tx`delete from rollup_series_hourly where hour = ${hour}`
  await tx`delete from rollup_vantage_hourly where hour = ${hour}`
  await tx`
    insert into rollup_series_hourly (hour, vantage_id, target_id, kind, region, ok, total, failures,
                                      duration_buckets, duration_counts)
    select ${hour}, vantage_id, target_id, kind, region,
           coalesce(sum(n) filter (where ok), 0)::int, sum(n)::int,
           coalesce(jsonb_object_agg(failure, n) filter (where failure is not null), '{}'::jsonb),
           coalesce(array_agg(bucket order by bucket) filter (where bucket is not null), '{}'),
           coalesce(array_agg(n order by bucket) filter (where bucket is not null), '{}')
    from (
      select vantage_id, target_id, kind, region, ok, failure,
             case when ok and duration_ms is not null then ${bucketExpression(tx, 'duration_ms')} end as bucket,
             count(*)::int as n
      from measurements
      where measured_at >= ${hour} and measured_at < ${end} and source in ${tx(OWN_SOURCES)}
      group by 1, 2, 3, 4, 5, 6, 7
    ) g
    group by vantage_id, target_id, kind, region`
  await tx`
    insert into rollup_vantage_hourly (hour, slot, vantage_id, region, ok, total, failures)
    select ${hour}, slot, vantage_id, region, coalesce(sum(n) filter (where ok), 0)::int, sum(n)::int,
           coalesce(jsonb_object_agg(failure, n) filter (where failure is not null), '{}'::jsonb)
    from (
      select to_timestamp(floor(extract(epoch from measured_at) / 300) * 300) as slot, vantage_id, region, ok,
             failure, count(*)::int as n
      from measurements
      where measured_at >= ${hour} and measured_at < ${end} and source in ${tx(OWN_SOURCES)}
      group by 1, 2, 3, 4, 5
    ) g
    group by slot, vantage_id, region`
  await tx`delete from rollup_dirty_hours where hour = ${hour} and version = ${version}::bigint`
}
