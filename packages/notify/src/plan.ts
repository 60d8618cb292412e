// Planning: which incident events need a message, to whom, grouped how. `decideNotifications` is the pure
// decision over incidents and what the outbox already holds; `planNotifications` reads the store, decides
// and inserts, serialised by an advisory lock so two replicas planning at once agree on the groups.
import { createHash } from 'node:crypto'
import { isInRallyWindow, type Receiver, type VigilConfig } from '@vigil/config'
import {
  acknowledgementsOf,
  activeSilences,
  type Incident,
  insertNotifications,
  isTransient,
  type NewNotification,
  type NotificationChannel,
  type NotifiedItem,
  notifiedItems,
  type Sql,
} from '@vigil/store'
import { CHAT_CHANNELS, chatMessage, chatPayload, isChatChannel } from './chat.js'
import { renderEmail } from './email.js'
import { isSilenced, type RoutedReceiver, routeIncident, type SilenceMatcher } from './routing.js'
import type { NotificationBundle, PlannedItem } from './types.js'
import { buildWebhookPayload } from './webhook.js'

export interface DecideInput {
  config: VigilConfig
  /** Firing incidents and recently resolved ones. */
  incidents: readonly Incident[]
  /** What the outbox already says about these incidents. */
  notified: readonly NotifiedItem[]
  /** Silences from the api; the config's are added here. */
  silences: readonly SilenceMatcher[]
  /**
   * Incidents an operator has acknowledged: they get no reminders (as in Alertmanager, where an
   * acknowledged alert is not re-notified on its repeat interval). Their first message, level changes,
   * a detention report's new versions and the resolution are sent as for any other incident.
   */
  acknowledged?: ReadonlySet<number>
  now: Date
}

/** The version of an incident a message tells: its level, or a detention report's version. */
export function incidentVersion(incident: Incident): string {
  if (incident.kind === 'detention_report') {
    const version = incident.evidence.version
    return `v${typeof version === 'number' ? version : 1}`
  }
  return incident.level
}

export function channelsOf(receiver: Receiver): NotificationChannel[] {
  const channels: NotificationChannel[] = []
  if (receiver.email.length > 0) channels.push('email')
  if (receiver.webhook) channels.push('webhook')
  for (const chat of CHAT_CHANNELS) if (receiver[chat]) channels.push(chat)
  return channels
}

interface Candidate extends PlannedItem {
  routed: RoutedReceiver
  channel: NotificationChannel
}

/**
 * The next event one receiver should hear about one incident on one channel, if any. An acknowledged
 * incident gets no `reminder` (every repeatInterval of the route otherwise); everything else is unchanged.
 */
export function nextEvent(
  incident: Incident,
  routed: RoutedReceiver,
  told: readonly NotifiedItem[],
  inRally: boolean,
  now: Date,
  acknowledged = false,
): Omit<PlannedItem, 'incident'> | undefined {
  const fired = told.filter((item) => item.event === 'firing')
  if (incident.state === 'resolved') {
    if (!routed.route.sendResolved || fired.length === 0) return undefined
    if (told.some((item) => item.event === 'resolved')) return undefined
    return { event: 'resolved', version: 'resolved', at: incident.resolvedAt! }
  }
  if (incident.state !== 'firing') return undefined
  const version = incidentVersion(incident)
  if (fired.length === 0) return { event: 'firing', version, at: incident.firingAt ?? incident.startedAt }
  const last = Math.max(...told.map((item) => item.createdAt.getTime()))
  const versionTold = told.some(
    (item) => (item.event === 'firing' || item.event === 'update') && item.version === version,
  )
  if (!versionTold) {
    // Changes within a group are sent at most every group interval (at once inside a rally window).
    const pause = inRally ? routed.route.rallyGroupWait : routed.route.groupInterval
    return { event: 'update', version, at: new Date(last + pause) }
  }
  if (acknowledged) return undefined
  const due = last + routed.route.repeatInterval
  if (now.getTime() < due) return undefined
  const reminders = told.filter((item) => item.event === 'reminder').length
  return { event: 'reminder', version: String(reminders + 1), at: new Date(due) }
}

function inRallyWindow(config: VigilConfig, incident: Incident, at: Date): boolean {
  return incident.region === null ? isInRallyWindow(config, at) : isInRallyWindow(config, at, incident.region)
}

/**
 * The messages due now. Events of the same kind for the same receiver, route and channel are grouped:
 * the first opens a group, which waits the route's group wait (its rally group wait when the first incident's
 * region is inside a rally window) and then takes every event that happened within that wait.
 */
export function decideNotifications(input: DecideInput): NotificationBundle[] {
  const { config, now } = input
  const silences: SilenceMatcher[] = [...config.alerts.silences, ...input.silences]
  const receivers = new Map(config.alerts.receivers.map((receiver) => [receiver.name, receiver]))
  const candidates = new Map<string, Candidate[]>()
  // Indexed once: a flood of incidents must not cost incidents × outbox rows.
  const notifiedByIncident = new Map<number, NotifiedItem[]>()
  for (const item of input.notified) {
    const list = notifiedByIncident.get(item.incidentId)
    if (list) list.push(item)
    else notifiedByIncident.set(item.incidentId, [item])
  }

  for (const incident of input.incidents) {
    if (isSilenced(silences, incident, now)) continue
    for (const routed of routeIncident(config.alerts, incident)) {
      const receiver = receivers.get(routed.receiver)
      if (!receiver) continue
      for (const channel of channelsOf(receiver)) {
        const told = (notifiedByIncident.get(incident.id) ?? []).filter(
          (item) => item.receiver === routed.receiver && item.channel === channel,
        )
        const event = nextEvent(
          incident,
          routed,
          told,
          inRallyWindow(config, incident, now),
          now,
          input.acknowledged?.has(incident.id) ?? false,
        )
        if (!event) continue
        const key = [routed.receiver, channel, routed.routeIndex, incident.kind, event.event].join('\u0000')
        const list = candidates.get(key) ?? []
        list.push({ ...event, incident, routed, channel })
        candidates.set(key, list)
      }
    }
  }

  const bundles: NotificationBundle[] = []
  for (const list of candidates.values()) {
    list.sort((a, b) => a.at.getTime() - b.at.getTime() || a.incident.id - b.incident.id)
    while (list.length > 0) {
      const first = list[0]!
      const { route } = first.routed
      const waits = first.event === 'firing' || first.event === 'resolved'
      const wait = !waits
        ? 0
        : inRallyWindow(config, first.incident, first.at)
          ? route.rallyGroupWait
          : route.groupWait
      const closes = first.at.getTime() + wait
      if (now.getTime() < closes) break
      const taken = list.filter((candidate) => candidate.at.getTime() <= closes)
      list.splice(0, taken.length)
      const items = taken
        .map(({ incident, event, version, at }) => ({ incident, event, version, at }))
        .sort(
          (a, b) =>
            a.incident.startedAt.getTime() - b.incident.startedAt.getTime() || a.incident.id - b.incident.id,
        )
      bundles.push({
        receiver: first.routed.receiver,
        channel: first.channel,
        groupKey: `${first.routed.receiver}/${first.routed.routeIndex}:{kind="${first.incident.kind}"}`,
        kind: first.incident.kind,
        event: first.event,
        items,
      })
    }
  }
  return bundles
}

/**
 * The SHA-256 (64 hex digits) of the receiver, channel, event, sorted incident ids and their versions: the
 * same message always gets the same key, and the key has the same size for one incident or 2,000. The parts
 * themselves are kept in the outbox row's own columns (receiver, channel, event, incident_ids, items).
 */
export function idempotencyKey(bundle: NotificationBundle): string {
  const items = [...bundle.items].sort((a, b) => a.incident.id - b.incident.id)
  const parts = [
    bundle.receiver,
    bundle.channel,
    bundle.event,
    items.map((item) => item.incident.id).join(','),
    items.map((item) => item.version).join(','),
  ]
  // Each part is length-prefixed, so no choice of receiver name can make two part lists hash alike.
  const hash = createHash('sha256')
  for (const part of parts) hash.update(`${Buffer.byteLength(part)}:${part};`)
  return hash.digest('hex')
}

/** The outbox row of a bundle, its content rendered now so delivery only sends. */
export function toOutboxRow(bundle: NotificationBundle, config: VigilConfig, now: Date): NewNotification {
  const email = renderEmail(bundle, config)
  return {
    idempotencyKey: idempotencyKey(bundle),
    channel: bundle.channel,
    receiver: bundle.receiver,
    groupKey: bundle.groupKey,
    incidentIds: bundle.items.map((item) => item.incident.id),
    items: bundle.items.map((item) => `${item.incident.id}:${item.event}:${item.version}`),
    event: bundle.event,
    subject: email.subject,
    bodyText: email.text,
    bodyHtml: email.html,
    payload:
      bundle.channel === 'webhook'
        ? (buildWebhookPayload(bundle, config) as unknown as Record<string, unknown>)
        : isChatChannel(bundle.channel)
          ? (chatPayload(chatMessage(bundle, config), bundle.channel) as unknown as Record<string, unknown>)
          : null,
    createdAt: now,
  }
}

// Any fixed 64-bit number works; this one is "notify" in ASCII.
const PLANNING_LOCK = 0x6e6f74696679n
// Resolved incidents older than this are not looked at again.
const RESOLVED_HORIZON_MS = 7 * 24 * 3_600_000

export interface PlanHooks {
  /** A group that could not be rendered or stored; the other groups are stored all the same. */
  onGroupFailed?(bundle: NotificationBundle, error: unknown): void
}

/**
 * Decides what is due now and puts it in the outbox; returns how many messages were added. Each group is
 * rendered and inserted on its own (a savepoint each): a group that fails is reported to
 * `hooks.onGroupFailed` and left out, and every other group of the round is stored.
 */
export async function planNotifications(
  sql: Sql,
  config: VigilConfig,
  now: Date,
  hooks: PlanHooks = {},
): Promise<number> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${PLANNING_LOCK.toString()}::bigint)`
    const incidents = await tx<Incident[]>`
      select id, identity, kind, scope_type as "scopeType", scope, region, vantage_id as "vantageId", level, state,
             summary, evidence, started_at as "startedAt", firing_at as "firingAt", resolved_at as "resolvedAt",
             last_seen_at as "lastSeenAt"
      from incidents
      where state = 'firing'
         or (state = 'resolved' and firing_at is not null
             and resolved_at > ${new Date(now.getTime() - RESOLVED_HORIZON_MS)})
      order by started_at, id`
    if (incidents.length === 0) return 0
    const notified = await notifiedItems(
      tx,
      incidents.map((incident) => incident.id),
    )
    const silences = (await activeSilences(tx, now)).map((silence) => ({
      kinds: silence.kinds,
      regions: silence.regions,
      vantages: silence.vantages,
      start: silence.startsAt,
      end: silence.endsAt,
    }))
    const acknowledged = new Set(
      (
        await acknowledgementsOf(
          tx,
          incidents.map((incident) => incident.id),
        )
      ).keys(),
    )
    const bundles = decideNotifications({ config, incidents, notified, silences, acknowledged, now })
    let inserted = 0
    for (const bundle of bundles) {
      try {
        const row = toOutboxRow(bundle, config, now)
        inserted += await tx.savepoint((sp) => insertNotifications(sp, [row]))
      } catch (error) {
        // A lost connection fails the round (nothing can be stored); anything else is this group's alone.
        if (isTransient(error)) throw error
        hooks.onGroupFailed?.(bundle, error)
      }
    }
    return inserted
  })
}
