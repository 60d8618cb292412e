// Email for status page subscribers, through the same outbox as alert emails (and so delivered exactly
// once per idempotency key, with retries): the confirmation message of the double opt-in, one message
// per public incident event (firing, resolved) after the subscriber's consent, and the detention reports
// of the subscriber's country or region (new ones, and a grown count as an update), rendered by the
// operators' email renderer without its operator links. Each carries an unsubscribe link, also as
// List-Unsubscribe headers (RFC 2369, one-click per RFC 8058).
import { createHash } from 'node:crypto'
import type { VigilConfig } from '@vigil/config'
import {
  detentionDetails,
  incidentVersion,
  type NotificationBundle,
  type PlannedItem,
  renderEmail,
} from '@vigil/notify'
import {
  confirmedSubscribers,
  type Incident,
  insertNotifications,
  type NewNotification,
  notifiedItems,
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
 * Whether a subscriber follows a detention report: a region subscriber when the report names the region
 * among its cities, a country subscriber when one of its cities is in the country (a region's `country`,
 * else the installation's), or when it names no city and the country is the installation's.
 */
export function subscriberFollowsReport(
  config: VigilConfig,
  subscriber: Pick<StatusSubscriber, 'scopeType' | 'scope'>,
  report: Incident,
): boolean {
  const { cities } = detentionDetails(report)
  if (subscriber.scopeType === 'region') return cities.includes(subscriber.scope)
  const countries =
    cities.length === 0
      ? [config.country]
      : cities.map((city) => config.regions.find((region) => region.name === city)?.country ?? config.country)
  return countries.includes(subscriber.scope)
}

/**
 * Plans the messages to confirmed subscribers into the outbox: one per subscriber, public incident and
 * event (`firing` when it fired, `resolved`), for events after the subscriber's consent and within the
 * last day; and the detention reports they follow (see planSubscriberReports). Returns how many rows were
 * new. Idempotent: run it every round.
 */
export async function planSubscriberNotifications(sql: Sql, config: VigilConfig, now: Date): Promise<number> {
  if (!config.status.enabled || !config.status.subscriptions) return 0
  const subscribers = await confirmedSubscribers(sql)
  if (subscribers.length === 0) return 0
  // Events older than a day are not mailed (after an outage of the notifier, say): that late they are
  // history, which the page and the feeds keep.
  const horizon = now.getTime() - DAY
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
  return (await insertNotifications(sql, rows)) + (await planSubscriberReports(sql, config, now, subscribers))
}

const DAY = 86_400_000
// Serialises report planning between notifier replicas, so two rounds at once agree on each message's
// reports (any fixed 64-bit number; this one is "subrpt" in ASCII).
const REPORT_PLANNING_LOCK = 0x737562727074n

/**
 * Detention reports for the subscribers who follow them (subscriberFollowsReport), as the operators get
 * them and through the same renderer: a report the subscriber has not been told about, first published
 * (its incident firing) after their consent and within the last day, is `firing` ("new report"); a
 * report they were told about whose version (its count) has changed since is one `update`, whatever
 * number of versions it went through between two rounds. Reports published before the consent are not
 * sent, nor their later updates. The reports due for a subscriber in one round make one message per
 * event (a flood lists the first MAX_LISTED_INCIDENTS and links the status page for the rest). What was
 * told is read back from the outbox, so each report version reaches a subscriber once. Returns the rows
 * added.
 */
export async function planSubscriberReports(
  sql: Sql,
  config: VigilConfig,
  now: Date,
  subscribers: readonly StatusSubscriber[],
): Promise<number> {
  if (subscribers.length === 0) return 0
  const horizon = now.getTime() - DAY
  const earliest = Math.max(
    horizon,
    Math.min(...subscribers.map((subscriber) => subscriber.consentAt!.getTime())),
  )
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${REPORT_PLANNING_LOCK.toString()}::bigint)`
    const reports = (
      await queryIncidents(tx, { from: new Date(earliest), kind: 'detention_report', limit: 1000 })
    ).filter((report) => report.firingAt !== null)
    if (reports.length === 0) return 0
    const told = await notifiedItems(
      tx,
      reports.map((report) => report.id),
    )
    const rows: NewNotification[] = []
    for (const subscriber of subscribers) {
      const receiver = `${SUBSCRIBER_RECEIVER_PREFIX}${subscriber.id}`
      const since = Math.max(horizon, subscriber.consentAt!.getTime())
      const fresh: PlannedItem[] = []
      const grown: PlannedItem[] = []
      for (const report of reports) {
        if (!subscriberFollowsReport(config, subscriber, report)) continue
        const mine = told.filter((item) => item.receiver === receiver && item.incidentId === report.id)
        const version = incidentVersion(report)
        if (!mine.some((item) => item.event === 'firing')) {
          if (report.firingAt!.getTime() >= since) {
            fresh.push({ incident: report, event: 'firing', version, at: report.firingAt! })
          }
        } else if (!mine.some((item) => item.version === version) && report.lastSeenAt.getTime() >= horizon) {
          grown.push({ incident: report, event: 'update', version, at: report.lastSeenAt })
        }
      }
      for (const items of [fresh, grown]) {
        if (items.length > 0) rows.push(reportNotification(config, subscriber, items, now))
      }
    }
    return insertNotifications(tx, rows)
  })
}

function reportNotification(
  config: VigilConfig,
  subscriber: StatusSubscriber,
  items: PlannedItem[],
  now: Date,
): NewNotification {
  const event = items[0]!.event
  const receiver = `${SUBSCRIBER_RECEIVER_PREFIX}${subscriber.id}`
  const bundle: NotificationBundle = {
    receiver,
    channel: 'email',
    groupKey: `status:${subscriber.id}`,
    kind: 'detention_report',
    event,
    items: [...items].sort(
      (a, b) =>
        a.incident.startedAt.getTime() - b.incident.startedAt.getTime() || a.incident.id - b.incident.id,
    ),
  }
  const unsubscribeUrl = link(config, '/status/unsubscribe', subscriber.unsubscribeToken)
  const page = new URL('/status', config.api.publicUrl)
  if (subscriber.scopeType === 'region') page.searchParams.set('region', subscriber.scope)
  const title = config.status.title ?? `${config.name}: status`
  const why = `You receive this because you subscribed to ${title} updates for ${scopeName(subscriber)}.`
  const email = renderEmail(bundle, config, {
    publicLinks: { all: page.toString() },
    footer: {
      text: [`Status page: ${page}`, '', why, `Unsubscribe: ${unsubscribeUrl}`].join('\n'),
      html: `<p><a href="${h(page.toString())}">Status page</a></p>
<p style="color:#666">${h(why)} <a href="${h(unsubscribeUrl)}">Unsubscribe</a></p>`,
    },
  })
  // A fixed-size key from the subscriber, the event and every report's id and version.
  const parts = bundle.items.map((item) => `${item.incident.id}:${item.version}`).join(',')
  const digest = createHash('sha256').update(parts).digest('hex')
  return {
    idempotencyKey: `status-report:${subscriber.id}:${event}:${digest}`,
    channel: 'email',
    receiver,
    groupKey: bundle.groupKey,
    incidentIds: bundle.items.map((item) => item.incident.id),
    items: bundle.items.map((item) => `${item.incident.id}:${item.event}:${item.version}`),
    event,
    subject: email.subject,
    bodyText: email.text,
    bodyHtml: email.html,
    payload: { to: subscriber.email, unsubscribeUrl } satisfies SubscriberPayload,
    createdAt: now,
  }
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
