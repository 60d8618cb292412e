// Email subscribers of the public status page, with double opt-in: a subscription is pending until the
// link mailed to the address is followed, and only then records consent. The confirmation token is stored
// as SHA-256; the unsubscribe token as it is, since every message carries it (it can only end the one
// subscription).
import { randomBytes } from 'node:crypto'
import { hashApiKey } from './api-keys.js'
import type { Sql, TransactionSql } from './connect.js'

type Db = Sql | TransactionSql

export type SubscriberScopeType = 'country' | 'region'
export type SubscriberState = 'pending' | 'confirmed' | 'unsubscribed'

export interface StatusSubscriber {
  id: number
  email: string
  scopeType: SubscriberScopeType
  scope: string
  state: SubscriberState
  requestedAt: Date
  /** When the subscriber confirmed (followed the emailed link); null until then. */
  consentAt: Date | null
  unsubscribedAt: Date | null
  /** Goes into the unsubscribe link of every message. */
  unsubscribeToken: string
}

export interface SubscriptionRequest {
  subscriber: StatusSubscriber
  /** Secrets for the links of the confirmation message; shown once, stored only hashed. */
  confirmToken: string
  unsubscribeToken: string
  /** False when a live subscription for the address and scope existed: it keeps its state, new tokens. */
  created: boolean
}

function token(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * Records a subscription request (pending) or renews the tokens of the live one for the same address and
 * scope (a lost confirmation message can be asked for again). Addresses compare case-insensitively.
 */
export async function requestSubscription(
  sql: Db,
  request: { email: string; scopeType: SubscriberScopeType; scope: string; at: Date },
): Promise<SubscriptionRequest> {
  const confirmToken = token()
  const unsubscribeToken = token()
  const [existing] = await sql<SubscriberRow[]>`
    select * from status_subscribers
    where lower(email) = lower(${request.email}) and scope_type = ${request.scopeType}
      and scope = ${request.scope} and state <> 'unsubscribed'
    for update`
  if (existing) {
    const [row] = await sql<SubscriberRow[]>`
      update status_subscribers set confirm_token_hash = ${hashApiKey(confirmToken)},
        unsubscribe_token = ${unsubscribeToken}
      where id = ${existing.id} returning *`
    return { subscriber: fromRow(row!), confirmToken, unsubscribeToken, created: false }
  }
  const [row] = await sql<SubscriberRow[]>`
    insert into status_subscribers (email, scope_type, scope, confirm_token_hash, unsubscribe_token,
                                    requested_at)
    values (${request.email}, ${request.scopeType}, ${request.scope}, ${hashApiKey(confirmToken)},
            ${unsubscribeToken}, ${request.at})
    returning *`
  return { subscriber: fromRow(row!), confirmToken, unsubscribeToken, created: true }
}

/** Confirms the pending subscription of a confirmation token (consent at `at`); null for an unknown token. */
export async function confirmSubscription(
  sql: Db,
  confirmToken: string,
  at: Date,
): Promise<StatusSubscriber | null> {
  const [row] = await sql<SubscriberRow[]>`
    update status_subscribers set state = 'confirmed', consent_at = coalesce(consent_at, ${at})
    where confirm_token_hash = ${hashApiKey(confirmToken)} and state <> 'unsubscribed'
    returning *`
  return row ? fromRow(row) : null
}

/** Ends the subscription of an unsubscribe token; null for an unknown token. Idempotent. */
export async function unsubscribe(
  sql: Db,
  unsubscribeToken: string,
  at: Date,
): Promise<StatusSubscriber | null> {
  const [row] = await sql<SubscriberRow[]>`
    update status_subscribers set state = 'unsubscribed', consent_at = null,
      unsubscribed_at = coalesce(unsubscribed_at, ${at})
    where unsubscribe_token = ${unsubscribeToken}
    returning *`
  return row ? fromRow(row) : null
}

/** Confirmed subscribers, by id. */
export async function confirmedSubscribers(sql: Db): Promise<StatusSubscriber[]> {
  const rows = await sql<SubscriberRow[]>`
    select * from status_subscribers where state = 'confirmed' order by id`
  return rows.map(fromRow)
}

/** The subscriber of an id, whatever its state. */
export async function getSubscriber(sql: Db, id: number): Promise<StatusSubscriber | undefined> {
  const [row] = await sql<SubscriberRow[]>`select * from status_subscribers where id = ${id}`
  return row ? fromRow(row) : undefined
}

interface SubscriberRow {
  id: number
  email: string
  scope_type: SubscriberScopeType
  scope: string
  state: SubscriberState
  requested_at: Date
  consent_at: Date | null
  unsubscribed_at: Date | null
  unsubscribe_token: string
}

function fromRow(row: SubscriberRow): StatusSubscriber {
  return {
    id: Number(row.id),
    email: row.email,
    scopeType: row.scope_type,
    scope: row.scope,
    state: row.state,
    requestedAt: row.requested_at,
    consentAt: row.consent_at,
    unsubscribedAt: row.unsubscribed_at,
    unsubscribeToken: row.unsubscribe_token,
  }
}
