// Loopback servers that implement the documented endpoints of the chat APIs Vigil sends to, for tests:
// Telegram's Bot API sendMessage, the Matrix client-server send endpoint, signal-cli-rest-api's /v2/send
// and ntfy's JSON publish, each with its documented error and rate-limit answers. Each can be stopped and
// restarted on the same port (a remote down for a while), and can hold one request unanswered or drop the
// connection after accepting it (a sender that cannot know whether the remote accepted).
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

type Reply = { status: number; body: unknown; headers?: Record<string, string> }
type Handler = (request: {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: unknown
}) => Reply | { accepted: Reply }

/**
 * `hold-before-accept`: read the next request and never answer nor act on it. `hold-after-accept`: act on
 * it (the message is stored) and never answer. `drop-after-accept`: act on it, then close the connection
 * without an answer.
 */
export type Interference = 'hold-before-accept' | 'hold-after-accept' | 'drop-after-accept'

export interface FakeServer {
  readonly url: string
  readonly port: number
  /** Every request that reached the handler, answered or not. */
  readonly requests: number
  /** Resolves when a request was held or dropped as `interfere` asked. */
  interfere(mode: Interference): Promise<void>
  /** The next `count` requests get this answer instead of the API's. */
  answerNext(count: number, reply: Reply): void
  /** Calls `listener` as each request arrives, before it is answered (a test's clock can move on). */
  onRequest(listener: () => void): void
  /** Stops listening and cuts open connections: the remote is down. */
  stop(): Promise<void>
  /** Listens again on the same port. */
  restart(): Promise<void>
  close(): Promise<void>
}

async function startFake(handler: Handler): Promise<FakeServer> {
  const sockets = new Set<Socket>()
  let requests = 0
  let interference: { mode: Interference; resolve: () => void } | undefined
  const overrides: Reply[] = []
  let listening = false
  const listeners: Array<() => void> = []

  const respond = (response: ServerResponse, reply: Reply) => {
    response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
    response.end(reply.body === undefined ? '' : JSON.stringify(reply.body))
  }

  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      requests++
      for (const listener of listeners) listener()
      const raw = Buffer.concat(chunks).toString('utf8')
      let body: unknown
      try {
        body = raw === '' ? undefined : JSON.parse(raw)
      } catch {
        respond(response, { status: 400, body: { error: 'invalid JSON' } })
        return
      }
      const held = interference
      if (held?.mode === 'hold-before-accept') {
        interference = undefined
        held.resolve()
        return
      }
      const override = overrides.shift()
      if (override) return respond(response, override)
      const outcome = handler({
        method: request.method ?? 'GET',
        path: new URL(request.url ?? '/', 'http://fake').pathname,
        headers: request.headers,
        body,
      })
      const reply = 'accepted' in outcome ? outcome.accepted : outcome
      if (held && 'accepted' in outcome) {
        interference = undefined
        if (held.mode === 'drop-after-accept') request.socket.destroy()
        held.resolve()
        return
      }
      respond(response, reply)
    })
  }

  const server = createServer(onRequest)
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        listening = true
        resolve()
      })
    })
  await listen(0)
  const port = (server.address() as AddressInfo).port
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!listening) return resolve()
      listening = false
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    })
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get requests() {
      return requests
    },
    interfere(mode) {
      return new Promise<void>((resolve) => {
        interference = { mode, resolve }
      })
    },
    onRequest(listener) {
      listeners.push(listener)
    },
    answerNext(count, reply) {
      for (let i = 0; i < count; i++) overrides.push(reply)
    },
    stop,
    restart: () => listen(port),
    close: stop,
  }
}

// ---------------------------------------------------------------------------------------------------
// Telegram

export interface TelegramMessage {
  chatId: string
  messageId: number
  /** The text as Telegram shows it: entities parsed out of the HTML. */
  text: string
  html: string
  links: string[]
  replyTo: number | undefined
}

export interface FakeTelegram extends FakeServer {
  messages: TelegramMessage[]
  /** Chats the bot was removed from: sending there answers 403. */
  kickedFrom: Set<string>
  /** The token the bot has now (a revoked token answers 401). */
  setToken(value: string): void
}

const TELEGRAM_TAGS = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'tg-spoiler',
  'span',
  'a',
  'code',
  'pre',
  'blockquote',
  'tg-emoji',
])

/**
 * Telegram's HTML parse mode as documented: only the listed tags, balanced; `<`, `>` and `&` outside tags
 * only as the entities &lt; &gt; &amp; &quot; or numeric ones. Returns the visible text and the links, or
 * the error Telegram gives ("can't parse entities").
 */
export function parseTelegramHtml(html: string): { text: string; links: string[] } | { error: string } {
  const open: string[] = []
  const links: string[] = []
  let text = ''
  let i = 0
  while (i < html.length) {
    const c = html[i]!
    if (c === '<') {
      const tag = /^<(\/?)([a-z-]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*>/.exec(html.slice(i))
      if (!tag) return { error: `can't parse entities: unexpected "<" at byte offset ${i}` }
      const [whole, closing, name, attributes] = tag
      if (!TELEGRAM_TAGS.has(name!)) return { error: `can't parse entities: unsupported start tag "${name}"` }
      if (closing) {
        if (open.pop() !== name) return { error: `can't parse entities: unmatched end tag "${name}"` }
      } else {
        open.push(name!)
        if (name === 'a') {
          const href = /href="([^"]*)"/.exec(attributes ?? '')?.[1]
          const decoded = href === undefined ? undefined : decodeEntities(href)
          if (decoded === undefined || 'error' in decoded) return { error: "can't parse entities: bad href" }
          links.push(decoded.text)
        }
      }
      i += whole.length
    } else if (c === '&') {
      const entity = /^&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});/.exec(html.slice(i))
      if (!entity) return { error: `can't parse entities: unsupported entity at byte offset ${i}` }
      text += entityText(entity[0])
      i += entity[0].length
    } else if (c === '>') {
      return { error: `can't parse entities: unexpected ">" at byte offset ${i}` }
    } else {
      text += c
      i++
    }
  }
  if (open.length > 0)
    return { error: `can't parse entities: can't find end tag corresponding to "${open.pop()}"` }
  return { text, links }
}

function decodeEntities(text: string): { text: string } | { error: string } {
  let bad = false
  const decoded = text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/g, (whole, name: string | undefined) => {
    if (name === undefined) {
      bad = true
      return whole
    }
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16))
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)))
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }
    if (named[name] === undefined) bad = true
    return named[name] ?? whole
  })
  return bad ? { error: 'bad entity' } : { text: decoded }
}

/**
 * The Bot API's `POST /bot<token>/sendMessage` for the chats given: a malformed token answers 404, a wrong
 * one 401, an unknown chat 400 "chat not found", a chat the bot was removed from 403; text must parse as
 * HTML and be 1-4096 characters once parsed; a reply to a missing message fails unless
 * allow_sending_without_reply.
 */
export async function startFakeTelegram(options: { token: string; chats: string[] }): Promise<FakeTelegram> {
  const messages: TelegramMessage[] = []
  const kickedFrom = new Set<string>()
  const state = { token: options.token }
  const error = (status: number, description: string, parameters?: Record<string, unknown>): Reply => ({
    status,
    body: { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) },
  })
  const fake = await startFake(({ method, path, body }) => {
    const match = /^\/bot([^/]*)\/([A-Za-z]+)$/.exec(path)
    if (!match || !/^[0-9]+:[A-Za-z0-9_-]{20,}$/.test(match[1]!)) return error(404, 'Not Found')
    if (match[1] !== state.token) return error(401, 'Unauthorized')
    if (match[2] !== 'sendMessage' || method !== 'POST') return error(404, 'Not Found')
    const params = (body ?? {}) as Record<string, unknown>
    const chatId = String(params.chat_id ?? '')
    if (!options.chats.includes(chatId)) return error(400, 'Bad Request: chat not found')
    if (kickedFrom.has(chatId)) return error(403, 'Forbidden: bot was kicked from the supergroup chat')
    if (typeof params.text !== 'string') return error(400, 'Bad Request: message text is empty')
    if (params.parse_mode !== 'HTML') return error(400, 'Bad Request: unsupported parse_mode in this fake')
    const parsed = parseTelegramHtml(params.text)
    if ('error' in parsed) return error(400, `Bad Request: ${parsed.error}`)
    if (parsed.text.trim() === '') return error(400, 'Bad Request: message text is empty')
    if (parsed.text.length > 4096) return error(400, 'Bad Request: message is too long')
    const reply = params.reply_parameters as
      | { message_id?: unknown; allow_sending_without_reply?: unknown }
      | undefined
    let replyTo: number | undefined
    if (reply !== undefined) {
      const target = messages.find((m) => m.chatId === chatId && m.messageId === reply.message_id)
      if (!target && reply.allow_sending_without_reply !== true) {
        return error(400, 'Bad Request: message to be replied not found')
      }
      replyTo = target?.messageId
    }
    const message: TelegramMessage = {
      chatId,
      messageId: messages.length + 1,
      text: parsed.text,
      html: params.text,
      links: parsed.links,
      replyTo,
    }
    messages.push(message)
    return {
      accepted: {
        status: 200,
        body: {
          ok: true,
          result: {
            message_id: message.messageId,
            date: Math.floor(Date.now() / 1000),
            chat: { id: Number(chatId), type: 'supergroup' },
            text: message.text,
          },
        },
      },
    }
  })
  return Object.assign(fake, {
    messages,
    kickedFrom,
    setToken(value: string) {
      state.token = value
    },
  })
}

/** Telegram's 429: `retry_after` seconds in the response parameters. */
export function telegramRateLimit(seconds: number): Reply {
  return {
    status: 429,
    body: {
      ok: false,
      error_code: 429,
      description: `Too Many Requests: retry after ${seconds}`,
      parameters: { retry_after: seconds },
    },
  }
}

// ---------------------------------------------------------------------------------------------------
// Matrix

export interface MatrixEvent {
  eventId: string
  roomId: string
  sender: string
  txnId: string
  content: Record<string, unknown>
}

export interface FakeMatrix extends FakeServer {
  events: MatrixEvent[]
  /** Access token -> user id. */
  tokens: Map<string, string>
  /** Room id -> joined user ids. */
  rooms: Map<string, Set<string>>
}

/**
 * The client-server API's `PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}`: a missing
 * token answers 401 M_MISSING_TOKEN, an unknown one 401 M_UNKNOWN_TOKEN, a room the user is not in 403
 * M_FORBIDDEN, an event over 65536 bytes 413 M_TOO_LARGE; a transaction id already used by the same
 * access token on the same path answers the first event's id and sends nothing.
 */
export async function startFakeMatrix(options: {
  tokens: Record<string, string>
  rooms: Record<string, string[]>
}): Promise<FakeMatrix> {
  const events: MatrixEvent[] = []
  const tokens = new Map(Object.entries(options.tokens))
  const rooms = new Map(Object.entries(options.rooms).map(([room, users]) => [room, new Set(users)]))
  const transactions = new Map<string, string>()
  const error = (status: number, errcode: string, message: string): Reply => ({
    status,
    body: { errcode, error: message },
  })
  const fake = await startFake(({ method, path, headers, body }) => {
    const match = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/send\/([^/]+)\/([^/]+)$/.exec(path)
    if (!match || method !== 'PUT') return error(404, 'M_UNRECOGNIZED', 'Unrecognized request')
    const auth = headers.authorization
    if (!auth?.startsWith('Bearer ')) return error(401, 'M_MISSING_TOKEN', 'Missing access token')
    const token = auth.slice('Bearer '.length)
    const user = tokens.get(token)
    if (!user) return error(401, 'M_UNKNOWN_TOKEN', 'Unknown access token')
    const [roomId, eventType, txnId] = match.slice(1).map((segment) => decodeURIComponent(segment!))
    const key = `${token}\u0000${path}`
    const previous = transactions.get(key)
    if (previous) return { status: 200, body: { event_id: previous } }
    if (!rooms.get(roomId!)?.has(user)) return error(403, 'M_FORBIDDEN', `User ${user} not in room ${roomId}`)
    const content = (body ?? {}) as Record<string, unknown>
    if (typeof content.msgtype !== 'string' || typeof content.body !== 'string') {
      return error(400, 'M_BAD_JSON', 'm.room.message needs msgtype and body')
    }
    if (
      Buffer.byteLength(JSON.stringify({ type: eventType, room_id: roomId, sender: user, content })) > 65_536
    ) {
      return error(413, 'M_TOO_LARGE', 'event too large')
    }
    const eventId = `$event${events.length + 1}:fake.example.org`
    events.push({ eventId, roomId: roomId!, sender: user, txnId: txnId!, content })
    transactions.set(key, eventId)
    return { accepted: { status: 200, body: { event_id: eventId } } }
  })
  return Object.assign(fake, { events, tokens, rooms })
}

/** Matrix's 429 M_LIMIT_EXCEEDED with `retry_after_ms`. */
export function matrixRateLimit(ms: number): Reply {
  return {
    status: 429,
    body: { errcode: 'M_LIMIT_EXCEEDED', error: 'Too many requests', retry_after_ms: ms },
  }
}

const MATRIX_TAGS = new Set(
  'font del h1 h2 h3 h4 h5 h6 blockquote p a ul ol sup sub li b i u strong em s code hr br div table thead tbody tr th td caption pre span img details summary'.split(
    ' ',
  ),
)
const VOID_TAGS = new Set(['br', 'hr', 'img'])

/**
 * Reads a formatted_body strictly: only the HTML subset the client-server spec recommends clients allow,
 * balanced, attributes quoted, every `<`, `>` and `&` in text escaped. Returns the text and link targets.
 */
export function parseMatrixHtml(html: string): { text: string; links: string[] } | { error: string } {
  const open: string[] = []
  const links: string[] = []
  let text = ''
  let i = 0
  while (i < html.length) {
    const c = html[i]!
    if (c === '<') {
      const tag = /^<(\/?)([a-z0-9]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*\/?>/.exec(html.slice(i))
      if (!tag) return { error: `stray "<" at ${i}` }
      const [whole, closing, name, attributes] = tag
      if (!MATRIX_TAGS.has(name!)) return { error: `tag <${name}> is not in the allowed subset` }
      if (VOID_TAGS.has(name!)) {
        if (name === 'br') text += '\n'
      } else if (closing) {
        if (open.pop() !== name) return { error: `unbalanced </${name}>` }
      } else {
        open.push(name!)
        const href = /href="([^"]*)"/.exec(attributes ?? '')?.[1]
        if (name === 'a' && href !== undefined) {
          const decoded = decodeEntities(href)
          if ('error' in decoded) return { error: 'bad href' }
          links.push(decoded.text)
        }
      }
      i += whole.length
    } else if (c === '&') {
      const entity = /^&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);/.exec(html.slice(i))
      if (!entity) return { error: `bare "&" at ${i}` }
      text += entityText(entity[0])
      i += entity[0].length
    } else if (c === '>') {
      return { error: `stray ">" at ${i}` }
    } else {
      text += c
      i++
    }
  }
  if (open.length > 0) return { error: `unclosed <${open.pop()}>` }
  return { text: text.replace(/\n\n+/g, '\n'), links }
}

// ---------------------------------------------------------------------------------------------------
// Signal (signal-cli-rest-api)

export interface SignalMessage {
  timestamp: number
  number: string
  recipients: string[]
  message: string
  quoteTimestamp: number | undefined
}

export interface FakeSignal extends FakeServer {
  messages: SignalMessage[]
}

/**
 * signal-cli-rest-api's `POST /v2/send`: 201 `{ timestamp }`; 400 `{ error }` for an account the daemon
 * does not have or a recipient Signal does not know. Timestamps are milliseconds and increase.
 */
export async function startFakeSignal(options: {
  accounts: string[]
  recipients: string[]
}): Promise<FakeSignal> {
  const messages: SignalMessage[] = []
  let clock = Date.UTC(2019, 6, 6, 4, 0, 0)
  const fake = await startFake(({ method, path, body }) => {
    if (path !== '/v2/send' || method !== 'POST') return { status: 404, body: { error: 'not found' } }
    const params = (body ?? {}) as Record<string, unknown>
    if (typeof params.number !== 'string' || !options.accounts.includes(params.number)) {
      return {
        status: 400,
        body: { error: 'Invalid account (phone number), make sure you include the country code.' },
      }
    }
    const recipients = Array.isArray(params.recipients) ? params.recipients.map(String) : []
    const unknown = recipients.find((r) => !options.recipients.includes(r))
    if (recipients.length === 0 || unknown !== undefined) {
      return { status: 400, body: { error: `Failed to send message: Unregistered user "${unknown ?? ''}"` } }
    }
    if (typeof params.message !== 'string' || params.message === '') {
      return { status: 400, body: { error: "Couldn't process request - message is empty" } }
    }
    clock += 1000
    messages.push({
      timestamp: clock,
      number: params.number,
      recipients,
      message: params.message,
      quoteTimestamp: typeof params.quote_timestamp === 'number' ? params.quote_timestamp : undefined,
    })
    return { accepted: { status: 201, body: { timestamp: String(clock) } } }
  })
  return Object.assign(fake, { messages })
}

/** How signal-cli-rest-api reports Signal's rate limit: an error text on a 400. */
export function signalRateLimit(): Reply {
  return { status: 400, body: { error: 'Failed to send message: [429] Rate limit exceeded: 413' } }
}

// ---------------------------------------------------------------------------------------------------
// ntfy

export interface NtfyMessage {
  id: string
  topic: string
  title: string | undefined
  message: string
  priority: number | undefined
  tags: string[]
  click: string | undefined
  sequenceId: string | undefined
  /** ntfy turns a message over its size limit (4096 bytes by default) into an attachment. */
  attachment: boolean
}

export interface FakeNtfy extends FakeServer {
  messages: NtfyMessage[]
}

/**
 * ntfy's JSON publish (`POST /` with `{ topic, message, title, priority, tags, click, sequence_id }`):
 * a protected topic answers 401 (40101) to an unknown token and 403 (40301) to none or one without
 * write access; a priority outside 1-5 answers 400 (40007).
 */
export async function startFakeNtfy(options: {
  /** Topic -> tokens allowed to publish; topics not listed are open. */
  protectedTopics?: Record<string, string[]>
  knownTokens?: string[]
}): Promise<FakeNtfy> {
  const messages: NtfyMessage[] = []
  const error = (http: number, code: number, message: string): Reply => ({
    status: http,
    body: { code, http, error: message, link: 'https://ntfy.sh/docs/publish/' },
  })
  const fake = await startFake(({ method, path, headers, body }) => {
    if (path !== '/' || (method !== 'POST' && method !== 'PUT')) return error(404, 40401, 'page not found')
    const params = (body ?? {}) as Record<string, unknown>
    const topic = typeof params.topic === 'string' ? params.topic : ''
    if (!/^[-_A-Za-z0-9]{1,64}$/.test(topic)) return error(400, 40009, 'invalid topic')
    const token = headers.authorization?.startsWith('Bearer ') ? headers.authorization.slice(7) : undefined
    if (token !== undefined && !(options.knownTokens ?? []).includes(token)) {
      return error(401, 40101, 'unauthorized')
    }
    const allowed = options.protectedTopics?.[topic]
    if (allowed && (token === undefined || !allowed.includes(token))) return error(403, 40301, 'forbidden')
    const priority = params.priority
    if (priority !== undefined && (typeof priority !== 'number' || priority < 1 || priority > 5)) {
      return error(400, 40007, 'invalid priority')
    }
    const text = typeof params.message === 'string' && params.message !== '' ? params.message : 'triggered'
    const message: NtfyMessage = {
      id: `msg${String(messages.length + 1).padStart(9, '0')}`,
      topic,
      title: typeof params.title === 'string' ? params.title : undefined,
      message: text,
      priority: typeof priority === 'number' ? priority : undefined,
      tags: Array.isArray(params.tags) ? params.tags.map(String) : [],
      click: typeof params.click === 'string' ? params.click : undefined,
      sequenceId: typeof params.sequence_id === 'string' ? params.sequence_id : undefined,
      attachment: Buffer.byteLength(text) > 4096,
    }
    messages.push(message)
    return {
      accepted: {
        status: 200,
        body: {
          id: message.id,
          time: Math.floor(Date.now() / 1000),
          event: 'message',
          topic,
          title: message.title,
          message: message.message,
          priority: message.priority,
          tags: message.tags,
          click: message.click,
          sequence_id: message.sequenceId,
        },
      },
    }
  })
  return Object.assign(fake, { messages })
}

/** ntfy's 429 when a visitor publishes too fast. */
export function ntfyRateLimit(): Reply {
  return { status: 429, body: { code: 42901, http: 429, error: 'limit reached: too many requests' } }
}

function entityText(entity: string): string {
  const decoded = decodeEntities(entity)
  return 'error' in decoded ? entity : decoded.text
}
