// The quarantine: rows the database refused because of what they hold, each kept with its error, so one bad
// record never holds its batch (and every later one) hostage. `isDataError` tells such a refusal from an
// outage; `writeIsolatingBadRows` splits a refused batch until the bad rows are alone.
import { storableText } from '@vigil/outside-text'
import type { Sql, TransactionSql } from './connect.js'
import { sqlState } from './errors.js'

type Db = Sql | TransactionSql

/**
 * True when PostgreSQL refused a statement because of the values in it, so retrying the same rows can
 * never succeed: SQLSTATE class 22 (data exception: NUL in text, bad escapes in jsonb, out-of-range
 * numbers and dates), class 23 (integrity constraint violation), class 54 (program limit exceeded: an
 * index row or a nesting depth too large). Connection loss, serialization failures and the like are not.
 */
export function isDataError(error: unknown): boolean {
  const state = sqlState(error)
  if (state === undefined) return false
  return state.startsWith('22') || state.startsWith('23') || state.startsWith('54')
}

export interface QuarantinedRow {
  /** The table the row was headed for. */
  table: string
  /** Who sent it: `prober`, `certwatch`, `agent:<vantage>`, `import:ooni`... */
  source: string
  error: unknown
  row: unknown
}

export interface QuarantineRecord {
  id: number
  table: string
  source: string
  errorCode: string | null
  errorMessage: string
  /** The row as JSON text, exactly as it was refused (escapes kept). */
  payload: string
  createdAt: Date
}

// A refused row is kept for a person to read, not whole at any size.
const MAX_PAYLOAD = 65_536

/** Stores refused rows with their errors. The payload is JSON text, so the refused bytes are kept as escapes. */
export async function quarantineRows(sql: Db, rows: readonly QuarantinedRow[]): Promise<void> {
  for (const entry of rows) {
    let payload: string
    try {
      payload = JSON.stringify(entry.row) ?? 'null'
    } catch (error) {
      payload = JSON.stringify({ unserialisable: String(error) })
    }
    const message = entry.error instanceof Error ? entry.error.message : String(entry.error)
    await sql`
      insert into quarantine (table_name, source, error_code, error_message, payload)
      values (${storableText(entry.table, 200)}, ${storableText(entry.source, 200)},
              ${sqlState(entry.error) ?? null}, ${storableText(message, 2_000)},
              ${storableText(payload, MAX_PAYLOAD)})`
  }
}

/** Quarantined rows, newest first. */
export async function queryQuarantine(
  sql: Db,
  filter: { table?: string | undefined; limit: number },
): Promise<QuarantineRecord[]> {
  return sql<QuarantineRecord[]>`
    select id, table_name as "table", source, error_code as "errorCode", error_message as "errorMessage",
           payload, created_at as "createdAt"
    from quarantine
    where true ${filter.table === undefined ? sql`` : sql`and table_name = ${filter.table}`}
    order by id desc
    limit ${filter.limit}`
}

/**
 * Writes `rows` with `write`; when the database refuses a batch for its data (`isDataError`), the batch is
 * split in halves, each written on its own, down to single rows, and each refused row goes to `onBad`.
 * Other errors propagate (after the halves already written). `write` must be idempotent, as a repeated
 * upload may write some rows again. Returns what `write` returned, summed, and the rows refused.
 * Cost: a batch with k bad rows out of n takes about 2·k·log2(n) extra statements.
 */
export async function writeIsolatingBadRows<T>(
  rows: readonly T[],
  write: (batch: T[]) => Promise<number>,
  onBad: (row: T, error: unknown) => Promise<void>,
): Promise<{ written: number; refused: number }> {
  let written = 0
  let refused = 0
  const pieces: T[][] = rows.length === 0 ? [] : [[...rows]]
  while (pieces.length > 0) {
    const piece = pieces.shift()!
    try {
      written += await write(piece)
    } catch (error) {
      if (!isDataError(error)) throw error
      if (piece.length === 1) {
        await onBad(piece[0]!, error)
        refused++
        continue
      }
      const middle = Math.ceil(piece.length / 2)
      pieces.unshift(piece.slice(0, middle), piece.slice(middle))
    }
  }
  return { written, refused }
}
