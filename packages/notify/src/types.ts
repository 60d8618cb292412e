// What planning decides: bundles of incident events for one receiver over one channel, each to become
// one message in the outbox.
import type { Incident, IncidentKind, NotificationChannel, NotificationEvent } from '@vigil/store'

/** One incident's part in a message: what happened to it and the version of it the message tells. */
export interface PlannedItem {
  incident: Incident
  event: NotificationEvent
  /** The incident's level, or `v<N>` for a detention report at version N, or the reminder's number. */
  version: string
  /** When the event happened (or fell due, for reminders and updates): the start of its group wait. */
  at: Date
}

export interface NotificationBundle {
  receiver: string
  channel: NotificationChannel
  /** Alertmanager-style group key: the receiver, the route and the grouping label. */
  groupKey: string
  kind: IncidentKind
  event: NotificationEvent
  /** Ordered by incident start, then id. */
  items: PlannedItem[]
}
