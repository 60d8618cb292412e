// Silences created through the api: matchers on kind, region and vantage with a time range. Those from
// the config file live in the config; the notifier reads both.
import type { Sql, TransactionSql } from './connect.js'

type Db = Sql | TransactionSql

export interface NewSilence {
  /** Null (or absent) matches every value. */
  kinds?: string[] | null
  regions?: string[] | null
  vantages?: string[] | null
  startsAt: Date
  endsAt: Date
  comment: string
  createdBy?: string | null
}

export interface StoredSilence {
  id: number
  kinds: string[] | null
  regions: string[] | null
  vantages: string[] | null
  startsAt: Date
  endsAt: Date
  comment: string
  createdBy: string | null
  createdAt: Date
}

export async function createSilence(sql: Db, silence: NewSilence): Promise<StoredSilence> {
  const [row] = await sql<SilenceRow[]>`
    insert into silences (kinds, regions, vantages, starts_at, ends_at, comment, created_by)
    values (${silence.kinds ?? null}::text[], ${silence.regions ?? null}::text[], ${silence.vantages ?? null}::text[],
            ${silence.startsAt}, ${silence.endsAt}, ${silence.comment}, ${silence.createdBy ?? null})
    returning *`
  return fromRow(row!)
}

/** Removes a silence; false when there was none with that id. */
export async function deleteSilence(sql: Db, id: number): Promise<boolean> {
  const result = await sql`delete from silences where id = ${id}`
  return result.count === 1
}

/** Silences that have not ended at `at` (active or still to come), or all of them; by start. */
export async function listSilences(
  sql: Db,
  options: { notEndedAt?: Date | undefined } = {},
): Promise<StoredSilence[]> {
  const rows = await sql<SilenceRow[]>`
    select * from silences
    ${options.notEndedAt === undefined ? sql`` : sql`where ends_at > ${options.notEndedAt}`}
    order by starts_at, id`
  return rows.map(fromRow)
}

/** Silences in force at `at`. */
export async function activeSilences(sql: Db, at: Date): Promise<StoredSilence[]> {
  const rows = await sql<SilenceRow[]>`
    select * from silences where starts_at <= ${at} and ends_at > ${at} order by id`
  return rows.map(fromRow)
}

interface SilenceRow {
  id: number
  kinds: string[] | null
  regions: string[] | null
  vantages: string[] | null
  starts_at: Date
  ends_at: Date
  comment: string
  created_by: string | null
  created_at: Date
}

function fromRow(row: SilenceRow): StoredSilence {
  return {
    id: row.id,
    kinds: row.kinds,
    regions: row.regions,
    vantages: row.vantages,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    comment: row.comment,
    createdBy: row.created_by,
    createdAt: row.created_at,
  }
}
