// Agent uploads into the measurements table: a whole batch as one JSON parameter unpacked by
// jsonb_to_recordset, which PostgreSQL plans and binds far faster than 13 parameters per row.
import type { Sql, TransactionSql } from './connect.js'
import type { NewMeasurement } from './measurements.js'

/** Inserts a batch in one statement; rows whose idempotency key is already stored are skipped. Returns how many were new. */
export async function insertMeasurementBatch(
  sql: Sql | TransactionSql,
  rows: NewMeasurement[],
): Promise<number> {
  if (rows.length === 0) return 0
  const receivedAt = new Date()
  const json = JSON.stringify(
    rows.map((row) => ({
      measured_at: row.measuredAt,
      received_at: row.receivedAt ?? receivedAt,
      vantage_id: row.vantageId,
      target_id: row.targetId,
      kind: row.kind,
      region: row.region ?? null,
      asn: row.asn ?? null,
      ok: row.ok,
      failure: row.failure,
      duration_ms: row.durationMs ?? null,
      details: row.details ?? {},
      source: row.source ?? 'vigil',
      idempotency_key: row.idempotencyKey ?? null,
    })),
  )
  // The text cast keeps postgres.js from encoding the JSON string a second time.
  const result = await sql`
    insert into measurements (measured_at, received_at, vantage_id, target_id, kind, region, asn, ok, failure,
                              duration_ms, details, source, idempotency_key)
    select measured_at, received_at, vantage_id, target_id, kind, region, asn, ok, failure,
           duration_ms, details, source, idempotency_key
    from jsonb_to_recordset((${json}::text)::jsonb) as batch (
      measured_at timestamptz, received_at timestamptz, vantage_id text, target_id text, kind text, region text,
      asn bigint, ok boolean, failure text, duration_ms double precision, details jsonb, source text,
      idempotency_key text)
    on conflict (idempotency_key) do nothing`
  return result.count
}
