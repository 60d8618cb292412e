// Bulk reads for exports: measurements and incidents of a time range in batches over a server-side
// cursor, so an export of months never holds more than one batch in memory.
import type { Sql, TransactionSql } from './connect.js'
import type { Incident, IncidentFilter } from './incidents.js'
import type { Measurement, MeasurementFilter } from './measurements.js'

type Db = Sql | TransactionSql

export interface ExportOptions {
  /** Rows per batch fetched from the cursor. */
  batchSize?: number
  /** Oldest first (bulk exports) instead of newest first (api pages). */
  ascending?: boolean
}

/** Measurements matching the filter (newest first, like queryMeasurements, unless ascending), in batches. */
export async function* streamMeasurements(
  sql: Db,
  filter: Omit<MeasurementFilter, 'limit'> & { limit?: number | undefined },
  options: ExportOptions = {},
): AsyncGenerator<Measurement[]> {
  const query = sql<Measurement[]>`
    select id, measured_at as "measuredAt", received_at as "receivedAt", vantage_id as "vantageId",
           target_id as "targetId", kind, region, asn, ok, failure, duration_ms as "durationMs", details, source,
           idempotency_key as "idempotencyKey"
    from measurements
    where true
      ${filter.target === undefined ? sql`` : sql`and target_id = ${filter.target}`}
      ${filter.vantage === undefined ? sql`` : sql`and vantage_id = ${filter.vantage}`}
      ${filter.region === undefined ? sql`` : sql`and region = ${filter.region}`}
      ${filter.kind === undefined ? sql`` : sql`and kind = ${filter.kind}`}
      ${filter.source === undefined ? sql`` : sql`and source = ${filter.source}`}
      ${filter.from === undefined ? sql`` : sql`and measured_at >= ${filter.from}`}
      ${filter.to === undefined ? sql`` : sql`and measured_at < ${filter.to}`}
      ${filter.after === undefined ? sql`` : sql`and (measured_at, id) < (${filter.after.measuredAt}, ${filter.after.id})`}
    order by ${options.ascending ? sql`measured_at, id` : sql`measured_at desc, id desc`}
    ${filter.limit === undefined ? sql`` : sql`limit ${filter.limit}`}`
  for await (const batch of query.cursor(options.batchSize ?? 1_000)) yield batch
}

/** The sort key of the row after which the page of `limit` rows ends, when there are more rows after it. */
export async function measurementPageEnd(
  sql: Db,
  filter: MeasurementFilter,
): Promise<{ measuredAt: Date; id: number } | undefined> {
  const rows = await sql<Array<{ measuredAt: Date; id: number }>>`
    select measured_at as "measuredAt", id
    from measurements
    where true
      ${filter.target === undefined ? sql`` : sql`and target_id = ${filter.target}`}
      ${filter.vantage === undefined ? sql`` : sql`and vantage_id = ${filter.vantage}`}
      ${filter.region === undefined ? sql`` : sql`and region = ${filter.region}`}
      ${filter.kind === undefined ? sql`` : sql`and kind = ${filter.kind}`}
      ${filter.source === undefined ? sql`` : sql`and source = ${filter.source}`}
      ${filter.from === undefined ? sql`` : sql`and measured_at >= ${filter.from}`}
      ${filter.to === undefined ? sql`` : sql`and measured_at < ${filter.to}`}
      ${filter.after === undefined ? sql`` : sql`and (measured_at, id) < (${filter.after.measuredAt}, ${filter.after.id})`}
    order by measured_at desc, id desc
    offset ${filter.limit - 1} limit 2`
  return rows.length === 2 ? rows[0] : undefined
}

/** Incidents overlapping [from, to) (newest first, like queryIncidents, unless ascending), in batches. */
export async function* streamIncidents(
  sql: Db,
  filter: Omit<IncidentFilter, 'limit'> & { limit?: number | undefined },
  options: ExportOptions = {},
): AsyncGenerator<Incident[]> {
  const query = sql<Incident[]>`
    select id, identity, kind, scope_type as "scopeType", scope, region, vantage_id as "vantageId", level, state,
           summary, evidence, started_at as "startedAt", firing_at as "firingAt", resolved_at as "resolvedAt",
           last_seen_at as "lastSeenAt"
    from incidents
    where true
      ${filter.kind === undefined ? sql`` : sql`and kind = ${filter.kind}`}
      ${filter.region === undefined ? sql`` : sql`and region = ${filter.region}`}
      ${filter.state === undefined ? sql`` : sql`and state = ${filter.state}`}
      ${filter.to === undefined ? sql`` : sql`and started_at < ${filter.to}`}
      ${filter.from === undefined ? sql`` : sql`and (resolved_at is null or resolved_at >= ${filter.from})`}
    order by ${options.ascending ? sql`started_at, id` : sql`started_at desc, id desc`}
    ${filter.limit === undefined ? sql`` : sql`limit ${filter.limit}`}`
  for await (const batch of query.cursor(options.batchSize ?? 1_000)) yield batch
}
