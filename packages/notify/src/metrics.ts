// The notifier's Prometheus metrics: messages delivered and failed attempts by channel, the outbox
// backlog, refusals by reason, receivers refused for good, and groups planning had to leave out. Labels
// are channel names, receiver names from the config and a fixed set of reasons.
import { Counter, Gauge, type Registry, registerOnce } from '@vigil/metrics'

export interface NotifierMetrics {
  sent(channel: string): void
  failed(channel: string): void
  pending(n: number): void
  /** A channel refused a message for good (bad token, unknown chat, bot removed...). */
  refused(channel: string, reason: string): void
  /** 1 while a receiver's channel is refused for good, 0 once a message gets through again. */
  receiverFailing(receiver: string, channel: string, failing: boolean): void
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
        help: 'Notifications delivered (accepted by the SMTP server, the webhook or the chat API), by channel.',
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
  const refused = registerOnce(
    registry,
    'vigil_notifications_refused_total',
    () =>
      new Counter({
        name: 'vigil_notifications_refused_total',
        help: 'Notifications a channel refused for good, by channel and reason (unauthorized, forbidden, not_found, rejected).',
        labelNames: ['channel', 'reason'],
        registers: [registry],
      }),
  )
  const receiverFailing = registerOnce(
    registry,
    'vigil_notification_receiver_failing',
    () =>
      new Gauge({
        name: 'vigil_notification_receiver_failing',
        help: 'Whether a receiver is refused for good on a channel (1) until a message to it is delivered (0).',
        labelNames: ['receiver', 'channel'],
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
    refused: (channel, reason) => refused.inc({ channel, reason }),
    receiverFailing: (receiver, channel, failing) =>
      receiverFailing.set({ receiver, channel }, failing ? 1 : 0),
    groupFailed: () => groupFailed.inc(),
    sent: (channel) => sent.inc({ channel }),
    failed: (channel) => failed.inc({ channel }),
    pending: (n) => pending.set(n),
  }
}
