// Email for status page subscribers, through the same outbox as alert emails (and so delivered exactly
// once per idempotency key, with retries): the confirmation message of the double opt-in, and one message
// per public incident event (firing, resolved) after the subscriber's consent. Each carries an
// unsubscribe link, also as List-Unsubscribe headers (RFC 2369, one-click per RFC 8058).
import { createHash } from 'node:crypto'
import type { VigilConfig } from '@vigil/config'
import {
  confirmedSubscribers,
  type Incident,
  insertNotifications,
  type NewNotification,
  queryIncidents,
  type Sql,
  type StatusSubscriber,
} from '@vigil/store'
import { isPublicIncident, publicIncidentEntry } from './public-status.js'
import { escapeHtml as h } from './render.js'

/** Receiver names of subscriber rows in the outbox: `subscriber:<id>`. */
export const SUBSCRIBER_RECEIVER_PREFIX = 'subscriber:'

/** What the email channel needs to send a subscriber row: in the row's payload. */
export interface SubscriberPayload {
  to: string
  unsubscribeUrl: string
}

function link(config: VigilConfig, path: string, token: string): string {
  const base = config.api.publicUrl
  if (!base) throw new Error('status.subscriptions needs api.publicUrl in the config for its links')
  const url = new URL(path, base)
  url.searchParams.set('token', token)
  return url.toString()
}

function scopeName(subscriber: Pick<StatusSubscriber, 'scopeType' | 'scope'>): string {
  return subscriber.scopeType === 'country' ? `all of ${subscriber.scope}` : subscriber.scope
}

/** The confirmation message of a subscription request, as an outbox row. */
export function confirmationNotification(
  config: VigilConfig,
  subscriber: StatusSubscriber,
  confirmToken: string,
  now: Date,
): NewNotification {
  const confirmUrl = link(config, '/status/confirm', confirmToken)
  const unsubscribeUrl = link(config, '/status/unsubscribe', subscriber.unsubscribeToken)
  const title = config.status.title ?? `${config.name}: status`
  const text = [
    `Someone, hopefully you, asked to receive ${title} updates for ${scopeName(subscriber)} at this address.`,
    '',
    `To confirm, open: ${confirmUrl}`,
    '',
    'If you did not ask for this, ignore this message: nothing more will be sent.',
    `Unsubscribe: ${unsubscribeUrl}`,
  ].join('\n')
  const html = `<p>Someone, hopefully you, asked to receive ${h(title)} updates for ${h(scopeName(subscriber))} at this address.</p>
<p><a href="${h(confirmUrl)}">Confirm the subscription</a></p>
<p>If you did not ask for this, ignore this message: nothing more will be sent.</p>
<p><a href="${h(unsubscribeUrl)}">Unsubscribe</a></p>`
  // One message per token: asking again mails a new link; a retry of the same request does not.
  const tokenId = createHash('sha256').update(confirmToken).digest('hex').slice(0, 16)
  return {
    idempotencyKey: `status-confirm:${subscriber.id}:${tokenId}`,
    channel: 'email',
    receiver: `${SUBSCRIBER_RECEIVER_PREFIX}${subscriber.id}`,
    groupKey: `status:${subscriber.id}`,
    incidentIds: [],
    items: [],
    event: 'update',
    subject: `Confirm your subscription: ${title}, ${scopeName(subscriber)}`,
    bodyText: text,
    bodyHtml: html,
    payload: { to: subscriber.email, unsubscribeUrl } satisfies SubscriberPayload,
    createdAt: now,
  }
}

/** Whether a subscriber follows the place of a public incident. */
export function subscriberFollows(
  config: VigilConfig,
  subscriber: StatusSubscriber,
  incident: Incident,
): boolean {
  const entry = publicIncidentEntry(config, incident)
  if (subscriber.scopeType === 'country') return entry.country === subscriber.scope
  if (entry.regions.includes(subscriber.scope)) return true
  // A country-wide incident concerns each of the country's regions.
  const region = config.regions.find((candidate) => candidate.name === subscriber.scope)
  return entry.regions.length === 0 && (region?.country ?? config.country) === entry.country
}

/**
 * Plans the messages to confirmed subscribers into the outbox: one per subscriber, public incident and
 * event (`firing` when it fired, `resolved`), for events after the subscriber's consent and within the
 * last day. Returns how many
 * rows were new. Idempotent: run it every round.
 */
export async function planSubscriberNotifications(sql: Sql, config: VigilConfig, now: Date): Promise<number> {
  if (!config.status.enabled || !config.status.subscriptions) return 0
  const subscribers = await confirmedSubscribers(sql)
  if (subscribers.length === 0) return 0
  // Events older than a day are not mailed (after an outage of the notifier, say): that late they are
  // history, which the page and the feeds keep.
  const horizon = now.getTime() - 86_400_000
  const earliest = Math.max(
    horizon,
    Math.min(...subscribers.map((subscriber) => subscriber.consentAt!.getTime())),
  )
  const incidents = (await queryIncidents(sql, { from: new Date(earliest), limit: 1000 })).filter(
    (incident) => isPublicIncident(incident) && incident.firingAt !== null,
  )
  const rows: NewNotification[] = []
  for (const subscriber of subscribers) {
    const since = Math.max(horizon, subscriber.consentAt!.getTime())
    for (const incident of incidents) {
      if (!subscriberFollows(config, subscriber, incident)) continue
      const events: Array<['firing' | 'resolved', Date]> = []
      if (incident.firingAt!.getTime() >= since) events.push(['firing', incident.firingAt!])
      if (incident.resolvedAt && incident.resolvedAt.getTime() >= since) {
        events.push(['resolved', incident.resolvedAt])
      }
      for (const [event, at] of events)
        rows.push(incidentNotification(config, subscriber, incident, event, at))
    }
  }
  return insertNotifications(sql, rows)
}

function incidentNotification(
  config: VigilConfig,
  subscriber: StatusSubscriber,
  incident: Incident,
  event: 'firing' | 'resolved',
  at: Date,
): NewNotification {
  const entry = publicIncidentEntry(config, incident)
  const unsubscribeUrl = link(config, '/status/unsubscribe', subscriber.unsubscribeToken)
  const pageUrl = new URL(`/status#${entry.anchor}`, config.api.publicUrl).toString()
  const subject = `${event === 'resolved' ? 'Resolved' : 'Now'}: ${entry.title}`
  const text = [
    entry.title,
    '',
    ...entry.lines,
    '',
    `Status page: ${pageUrl}`,
    '',
    `Unsubscribe: ${unsubscribeUrl}`,
  ].join('\n')
  const html = `<h1>${h(entry.title)}</h1><ul>${entry.lines.map((line) => `<li>${h(line)}</li>`).join('')}</ul>
<p><a href="${h(pageUrl)}">Status page</a></p><p><a href="${h(unsubscribeUrl)}">Unsubscribe</a></p>`
  return {
    idempotencyKey: `status:${subscriber.id}:${incident.id}:${event}`,
    channel: 'email',
    receiver: `${SUBSCRIBER_RECEIVER_PREFIX}${subscriber.id}`,
    groupKey: `status:${subscriber.id}`,
    incidentIds: [incident.id],
    items: [`${incident.id}:${event}:public`],
    event,
    subject,
    bodyText: text,
    bodyHtml: html,
    payload: { to: subscriber.email, unsubscribeUrl } satisfies SubscriberPayload,
    createdAt: at,
  }
}
