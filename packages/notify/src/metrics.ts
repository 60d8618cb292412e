// The notifier's Prometheus metrics: messages delivered and failed attempts by channel, the outbox
// backlog, and groups planning had to leave out. Labels are the channel names only.
import { Counter, Gauge, type Registry, registerOnce } from '@vigil/metrics'

export interface NotifierMetrics {
  sent(channel: string): void
  failed(channel: string): void
  pending(n: number): void
  /** A group planning could not render or store this round. */
  groupFailed(): void
}

export function createNotifierMetrics(registry: Registry): NotifierMetrics {
  const sent = registerOnce(
    registry,
    'vigil_notifications_sent_total',
    () =>
      new Counter({
        name: 'vigil_notifications_sent_total',
        help: 'Notifications delivered (accepted by the SMTP server or the webhook), by channel.',
        labelNames: ['channel'],
        registers: [registry],
      }),
  )
  const failed = registerOnce(
    registry,
    'vigil_notifications_failed_total',
    () =>
      new Counter({
        name: 'vigil_notifications_failed_total',
        help: 'Failed delivery attempts of notifications, by channel; most are retried.',
        labelNames: ['channel'],
        registers: [registry],
      }),
  )
  const pending = registerOnce(
    registry,
    'vigil_notifications_pending',
    () =>
      new Gauge({
        name: 'vigil_notifications_pending',
        help: 'Notifications in the outbox not yet delivered nor given up on.',
        registers: [registry],
      }),
  )
  const groupFailed = registerOnce(
    registry,
    'vigil_notification_groups_failed_total',
    () =>
      new Counter({
        name: 'vigil_notification_groups_failed_total',
        help: 'Notification groups planning could not render or store; the other groups of the round are stored.',
        registers: [registry],
      }),
  )
  return {
    groupFailed: () => groupFailed.inc(),
    sent: (channel) => sent.inc({ channel }),
    failed: (channel) => failed.inc({ channel }),
    pending: (n) => pending.set(n),
  }
}
