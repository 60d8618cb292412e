// The measurements table: one row per probe result, with when it was measured and when it was received.
import type { StoredMeasurement } from '@vigil/model'
import type { Sql, TransactionSql } from './connect.js'
import { insertMeasurementBatch } from './measurement-batches.js'

export interface NewMeasurement {
  measuredAt: Date
  /** Defaults to the time of insertion. */
  receivedAt?: Date
  vantageId: string
  targetId: string
  kind: string
  /** The region the measurement speaks for (the vantage's, or the target's for outside-in probes). */
  region?: string | null
  asn?: number | null
  ok: boolean
  /** An OONI failure string, null when ok. */
  failure: string | null
  durationMs?: number | null
  details?: Record<string, unknown>
  source?: string
  /** Set by agents and importers so a repeated upload adds nothing. */
  idempotencyKey?: string | null
}

/** A row of the measurements table: the contracts' stored measurement. */
export type Measurement = StoredMeasurement

export interface MeasurementFilter {
  target?: string | undefined
  vantage?: string | undefined
  region?: string | undefined
  kind?: string | undefined
  /** `vigil` for Vigil's own probes, `ooni` for imported OONI measurements. */
  source?: string | undefined
  from?: Date | undefined
  to?: Date | undefined
  /** Only rows that sort after this one (newest first): keyset paging that survives concurrent inserts. */
  after?: { measuredAt: Date; id: number } | undefined
  limit: number
}

// Each batch is one JSON parameter; bounded so one statement's memory stays small.
const BATCH_ROWS = 5_000

/** Inserts rows in batches; rows whose idempotency key is already stored are skipped. Returns how many were new. */
export async function insertMeasurements(sql: Sql | TransactionSql, rows: NewMeasurement[]): Promise<number> {
  let inserted = 0
  for (let start = 0; start < rows.length; start += BATCH_ROWS) {
    inserted += await insertMeasurementBatch(sql, rows.slice(start, start + BATCH_ROWS))
  }
  return inserted
}

export async function queryMeasurements(
  sql: Sql | TransactionSql,
  filter: MeasurementFilter,
): Promise<Measurement[]> {
  const conditions = [
    filter.target === undefined ? sql`` : sql`and target_id = ${filter.target}`,
    filter.vantage === undefined ? sql`` : sql`and vantage_id = ${filter.vantage}`,
    filter.region === undefined ? sql`` : sql`and region = ${filter.region}`,
    filter.kind === undefined ? sql`` : sql`and kind = ${filter.kind}`,
    filter.source === undefined ? sql`` : sql`and source = ${filter.source}`,
    filter.from === undefined ? sql`` : sql`and measured_at >= ${filter.from}`,
    filter.to === undefined ? sql`` : sql`and measured_at < ${filter.to}`,
    filter.after === undefined
      ? sql``
      : sql`and (measured_at, id) < (${filter.after.measuredAt}, ${filter.after.id})`,
  ]
  const rows = await sql<MeasurementDbRow[]>`
    select id, measured_at, received_at, vantage_id, target_id, kind, region, asn, ok, failure,
           duration_ms, details, source, idempotency_key
    from measurements
    where true ${conditions[0]!} ${conditions[1]!} ${conditions[2]!} ${conditions[3]!} ${conditions[4]!}
          ${conditions[5]!} ${conditions[6]!} ${conditions[7]!}
    order by measured_at desc, id desc
    limit ${filter.limit}`
  return rows.map(fromDbRow)
}

interface MeasurementDbRow {
  id: number
  measured_at: Date
  received_at: Date
  vantage_id: string
  target_id: string
  kind: string
  region: string | null
  asn: number | null
  ok: boolean
  failure: string | null
  duration_ms: number | null
  details: Record<string, unknown>
  source: string
  idempotency_key: string | null
}

function fromDbRow(row: MeasurementDbRow): Measurement {
  return {
    id: row.id,
    measuredAt: row.measured_at,
    receivedAt: row.received_at,
    vantageId: row.vantage_id,
    targetId: row.target_id,
    kind: row.kind,
    region: row.region,
    asn: row.asn,
    ok: row.ok,
    failure: row.failure,
    durationMs: row.duration_ms,
    details: row.details,
    source: row.source,
    idempotencyKey: row.idempotency_key,
  }
}
