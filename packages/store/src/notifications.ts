// The notification outbox. Planning inserts rows once per idempotency key; delivery workers lease due rows
// with FOR UPDATE SKIP LOCKED, so two replicas never send the same message, and record the outcome.
import type { Sql, TransactionSql } from './connect.js'

type Db = Sql | TransactionSql

export type NotificationChannel = 'email' | 'webhook' | 'telegram' | 'matrix' | 'signal' | 'ntfy'
export type NotificationEvent = 'firing' | 'resolved' | 'update' | 'reminder'
export type NotificationState = 'pending' | 'sending' | 'sent' | 'failed'

export interface NewNotification {
  idempotencyKey: string
  channel: NotificationChannel
  receiver: string
  groupKey: string
  incidentIds: number[]
  /** `incidentId:event:version` for every incident in the message. */
  items: string[]
  event: NotificationEvent
  subject: string
  bodyText: string
  bodyHtml: string
  payload: Record<string, unknown> | null
  createdAt: Date
}

export interface Notification extends NewNotification {
  id: number
  state: NotificationState
  attempts: number
  nextAttemptAt: Date
  leaseOwner: string | null
  leaseUntil: Date | null
  lastError: string | null
  sentAt: Date | null
  /** The remote's id of the delivered message (Telegram message_id, Matrix event_id...), when it gives one. */
  remoteId: string | null
}

/** One incident's mention in a stored notification, as planning needs it. */
export interface NotifiedItem {
  receiver: string
  channel: NotificationChannel
  incidentId: number
  event: NotificationEvent
  version: string
  createdAt: Date
}

/** Inserts the notifications whose key is new; returns how many were inserted. */
export async function insertNotifications(sql: Db, rows: readonly NewNotification[]): Promise<number> {
  let inserted = 0
  for (const row of rows) {
    const result = await sql`
      insert into notifications (idempotency_key, channel, receiver, group_key, incident_ids, items, event, subject,
                                 body_text, body_html, payload, next_attempt_at, created_at)
      values (${row.idempotencyKey}, ${row.channel}, ${row.receiver}, ${row.groupKey}, ${row.incidentIds}::bigint[],
              ${row.items}::text[], ${row.event}, ${row.subject}, ${row.bodyText}, ${row.bodyHtml},
              ${row.payload === null ? null : sql.json(row.payload as never)}, ${row.createdAt}, ${row.createdAt})
      on conflict (idempotency_key) do nothing`
    inserted += result.count
  }
  return inserted
}

/** Every mention of these incidents in the outbox, whatever its delivery state. */
export async function notifiedItems(sql: Db, incidentIds: readonly number[]): Promise<NotifiedItem[]> {
  if (incidentIds.length === 0) return []
  const rows = await sql<
    { receiver: string; channel: NotificationChannel; item: string; created_at: Date }[]
  >`
    select receiver, channel, unnest(items) as item, created_at from notifications
    where incident_ids && ${incidentIds as number[]}::bigint[]`
  const wanted = new Set(incidentIds)
  const items: NotifiedItem[] = []
  for (const row of rows) {
    const [id, event, ...version] = row.item.split(':')
    if (!wanted.has(Number(id))) continue
    items.push({
      receiver: row.receiver,
      channel: row.channel,
      incidentId: Number(id),
      event: event as NotificationEvent,
      version: version.join(':'),
      createdAt: row.created_at,
    })
  }
  return items
}

export interface LeaseOptions {
  owner: string
  now: Date
  leaseMs: number
  limit: number
}

/**
 * Takes up to `limit` due notifications for `owner`: pending ones whose next attempt has come, and ones
 * left `sending` by a worker whose lease ran out (it died mid-send). Rows another worker holds are skipped.
 */
export async function leaseNotifications(sql: Db, options: LeaseOptions): Promise<Notification[]> {
  const leaseUntil = new Date(options.now.getTime() + options.leaseMs)
  const rows = await sql<NotificationRow[]>`
    with due as (
      select id from notifications
      where (state = 'pending' and next_attempt_at <= ${options.now})
         or (state = 'sending' and lease_until <= ${options.now})
      order by next_attempt_at, id
      limit ${options.limit}
      for update skip locked
    )
    update notifications set state = 'sending', lease_owner = ${options.owner}, lease_until = ${leaseUntil},
      attempts = notifications.attempts + 1
    from due where notifications.id = due.id
    returning notifications.*`
  return rows.map(fromRow).sort((a, b) => a.id - b.id)
}

/**
 * Records a delivery, with the id the remote gave the message (cut to 200 characters) if any; false when
 * the lease was lost to another worker meanwhile.
 */
export async function markNotificationSent(
  sql: Db,
  id: number,
  owner: string,
  at: Date,
  remoteId: string | null = null,
): Promise<boolean> {
  const result = await sql`
    update notifications set state = 'sent', sent_at = ${at}, lease_owner = null, lease_until = null,
      last_error = null, remote_id = ${remoteId === null ? null : remoteId.slice(0, 200)}
    where id = ${id} and state = 'sending' and lease_owner = ${owner}`
  return result.count === 1
}

export interface DeliveryFailure {
  error: string
  /** When to try again; null gives up (a permanent refusal). */
  retryAt: Date | null
}

/** Records a failed attempt: due again at `retryAt`, or failed for good. */
export async function markNotificationFailed(
  sql: Db,
  id: number,
  owner: string,
  failure: DeliveryFailure,
): Promise<boolean> {
  const giveUp = failure.retryAt === null
  const result = await sql`
    update notifications set
      state = ${giveUp ? 'failed' : 'pending'},
      next_attempt_at = coalesce(${failure.retryAt}, next_attempt_at),
      last_error = ${failure.error.slice(0, 2000)},
      lease_owner = null,
      lease_until = null
    where id = ${id} and state = 'sending' and lease_owner = ${owner}`
  return result.count === 1
}

/** Notifications not yet delivered nor given up on. */
export async function countUndeliveredNotifications(sql: Db): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from notifications where state in ('pending', 'sending')`
  return row!.n
}

export interface NotificationFilter {
  state?: NotificationState | undefined
  incidentId?: number | undefined
  limit: number
}

/** Outbox rows, oldest first. */
export async function queryNotifications(sql: Db, filter: NotificationFilter): Promise<Notification[]> {
  const rows = await sql<NotificationRow[]>`
    select * from notifications where true
      ${filter.state === undefined ? sql`` : sql`and state = ${filter.state}`}
      ${filter.incidentId === undefined ? sql`` : sql`and ${filter.incidentId} = any(incident_ids)`}
    order by id
    limit ${filter.limit}`
  return rows.map(fromRow)
}

interface NotificationRow {
  id: number
  idempotency_key: string
  channel: NotificationChannel
  receiver: string
  group_key: string
  incident_ids: number[]
  items: string[]
  event: NotificationEvent
  subject: string
  body_text: string
  body_html: string
  payload: Record<string, unknown> | null
  state: NotificationState
  attempts: number
  next_attempt_at: Date
  lease_owner: string | null
  lease_until: Date | null
  last_error: string | null
  created_at: Date
  sent_at: Date | null
  remote_id: string | null
}

function fromRow(row: NotificationRow): Notification {
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    channel: row.channel,
    receiver: row.receiver,
    groupKey: row.group_key,
    incidentIds: row.incident_ids.map(Number),
    items: row.items,
    event: row.event,
    subject: row.subject,
    bodyText: row.body_text,
    bodyHtml: row.body_html,
    payload: row.payload,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until,
    lastError: row.last_error,
    createdAt: row.created_at,
    sentAt: row.sent_at,
    remoteId: row.remote_id ?? null,
  }
}
