// The tls_observations table: the chain one vantage was shown for a host and SNI, with its verdict, and
// the lookup of what a control vantage saw for the same host and SNI.
import type { StoredTlsObservation } from '@vigil/model'
import type { Sql, TransactionSql } from './connect.js'

/** A JSON object as stored in the chain and evidence columns; the interception package owns its shape. */
export type JsonObject = Record<string, unknown>

export interface NewTlsObservation {
  measuredAt: Date
  /** Defaults to the time of insertion. */
  receivedAt?: Date
  vantageId: string
  targetId: string
  host: string
  port: number
  sni: string
  verdict: string
  /** An OONI failure string; null when the chain verified. */
  failure: string | null
  verified: boolean
  /** Per-certificate facts, leaf first, each with its DER in base64. */
  chain: JsonObject[]
  protocol: string | null
  cipher: string | null
  evidence: JsonObject[]
  /** Name of the known-interception entry the chain matched, if any. */
  knownMatch: string | null
  /** Set by the writer so a repeated write or upload adds nothing. */
  idempotencyKey?: string | null
}

/** A row of the tls_observations table: the contracts' stored TLS observation. */
export type TlsObservationRecord = StoredTlsObservation

export interface TlsObservationFilter {
  host?: string | undefined
  sni?: string | undefined
  vantage?: string | undefined
  target?: string | undefined
  verdict?: string | undefined
  from?: Date | undefined
  to?: Date | undefined
  limit: number
}

// 17 columns a row: 2,000 rows stay far below PostgreSQL's 65,535 parameters per statement.
const BATCH_ROWS = 2_000

/** Inserts rows in batches; rows whose idempotency key is already stored are skipped. Returns how many were new. */
export async function insertTlsObservations(
  sql: Sql | TransactionSql,
  rows: NewTlsObservation[],
): Promise<number> {
  let inserted = 0
  for (let start = 0; start < rows.length; start += BATCH_ROWS) {
    const batch = rows.slice(start, start + BATCH_ROWS).map((row) => ({
      measured_at: row.measuredAt,
      received_at: row.receivedAt ?? new Date(),
      vantage_id: row.vantageId,
      target_id: row.targetId,
      host: row.host,
      port: row.port,
      sni: row.sni,
      verdict: row.verdict,
      failure: row.failure,
      verified: row.verified,
      chain: sql.json(row.chain as never),
      protocol: row.protocol,
      cipher: row.cipher,
      evidence: sql.json(row.evidence as never),
      known_match: row.knownMatch,
      idempotency_key: row.idempotencyKey ?? null,
    }))
    const result = await sql`
      insert into tls_observations ${sql(batch as never)}
      on conflict (idempotency_key) do nothing`
    inserted += result.count
  }
  return inserted
}

/** Observations in [from, to), newest first. */
export async function queryTlsObservations(
  sql: Sql | TransactionSql,
  filter: TlsObservationFilter,
): Promise<TlsObservationRecord[]> {
  const rows = await sql<TlsObservationRow[]>`
    select * from tls_observations
    where true
      ${filter.host === undefined ? sql`` : sql`and host = ${filter.host}`}
      ${filter.sni === undefined ? sql`` : sql`and sni = ${filter.sni}`}
      ${filter.vantage === undefined ? sql`` : sql`and vantage_id = ${filter.vantage}`}
      ${filter.target === undefined ? sql`` : sql`and target_id = ${filter.target}`}
      ${filter.verdict === undefined ? sql`` : sql`and verdict = ${filter.verdict}`}
      ${filter.from === undefined ? sql`` : sql`and measured_at >= ${filter.from}`}
      ${filter.to === undefined ? sql`` : sql`and measured_at < ${filter.to}`}
    order by measured_at desc, id desc
    limit ${filter.limit}`
  return rows.map(fromRow)
}

export interface ControlLookup {
  host: string
  sni: string
  /** Oldest observation still worth comparing with. */
  since: Date
  /** Leave out this vantage's own observations. */
  excludeVantage?: string | undefined
}

/**
 * The latest observation of a control-role vantage for this host and SNI since `since`. One that saw a
 * chain wins over a later one that saw none: a handshake the control lost is nothing to compare with.
 */
export async function latestControlObservation(
  sql: Sql | TransactionSql,
  lookup: ControlLookup,
): Promise<TlsObservationRecord | undefined> {
  const [row] = await sql<TlsObservationRow[]>`
    select o.* from tls_observations o
    join vantages v on v.id = o.vantage_id
    where o.host = ${lookup.host} and o.sni = ${lookup.sni} and o.measured_at >= ${lookup.since}
      and v.role = 'control'
      ${lookup.excludeVantage === undefined ? sql`` : sql`and o.vantage_id <> ${lookup.excludeVantage}`}
    order by (jsonb_array_length(o.chain) > 0) desc, o.measured_at desc, o.id desc
    limit 1`
  return row ? fromRow(row) : undefined
}

interface TlsObservationRow {
  id: number
  measured_at: Date
  received_at: Date
  vantage_id: string
  target_id: string
  host: string
  port: number
  sni: string
  verdict: string
  failure: string | null
  verified: boolean
  chain: JsonObject[]
  protocol: string | null
  cipher: string | null
  evidence: JsonObject[]
  known_match: string | null
  idempotency_key: string | null
}

function fromRow(row: TlsObservationRow): TlsObservationRecord {
  return {
    id: Number(row.id),
    measuredAt: row.measured_at,
    receivedAt: row.received_at,
    vantageId: row.vantage_id,
    targetId: row.target_id,
    host: row.host,
    port: row.port,
    sni: row.sni,
    verdict: row.verdict,
    failure: row.failure,
    verified: row.verified,
    chain: row.chain,
    protocol: row.protocol,
    cipher: row.cipher,
    evidence: row.evidence,
    knownMatch: row.known_match,
    idempotencyKey: row.idempotency_key,
  }
}
