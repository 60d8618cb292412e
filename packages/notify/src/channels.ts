// The edges that deliver an outbox row: email over SMTP with nodemailer, and an HTTP POST of the
// Alertmanager payload. Each throws a DeliveryError; `permanent` ones are not retried.
import type { VigilConfig } from '@vigil/config'
import { VigilError } from '@vigil/errors'
import type { Notification, NotificationChannel, ThreadRoot } from '@vigil/store'
import nodemailer from 'nodemailer'
import { messageIdFor } from './email.js'

/** Why a channel refused a receiver for good: a fixed set, used as a metric label. */
export type RefusalReason = 'unauthorized' | 'forbidden' | 'not_found' | 'rejected'

export class DeliveryError extends VigilError {
  readonly permanent: boolean
  /** The remote asked to wait this long before the next request (Telegram retry_after, Matrix retry_after_ms). */
  readonly retryAfterMs: number | undefined
  readonly reason: RefusalReason | undefined

  constructor(
    message: string,
    options: {
      permanent: boolean
      cause?: unknown
      hint?: string
      retryAfterMs?: number | undefined
      reason?: RefusalReason | undefined
    },
  ) {
    super(options.permanent ? 'NOTIFICATION_REFUSED' : 'NOTIFICATION_FAILED', message, options)
    this.permanent = options.permanent
    this.retryAfterMs = options.retryAfterMs
    this.reason = options.reason ?? (options.permanent ? 'rejected' : undefined)
  }
}

/** What the remote said about a delivered message. */
export interface DeliveryReceipt {
  /** The remote's id of the message (Telegram message_id, Matrix event_id, Signal timestamp, ntfy sequence id). */
  remoteId?: string | undefined
}

/** What delivery knows beside the row: the first message about the same incidents, to reply to. */
export interface DeliveryContext {
  thread?: ThreadRoot | undefined
}

export interface DeliveryChannel {
  readonly name: NotificationChannel
  /** Sends one outbox row; throws a DeliveryError. Channels that thread replies use `context.thread`. */
  send(notification: Notification, context?: DeliveryContext): Promise<DeliveryReceipt | undefined>
  close(): void
}

/**
 * The address and unsubscribe link of an outbox row for a status page subscriber (receiver
 * `subscriber:<id>`, payload `{ to, unsubscribeUrl }`), or undefined for a configured receiver.
 */
export function subscriberRecipient(
  notification: Notification,
): { to: string; unsubscribeUrl: string } | undefined {
  if (!notification.receiver.startsWith('subscriber:')) return undefined
  const payload = notification.payload
  if (!payload || typeof payload.to !== 'string' || typeof payload.unsubscribeUrl !== 'string') {
    throw new DeliveryError(`subscriber row ${notification.id} has no address in its payload`, {
      permanent: true,
    })
  }
  return { to: payload.to, unsubscribeUrl: payload.unsubscribeUrl }
}

export function createEmailChannel(config: VigilConfig): DeliveryChannel {
  const smtp = config.smtp
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: smtp.requireTls,
    ...(smtp.user !== undefined && smtp.password !== undefined
      ? { auth: { user: smtp.user, pass: smtp.password } }
      : {}),
    connectionTimeout: smtp.timeout,
    greetingTimeout: smtp.timeout,
    socketTimeout: smtp.timeout,
  })
  return {
    name: 'email',
    async send(notification) {
      const subscriber = subscriberRecipient(notification)
      const receiver = config.alerts.receivers.find((r) => r.name === notification.receiver)
      const to = subscriber?.to ?? receiver?.email
      if (to === undefined || to.length === 0) {
        throw new DeliveryError(`receiver "${notification.receiver}" has no email address in the config`, {
          permanent: true,
        })
      }
      try {
        await transport.sendMail({
          from: smtp.from,
          to,
          subject: notification.subject,
          text: notification.bodyText,
          html: notification.bodyHtml,
          messageId: messageIdFor(notification.idempotencyKey, smtp.from),
          date: notification.createdAt,
          headers: {
            'X-Vigil-Event': notification.event,
            // Status page subscribers can leave from their mail program too (RFC 2369, RFC 8058).
            ...(subscriber
              ? {
                  'List-Unsubscribe': `<${subscriber.unsubscribeUrl}>`,
                  'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
                }
              : {}),
          },
        })
      } catch (cause) {
        const code = (cause as { responseCode?: unknown }).responseCode
        // A 5xx answer to the message itself will not change on retry; connection trouble and 4xx will.
        const permanent =
          typeof code === 'number' && code >= 500 && (cause as { code?: unknown }).code === 'EENVELOPE'
        throw new DeliveryError(
          `SMTP delivery to ${smtp.host}:${smtp.port} failed: ${(cause as Error).message ?? String(cause)}`,
          { permanent, cause },
        )
      }
      // An SMTP server's queue id is not a message id a later email could reply to.
      return undefined
    },
    close() {
      transport.close()
    },
  }
}

export function createWebhookChannel(config: VigilConfig, timeoutMs = 10_000): DeliveryChannel {
  return {
    name: 'webhook',
    async send(notification) {
      const receiver = config.alerts.receivers.find((r) => r.name === notification.receiver)
      const webhook = receiver?.webhook
      if (!webhook) {
        throw new DeliveryError(`receiver "${notification.receiver}" has no webhook in the config`, {
          permanent: true,
        })
      }
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'Vigil-notifier',
        'idempotency-key': notification.idempotencyKey,
      }
      if (webhook.bearerToken) headers.authorization = `Bearer ${webhook.bearerToken}`
      let response: Response
      try {
        response = await fetch(webhook.url, {
          method: 'POST',
          headers,
          body: JSON.stringify(notification.payload),
          signal: AbortSignal.timeout(timeoutMs),
        })
        await response.arrayBuffer()
      } catch (cause) {
        throw new DeliveryError(
          `webhook ${new URL(webhook.url).host} unreachable: ${(cause as Error).message}`,
          {
            permanent: false,
            cause,
          },
        )
      }
      if (!response.ok) {
        // Client errors other than timeouts and rate limits mean the request itself is wrong.
        const permanent =
          response.status >= 400 && response.status < 500 && ![408, 429].includes(response.status)
        throw new DeliveryError(`webhook ${new URL(webhook.url).host} answered ${response.status}`, {
          permanent,
        })
      }
      return undefined
    },
    close() {},
  }
}
