// `vigil notify test RECEIVER`: one short message through every channel of a receiver, sent straight away
// (not through the outbox), with what each remote answered.
import { createHash } from 'node:crypto'
import type { VigilConfig } from '@vigil/config'
import { VigilError } from '@vigil/errors'
import type { Notification, NotificationChannel } from '@vigil/store'
import { createEmailChannel, createWebhookChannel, type DeliveryChannel, DeliveryError } from './channels.js'
import { chatPayload, isChatChannel, testMessage } from './chat.js'
import { createChatChannels } from './chat-channels.js'
import { escapeHtml } from './email.js'
import { channelsOf } from './plan.js'

export interface TestDelivery {
  channel: NotificationChannel
  ok: boolean
  /** The remote's id of the message, when it gave one. */
  remoteId?: string | undefined
  error?: string | undefined
  hint?: string | undefined
  /** Refused for good (bad token, unknown chat...) rather than a failure that may pass. */
  permanent?: boolean | undefined
}

/**
 * Sends a test message to `receiverName` over each of its channels (or only `only`) and reports each
 * outcome; never throws for a failed delivery. Throws a VigilError naming the receiver when the config has
 * no such receiver or it has no such channel.
 */
export async function sendTestMessage(
  config: VigilConfig,
  receiverName: string,
  options: { only?: NotificationChannel | undefined; now?: Date } = {},
): Promise<TestDelivery[]> {
  const receiver = config.alerts.receivers.find((r) => r.name === receiverName)
  if (!receiver) {
    const known = config.alerts.receivers.map((r) => r.name).join(', ') || 'none'
    throw new VigilError(
      'RECEIVER_UNKNOWN',
      `no receiver is named "${receiverName}" in the config (receivers: ${known})`,
    )
  }
  const channels = channelsOf(receiver).filter(
    (channel) => options.only === undefined || channel === options.only,
  )
  if (channels.length === 0) {
    throw new VigilError(
      'RECEIVER_UNKNOWN',
      `receiver "${receiverName}" has no ${options.only} channel in the config`,
    )
  }
  const now = options.now ?? new Date()
  const chat = createChatChannels(config)
  const edges: Partial<Record<NotificationChannel, DeliveryChannel>> = { ...chat }
  const results: TestDelivery[] = []
  try {
    for (const channel of channels) {
      if (channel === 'email') edges.email = createEmailChannel(config)
      if (channel === 'webhook') edges.webhook = createWebhookChannel(config)
      const notification = testNotification(config, receiverName, channel, now)
      try {
        const receipt = await edges[channel]!.send(notification)
        results.push({ channel, ok: true, remoteId: receipt?.remoteId })
      } catch (error) {
        results.push({
          channel,
          ok: false,
          error: (error as Error).message,
          hint: error instanceof VigilError ? error.hint : undefined,
          permanent: error instanceof DeliveryError ? error.permanent : undefined,
        })
      }
    }
  } finally {
    for (const edge of Object.values(edges)) edge.close()
  }
  return results
}

/** The outbox row a test message would be: its own key each time, so Matrix sends every test. */
function testNotification(
  config: VigilConfig,
  receiver: string,
  channel: NotificationChannel,
  now: Date,
): Notification {
  const message = testMessage(config, receiver, channel)
  const text = message.lines
    .map((line) => line.map((segment) => segment.href ?? segment.text).join(''))
    .join('\n')
  const key = `test|${receiver}|${channel}|${now.toISOString()}`
  return {
    id: 0,
    idempotencyKey: key,
    channel,
    receiver,
    groupKey: `${receiver}/test`,
    incidentIds: [],
    items: [],
    event: 'firing',
    subject: message.subject,
    bodyText: text,
    bodyHtml: `<!doctype html><html><body><pre>${escapeHtml(text)}</pre></body></html>`,
    payload: isChatChannel(channel)
      ? (chatPayload(message, channel) as unknown as Record<string, unknown>)
      : channel === 'webhook'
        ? webhookTestPayload(config, receiver, message.subject, now)
        : null,
    createdAt: now,
    state: 'sending',
    attempts: 1,
    nextAttemptAt: now,
    leaseOwner: null,
    leaseUntil: null,
    lastError: null,
    sentAt: null,
    remoteId: null,
  }
}

// An Alertmanager version 4 payload with one info-level `VigilTest` alert.
function webhookTestPayload(config: VigilConfig, receiver: string, summary: string, now: Date) {
  const labels = { alertname: 'VigilTest', severity: 'info', level: 'info' }
  return {
    version: '4',
    groupKey: `${receiver}/test`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver,
    groupLabels: { alertname: 'VigilTest' },
    commonLabels: labels,
    commonAnnotations: { summary },
    externalURL: config.alerts.links.api ?? config.api.publicUrl ?? '',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations: { summary },
        startsAt: now.toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint: createHash('sha256').update(`test|${receiver}`).digest('hex').slice(0, 16),
      },
    ],
  }
}
