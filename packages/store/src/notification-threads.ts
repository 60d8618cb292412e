// What chat channels need beyond the outbox row: the remote id of the first message about an incident (so
// a RESOLVED or an update replies to it), handing a leased row back untried (a rate limit on its receiver),
// and receivers a channel refused for good.
import type { Sql, TransactionSql } from './connect.js'
import type { NotificationChannel } from './notifications.js'

type Db = Sql | TransactionSql

export interface ThreadRoot {
  notificationId: number
  remoteId: string
  /** The plain text of the first message, for channels that quote what they reply to (Signal). */
  bodyText: string
}

/**
 * The first delivered `firing` message to this receiver on this channel that told about any of these
 * incidents and has a remote id; undefined when there is none (never sent, or sent before remote ids).
 */
export async function threadRootOf(
  sql: Db,
  thread: { receiver: string; channel: NotificationChannel; incidentIds: readonly number[]; before: number },
): Promise<ThreadRoot | undefined> {
  if (thread.incidentIds.length === 0) return undefined
  const [row] = await sql<{ id: number; remote_id: string; body_text: string }[]>`
    select id, remote_id, body_text from notifications
    where receiver = ${thread.receiver} and channel = ${thread.channel} and event = 'firing'
      and state = 'sent' and remote_id is not null and id < ${thread.before}
      and incident_ids && ${thread.incidentIds as number[]}::bigint[]
    order by id
    limit 1`
  return row
    ? { notificationId: Number(row.id), remoteId: row.remote_id, bodyText: row.body_text }
    : undefined
}

/**
 * Hands a leased row back untried, due at `retryAt`, without counting the attempt: the remote asked the
 * sender to wait (a rate limit) before this row was sent. False when the lease was lost meanwhile.
 */
export async function releaseNotification(
  sql: Db,
  id: number,
  owner: string,
  retryAt: Date,
): Promise<boolean> {
  const result = await sql`
    update notifications set state = 'pending', next_attempt_at = ${retryAt}, lease_owner = null,
      lease_until = null, attempts = greatest(0, attempts - 1)
    where id = ${id} and state = 'sending' and lease_owner = ${owner}`
  return result.count === 1
}

export interface ReceiverStatus {
  receiver: string
  channel: NotificationChannel
  /** Null once a message got through again. */
  failingSince: Date | null
  lastError: string | null
  updatedAt: Date
}

/** Records that a channel refused a receiver for good (keeps the first failure's time). */
export async function markReceiverFailing(
  sql: Db,
  status: { receiver: string; channel: NotificationChannel; error: string; at: Date },
): Promise<void> {
  await sql`
    insert into notification_receivers (receiver, channel, failing_since, last_error, updated_at)
    values (${status.receiver}, ${status.channel}, ${status.at}, ${status.error.slice(0, 2000)}, ${status.at})
    on conflict (receiver, channel) do update set
      failing_since = coalesce(notification_receivers.failing_since, excluded.failing_since),
      last_error = excluded.last_error, updated_at = excluded.updated_at`
}

/** Clears a receiver's failing state after a delivery; true when it had been failing. */
export async function markReceiverWorking(
  sql: Db,
  status: { receiver: string; channel: NotificationChannel; at: Date },
): Promise<boolean> {
  const result = await sql`
    update notification_receivers set failing_since = null, updated_at = ${status.at}
    where receiver = ${status.receiver} and channel = ${status.channel} and failing_since is not null`
  return result.count > 0
}

/** Every receiver and channel with a recorded state, failing or recovered. */
export async function receiverStatuses(sql: Db): Promise<ReceiverStatus[]> {
  const rows = await sql<
    {
      receiver: string
      channel: NotificationChannel
      failing_since: Date | null
      last_error: string | null
      updated_at: Date
    }[]
  >`select receiver, channel, failing_since, last_error, updated_at from notification_receivers
    order by receiver, channel`
  return rows.map((row) => ({
    receiver: row.receiver,
    channel: row.channel,
    failingSince: row.failing_since,
    lastError: row.last_error,
    updatedAt: row.updated_at,
  }))
}
