// The edges that deliver chat messages: Telegram's Bot API, the Matrix client-server API, a signal-cli
// REST daemon and ntfy. Each sends the payload planning rendered for it, replies to the first message
// about the same incidents where the channel can, and turns every answer into a receipt or a
// DeliveryError: permanent for a bad token, an unknown chat or a removed bot; with `retryAfterMs` when
// the remote asked to wait; transient for everything else (5xx, network, timeouts).
import type { Receiver, VigilConfig } from '@vigil/config'
import type { Notification } from '@vigil/store'
import { type DeliveryChannel, type DeliveryContext, DeliveryError, type RefusalReason } from './channels.js'
import { type ChatChannel, deliveryId, type MatrixPayload, type NtfyPayload } from './chat.js'

/** Longest wait a remote may ask for; a hostile or broken answer cannot park a message for days. */
const MAX_RETRY_AFTER_MS = 3_600_000
/** Bound on what is read of an answer (errors included): a remote cannot fill memory. */
const MAX_ANSWER_BYTES = 256 * 1024

interface Answer {
  status: number
  headers: Headers
  body: unknown
}

/**
 * One HTTP request with a time limit. Resolves with any answer the server gave (status, headers, JSON body
 * or undefined); network trouble and timeouts throw a transient DeliveryError naming `what` (never the URL:
 * Telegram's carries the bot token).
 */
async function request(
  what: string,
  url: string,
  init: { method: 'POST' | 'PUT'; headers: Record<string, string>; body: unknown },
  timeoutMs: number,
): Promise<Answer> {
  let response: Response
  let text: string
  try {
    response = await fetch(url, {
      method: init.method,
      headers: { 'content-type': 'application/json', 'user-agent': 'Vigil-notifier', ...init.headers },
      body: JSON.stringify(init.body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    })
    text = await readBounded(response)
  } catch (cause) {
    const reason = (cause as { cause?: { code?: unknown } }).cause?.code ?? (cause as Error).name
    throw new DeliveryError(`${what} unreachable (${String(reason)})`, {
      permanent: false,
      cause: redact(cause),
    })
  }
  let body: unknown
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status: response.status, headers: response.headers, body }
}

async function readBounded(response: Response): Promise<string> {
  const reader = response.body?.getReader()
  if (!reader) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel()
      break
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

// An error from fetch may carry the request URL; keep only its message and code.
function redact(cause: unknown): Error {
  const error = new Error((cause as Error)?.message ?? String(cause))
  const code = (cause as { cause?: { code?: unknown } }).cause?.code
  if (typeof code === 'string') (error as Error & { code?: string }).code = code
  return error
}

/** A short printable piece of a remote's error text, for logs and the outbox's last_error. */
function quote(value: unknown): string {
  if (typeof value !== 'string') return ''
  const clean = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim()
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean
}

function objectOf(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}

function boundedWait(ms: number | undefined): number | undefined {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return undefined
  return Math.min(MAX_RETRY_AFTER_MS, Math.ceil(ms))
}

/** RFC 9110 Retry-After: delay-seconds or an HTTP date. */
function retryAfterHeader(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after')?.trim()
  if (!value) return undefined
  if (/^[0-9]+$/.test(value)) return boundedWait(Number(value) * 1000)
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : boundedWait(Math.max(0, at - now))
}

/** The HTTP statuses that will not change on retry, and how to call them. 408 and 429 are not among them. */
function refusalOf(status: number): RefusalReason | undefined {
  if (status === 401) return 'unauthorized'
  if (status === 403) return 'forbidden'
  if (status === 404) return 'not_found'
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return 'rejected'
  return undefined
}

function receiverOf(config: VigilConfig, notification: Notification): Receiver {
  const receiver = config.alerts.receivers.find((r) => r.name === notification.receiver)
  if (!receiver?.[notification.channel as ChatChannel]) {
    throw new DeliveryError(
      `receiver "${notification.receiver}" has no ${notification.channel} channel in the config`,
      { permanent: true, reason: 'not_found' },
    )
  }
  return receiver
}

function payloadOf<T>(notification: Notification): T {
  if (!notification.payload) {
    throw new DeliveryError(`notification ${notification.id} has no ${notification.channel} message`, {
      permanent: true,
    })
  }
  return notification.payload as T
}

const SENT_BY_HINT = 'fix the receiver in the config or the token in the environment, then restart'

/**
 * Telegram Bot API `sendMessage` (core.telegram.org/bots/api#sendmessage) with parse_mode HTML. Answers
 * are `{ ok, result: Message }` or `{ ok: false, error_code, description, parameters: { retry_after,
 * migrate_to_chat_id } }`. A reply names the first message in `reply_parameters` and is still sent when
 * that message was deleted.
 */
export function createTelegramChannel(config: VigilConfig, timeoutMs = 15_000): DeliveryChannel {
  return {
    name: 'telegram',
    async send(notification, context?: DeliveryContext) {
      const { telegram } = receiverOf(config, notification)
      const payload = payloadOf<{ text: string }>(notification)
      const what = `Telegram chat ${telegram!.chatId}`
      const replyTo = Number(context?.thread?.remoteId)
      const answer = await request(
        what,
        `${telegram!.apiUrl.replace(/\/+$/, '')}/bot${telegram!.botToken}/sendMessage`,
        {
          method: 'POST',
          headers: {},
          body: {
            chat_id: telegram!.chatId,
            text: payload.text,
            parse_mode: 'HTML',
            link_preview_options: { is_disabled: true },
            ...(Number.isSafeInteger(replyTo) && replyTo > 0
              ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } }
              : {}),
          },
        },
        timeoutMs,
      )
      const body = objectOf(answer.body)
      if (answer.status >= 200 && answer.status < 300) {
        const id = objectOf(body.result).message_id
        return { remoteId: typeof id === 'number' && Number.isSafeInteger(id) ? String(id) : undefined }
      }
      const description = quote(body.description)
      const parameters = objectOf(body.parameters)
      if (answer.status === 429) {
        const seconds = typeof parameters.retry_after === 'number' ? parameters.retry_after : undefined
        throw new DeliveryError(`${what}: Telegram rate limit (${description || '429'})`, {
          permanent: false,
          retryAfterMs:
            boundedWait(seconds === undefined ? undefined : seconds * 1000) ??
            retryAfterHeader(answer.headers),
        })
      }
      // Telegram answers 404 to a malformed bot token and 401 to a revoked one.
      const reason = answer.status === 404 ? 'unauthorized' : refusalOf(answer.status)
      if (reason) {
        const migrated = parameters.migrate_to_chat_id
        throw new DeliveryError(`${what} refused the message: ${answer.status} ${description}`.trim(), {
          permanent: true,
          reason: /chat not found/i.test(description) ? 'not_found' : reason,
          hint:
            typeof migrated === 'number'
              ? `the group became a supergroup: set chatId to ${migrated}`
              : reason === 'unauthorized'
                ? 'the bot token is wrong or revoked: check the variable the config names for botToken'
                : SENT_BY_HINT,
        })
      }
      throw new DeliveryError(`${what}: Telegram answered ${answer.status} ${description}`.trim(), {
        permanent: false,
      })
    },
    close() {},
  }
}

/**
 * Matrix client-server API `PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}`. The
 * transaction id is derived from the outbox key, so a repeat after a crash is the same transaction and the
 * homeserver answers with the first event instead of sending a second. Errors are `{ errcode, error }`;
 * M_LIMIT_EXCEEDED carries `retry_after_ms` (and newer servers a Retry-After header). A reply relates to
 * the first event with `m.in_reply_to`.
 */
export function createMatrixChannel(config: VigilConfig, timeoutMs = 15_000): DeliveryChannel {
  return {
    name: 'matrix',
    async send(notification, context?: DeliveryContext) {
      const { matrix } = receiverOf(config, notification)
      const payload = payloadOf<MatrixPayload>(notification)
      const what = `Matrix room ${matrix!.roomId}`
      const replyTo = context?.thread?.remoteId
      const content = {
        ...payload,
        ...(replyTo ? { 'm.relates_to': { 'm.in_reply_to': { event_id: replyTo } } } : {}),
      }
      const base = matrix!.homeserver.replace(/\/+$/, '')
      const answer = await request(
        what,
        `${base}/_matrix/client/v3/rooms/${encodeURIComponent(matrix!.roomId)}/send/m.room.message/${deliveryId(notification.idempotencyKey)}`,
        { method: 'PUT', headers: { authorization: `Bearer ${matrix!.accessToken}` }, body: content },
        timeoutMs,
      )
      const body = objectOf(answer.body)
      if (answer.status >= 200 && answer.status < 300) {
        const id = body.event_id
        return { remoteId: typeof id === 'string' && id.length <= 255 ? id : undefined }
      }
      const errcode = quote(body.errcode)
      const error = quote(body.error)
      if (answer.status === 429 || errcode === 'M_LIMIT_EXCEEDED') {
        const ms = typeof body.retry_after_ms === 'number' ? body.retry_after_ms : undefined
        throw new DeliveryError(`${what}: rate limited (${errcode || answer.status})`, {
          permanent: false,
          retryAfterMs: retryAfterHeader(answer.headers) ?? boundedWait(ms),
        })
      }
      const reason = refusalOf(answer.status)
      if (reason) {
        throw new DeliveryError(`${what} refused the message: ${answer.status} ${errcode} ${error}`.trim(), {
          permanent: true,
          reason,
          hint:
            reason === 'unauthorized'
              ? 'the access token is wrong or logged out: check the variable the config names for accessToken'
              : reason === 'forbidden'
                ? 'the account is not in the room or may not post there: invite it and let it join'
                : SENT_BY_HINT,
        })
      }
      throw new DeliveryError(`${what}: homeserver answered ${answer.status} ${errcode}`.trim(), {
        permanent: false,
      })
    },
    close() {},
  }
}

/**
 * signal-cli-rest-api `POST /v2/send` (`{ message, number, recipients, text_mode }`, answering 201 with
 * `{ timestamp }`, errors as `{ error }`). A reply quotes the first message by its timestamp and author.
 * Signal has no idempotency key: a message can repeat only when this process dies between the daemon's
 * answer and the outbox record.
 */
export function createSignalChannel(config: VigilConfig, timeoutMs = 30_000): DeliveryChannel {
  return {
    name: 'signal',
    async send(notification, context?: DeliveryContext) {
      const { signal } = receiverOf(config, notification)
      const payload = payloadOf<{ message: string }>(notification)
      const what = `Signal daemon ${new URL(signal!.url).host}`
      const quoted = Number(context?.thread?.remoteId)
      const answer = await request(
        what,
        `${signal!.url.replace(/\/+$/, '')}/v2/send`,
        {
          method: 'POST',
          headers: {},
          body: {
            message: payload.message,
            number: signal!.number,
            recipients: signal!.recipients,
            text_mode: 'normal',
            ...(Number.isSafeInteger(quoted) && quoted > 0
              ? {
                  quote_timestamp: quoted,
                  quote_author: signal!.number,
                  quote_message: context!.thread!.bodyText.split('\n')[0]!.slice(0, 200),
                }
              : {}),
          },
        },
        timeoutMs,
      )
      const body = objectOf(answer.body)
      if (answer.status >= 200 && answer.status < 300) {
        const timestamp = body.timestamp
        const id = typeof timestamp === 'number' ? String(timestamp) : timestamp
        return { remoteId: typeof id === 'string' && /^[0-9]{1,20}$/.test(id) ? id : undefined }
      }
      const error = quote(body.error)
      // signal-cli reports Signal's own rate limit as an error text, whatever the status.
      if (answer.status === 429 || /rate ?limit|\b429\b/i.test(error)) {
        throw new DeliveryError(`${what}: Signal rate limit (${error || answer.status})`, {
          permanent: false,
          retryAfterMs: retryAfterHeader(answer.headers),
        })
      }
      const reason = refusalOf(answer.status)
      if (reason) {
        throw new DeliveryError(`${what} refused the message: ${answer.status} ${error}`.trim(), {
          permanent: true,
          reason,
          hint: 'check the sender number is registered with the daemon and every recipient exists',
        })
      }
      throw new DeliveryError(`${what} answered ${answer.status} ${error}`.trim(), { permanent: false })
    },
    close() {},
  }
}

/**
 * ntfy JSON publish (`POST /` with `{ topic, title, message, priority, tags, click, sequence_id }`,
 * docs.ntfy.sh/publish). Every message of a thread carries the first message's sequence id, so a
 * RESOLVED or an update replaces the notification on the subscriber's device, and a repeat after a crash
 * replaces itself rather than ringing twice. Errors are `{ code, http, error }`.
 */
export function createNtfyChannel(config: VigilConfig, timeoutMs = 15_000): DeliveryChannel {
  return {
    name: 'ntfy',
    async send(notification, context?: DeliveryContext) {
      const { ntfy } = receiverOf(config, notification)
      const payload = payloadOf<NtfyPayload>(notification)
      const what = `ntfy topic ${ntfy!.topic} at ${new URL(ntfy!.url).host}`
      const sequenceId = context?.thread?.remoteId ?? deliveryId(notification.idempotencyKey)
      const answer = await request(
        what,
        `${ntfy!.url.replace(/\/+$/, '')}/`,
        {
          method: 'POST',
          headers: ntfy!.token ? { authorization: `Bearer ${ntfy!.token}` } : {},
          body: {
            topic: ntfy!.topic,
            title: payload.title,
            message: payload.message,
            priority: payload.priority,
            tags: payload.tags,
            ...(payload.click ? { click: payload.click } : {}),
            sequence_id: sequenceId,
          },
        },
        timeoutMs,
      )
      const body = objectOf(answer.body)
      if (answer.status >= 200 && answer.status < 300) return { remoteId: sequenceId }
      const error = quote(body.error)
      if (answer.status === 429) {
        throw new DeliveryError(`${what}: rate limited (${error || '429'})`, {
          permanent: false,
          retryAfterMs: retryAfterHeader(answer.headers),
        })
      }
      const reason = refusalOf(answer.status)
      if (reason) {
        throw new DeliveryError(`${what} refused the message: ${answer.status} ${error}`.trim(), {
          permanent: true,
          reason,
          hint:
            reason === 'unauthorized' || reason === 'forbidden'
              ? 'the topic needs a token with write access: check the variable the config names for token'
              : SENT_BY_HINT,
        })
      }
      throw new DeliveryError(`${what} answered ${answer.status} ${error}`.trim(), { permanent: false })
    },
    close() {},
  }
}

/** The four chat channels by name. */
export function createChatChannels(config: VigilConfig): Record<ChatChannel, DeliveryChannel> {
  return {
    telegram: createTelegramChannel(config),
    matrix: createMatrixChannel(config),
    signal: createSignalChannel(config),
    ntfy: createNtfyChannel(config),
  }
}
