// The live pollers of other observatories: where each resumes, the validators of its last answers, and
// its health (the line /v1/sources shows for it).
import type { Sql, TransactionSql } from './connect.js'

type Db = Sql | TransactionSql

export type PollerHealthState = 'unknown' | 'ok' | 'failing' | 'down'

export interface PollerRecord {
  /** `ooni:KZ`, `ioda:country/KZ`, `ioda:asn/9198`. */
  name: string
  kind: 'ooni' | 'ioda'
  url: string
  state: PollerHealthState
  lastPollAt: Date | null
  lastSuccessAt: Date | null
  lastErrorAt: Date | null
  lastError: string | null
  consecutiveFailures: number
  nextPollAt: Date | null
  recordsSeen: number
  cursor: Record<string, unknown>
}

/** The stored state of one poller, or undefined before its first poll. */
export async function getPoller(sql: Db, name: string): Promise<PollerRecord | undefined> {
  const [row] = await sql<PollerRecord[]>`
    select name, kind, url, state, last_poll_at as "lastPollAt", last_success_at as "lastSuccessAt",
           last_error_at as "lastErrorAt", last_error as "lastError",
           consecutive_failures as "consecutiveFailures", next_poll_at as "nextPollAt",
           records_seen::float8 as "recordsSeen", cursor
    from observatory_pollers where name = ${name}`
  return row
}

/** Every poller's state, by name. */
export async function listPollers(sql: Db): Promise<PollerRecord[]> {
  return sql<PollerRecord[]>`
    select name, kind, url, state, last_poll_at as "lastPollAt", last_success_at as "lastSuccessAt",
           last_error_at as "lastErrorAt", last_error as "lastError",
           consecutive_failures as "consecutiveFailures", next_poll_at as "nextPollAt",
           records_seen::float8 as "recordsSeen", cursor
    from observatory_pollers order by name`
}

export interface PollOutcome {
  name: string
  kind: 'ooni' | 'ioda'
  url: string
  polledAt: Date
  /** Null after a successful poll. */
  error: string | null
  nextPollAt: Date
  newRecords: number
  cursor: Record<string, unknown>
}

/**
 * Records one poll: a success resets the failure count; a failure counts up (state `failing`, `down`
 * from `downAfter` failures in a row, as for news sources). The cursor is replaced as given.
 */
export async function recordPoll(sql: Db, outcome: PollOutcome, downAfter = 5): Promise<void> {
  const failed = outcome.error !== null
  await sql`
    insert into observatory_pollers (name, kind, url, state, last_poll_at, last_success_at, last_error_at,
                                     last_error, consecutive_failures, next_poll_at, records_seen, cursor)
    values (${outcome.name}, ${outcome.kind}, ${outcome.url}, ${failed ? (downAfter <= 1 ? 'down' : 'failing') : 'ok'},
            ${outcome.polledAt}, ${failed ? null : outcome.polledAt}, ${failed ? outcome.polledAt : null},
            ${outcome.error}, ${failed ? 1 : 0}, ${outcome.nextPollAt}, ${outcome.newRecords},
            ${sql.json(outcome.cursor as never)})
    on conflict (name) do update set
      kind = excluded.kind,
      url = excluded.url,
      last_poll_at = excluded.last_poll_at,
      last_success_at = coalesce(excluded.last_success_at, observatory_pollers.last_success_at),
      last_error_at = coalesce(excluded.last_error_at, observatory_pollers.last_error_at),
      last_error = case when ${failed} then excluded.last_error else observatory_pollers.last_error end,
      consecutive_failures = case when ${failed} then observatory_pollers.consecutive_failures + 1 else 0 end,
      state = case
        when not ${failed} then 'ok'
        when observatory_pollers.consecutive_failures + 1 >= ${downAfter} then 'down'
        else 'failing' end,
      next_poll_at = excluded.next_poll_at,
      records_seen = observatory_pollers.records_seen + excluded.records_seen,
      cursor = excluded.cursor,
      updated_at = now()`
}
