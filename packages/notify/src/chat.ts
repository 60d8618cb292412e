// Messages for chat channels (Telegram, Matrix, Signal, ntfy), built from the same subject, sections and
// links as the email, escaped for each channel's markup and fitted under each channel's size limit: what
// does not fit is cut at the end and replaced by a link to the dashboard (else the api).
import { createHash } from 'node:crypto'
import type { VigilConfig } from '@vigil/config'
import type { NotificationChannel } from '@vigil/store'
import { dashboardLink, incidentLink } from './describe.js'
import { highestLevel, incidentSection, introduction, renderSubject } from './email.js'
import type { NotificationBundle } from './types.js'

/** The channels whose messages this module renders. */
export const CHAT_CHANNELS = ['telegram', 'matrix', 'signal', 'ntfy'] as const
export type ChatChannel = (typeof CHAT_CHANNELS)[number]

export function isChatChannel(channel: NotificationChannel): channel is ChatChannel {
  return (CHAT_CHANNELS as readonly string[]).includes(channel)
}

/** A run of text: bold, or a link (only http(s) targets become links), or plain. */
export interface Segment {
  text: string
  bold?: boolean
  href?: string
}

/** One line of a message; an empty line separates paragraphs. */
export type Line = Segment[]

/** A message before markup: lines of segments, plus where a shortened message sends the reader. */
export interface ChatMessage {
  subject: string
  lines: Line[]
  /** The board to read the rest on, when a message has to be shortened. */
  moreLink: string | undefined
  /** critical, warning, info; `resolved` for a RESOLVED message. */
  severity: 'critical' | 'warning' | 'info' | 'resolved'
}

/**
 * Size limits, from each API's documentation: Telegram's sendMessage takes 1-4096 characters of text after
 * entity parsing; a Matrix event may be at most 65536 bytes as JSON, room left here for the envelope and
 * a reply relation; Signal clients show about 2000 characters before folding the rest into an attachment;
 * ntfy turns messages over 4096 bytes into attachments (its default message-size-limit).
 */
export const CHAT_LIMITS = {
  telegramCharacters: 4096,
  matrixEventBytes: 60_000,
  signalCharacters: 2000,
  ntfyMessageBytes: 4096,
  ntfyTitleCharacters: 250,
} as const

/** What a Telegram row carries: HTML for parse_mode HTML. */
export interface TelegramPayload {
  text: string
}

/** What a Matrix row carries: an m.room.message content of msgtype m.text with an HTML formatted_body. */
export interface MatrixPayload {
  msgtype: 'm.text'
  body: string
  format: 'org.matrix.custom.html'
  formatted_body: string
}

export interface SignalPayload {
  message: string
}

export interface NtfyPayload {
  title: string
  message: string
  /** 1 (min) to 5 (urgent). */
  priority: number
  tags: string[]
  click: string | undefined
}

/** The message of a bundle, in the email's words and figures. */
export function chatMessage(bundle: NotificationBundle, config: VigilConfig): ChatMessage {
  const incidents = bundle.items.map((item) => item.incident)
  const subject = renderSubject(bundle, config)
  const lines: Line[] = [[{ text: subject, bold: true }], [{ text: introduction(bundle) }]]
  for (const incident of incidents) {
    const section = incidentSection(incident, bundle, config)
    lines.push([], [{ text: section.heading, bold: true }])
    for (const line of section.lines)
      lines.push([{ text: `${line.label}: `, bold: true }, { text: line.value }])
    if (section.sources.length > 0) {
      lines.push([{ text: 'Sources:', bold: true }])
      for (const source of section.sources)
        lines.push([
          { text: '• ' },
          ...(source.url === null ? [{ text: source.title }] : linkSegments(source.url, source.title)),
        ])
    }
    if (section.link) lines.push(linkSegments(section.link, 'Details in the Vigil api'))
  }
  const dashboard = dashboardLink(config, incidents)
  if (dashboard) lines.push([], linkSegments(dashboard, 'Open the dashboard'))
  lines.push([], [{ text: `Sent by Vigil (${config.name}) to ${bundle.receiver}.` }])
  return {
    subject,
    lines,
    moreLink: dashboard ?? (incidents[0] ? incidentLink(config, incidents[0]) : undefined),
    severity: bundle.event === 'resolved' ? 'resolved' : highestLevel(incidents),
  }
}

/** A short message that says who sent it and to whom: what `vigil notify test` sends. */
export function testMessage(
  config: VigilConfig,
  receiver: string,
  channel: NotificationChannel,
): ChatMessage {
  const subject = `[TEST] Vigil (${config.name}) test message`
  const dashboard = config.alerts.links.dashboard
  return {
    subject,
    lines: [
      [{ text: subject, bold: true }],
      [{ text: `This is a test of receiver "${receiver}" over ${channel}. Alerts will arrive here.` }],
      ...(dashboard ? [[], linkSegments(dashboard, 'Open the dashboard')] : []),
    ],
    moreLink: dashboard,
    severity: 'info',
  }
}

/** The payload an outbox row carries for its channel: what delivery sends, fitted and escaped. */
export function chatPayload(
  message: ChatMessage,
  channel: ChatChannel,
): TelegramPayload | MatrixPayload | SignalPayload | NtfyPayload {
  switch (channel) {
    case 'telegram':
      return renderTelegram(message)
    case 'matrix':
      return renderMatrix(message)
    case 'signal':
      return renderSignal(message)
    case 'ntfy':
      return renderNtfy(message)
  }
}

export function renderTelegram(message: ChatMessage): TelegramPayload {
  const lines = fitLines(
    message,
    (lines) => characters(lines.map((line) => plainLine(line)).join('\n')) <= CHAT_LIMITS.telegramCharacters,
    'visible',
  )
  return { text: lines.map(telegramLine).join('\n') }
}

export function renderMatrix(message: ChatMessage): MatrixPayload {
  const build = (lines: Line[]): MatrixPayload => ({
    msgtype: 'm.text',
    body: lines.map((line) => plainLine(line, true)).join('\n'),
    format: 'org.matrix.custom.html',
    formatted_body: lines.map(matrixLine).join('<br>\n'),
  })
  const lines = fitLines(
    message,
    (lines) => Buffer.byteLength(JSON.stringify(build(lines))) <= CHAT_LIMITS.matrixEventBytes,
    'plain',
  )
  return build(lines)
}

export function renderSignal(message: ChatMessage): SignalPayload {
  const lines = fitLines(
    message,
    (lines) =>
      characters(lines.map((line) => plainLine(line, true)).join('\n')) <= CHAT_LIMITS.signalCharacters,
    'plain',
  )
  return { message: lines.map((line) => plainLine(line, true)).join('\n') }
}

export function renderNtfy(message: ChatMessage): NtfyPayload {
  // The subject is the notification's title; the body starts with the introduction.
  const body: ChatMessage = { ...message, lines: message.lines.slice(1) }
  const lines = fitLines(
    body,
    (lines) =>
      Buffer.byteLength(lines.map((line) => plainLine(line, true)).join('\n')) <=
      CHAT_LIMITS.ntfyMessageBytes,
    'plain',
  )
  const priority = { critical: 5, warning: 4, info: 3, resolved: 3 }[message.severity]
  const tags = {
    critical: ['rotating_light'],
    warning: ['warning'],
    info: ['information_source'],
    resolved: ['white_check_mark'],
  }[message.severity]
  return {
    title: cut(message.subject, CHAT_LIMITS.ntfyTitleCharacters),
    message: lines.map((line) => plainLine(line, true)).join('\n'),
    priority,
    tags,
    click: message.moreLink,
  }
}

/** Telegram's HTML parse mode: `<`, `>`, `&` as entities, `"` too inside an attribute. */
export function escapeTelegramHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => TELEGRAM_ENTITIES[c]!)
}

const TELEGRAM_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }

/** HTML for Matrix's formatted_body (the spec's HTML subset): every text and attribute escaped. */
export function escapeMatrixHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** A deterministic, fixed-size id for a message from its outbox key: Matrix txnId, ntfy sequence id. */
export function deliveryId(idempotencyKey: string): string {
  return `vigil-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40)}`
}

// Lines as the reader sees them. `withUrls` adds a link's address after its label (plain-text channels).
function plainLine(line: Line, withUrls = false): string {
  return line
    .map((segment) =>
      withUrls && segment.href && segment.href !== segment.text
        ? `${segment.text} ${segment.href}`
        : segment.text,
    )
    .join('')
}

function telegramLine(line: Line): string {
  return line
    .map((segment) => {
      const text = escapeTelegramHtml(segment.text)
      if (segment.href) return `<a href="${escapeTelegramHtml(segment.href)}">${text}</a>`
      return segment.bold ? `<b>${text}</b>` : text
    })
    .join('')
}

function matrixLine(line: Line): string {
  return line
    .map((segment) => {
      const text = escapeMatrixHtml(segment.text)
      if (segment.href) return `<a href="${escapeMatrixHtml(segment.href)}">${text}</a>`
      return segment.bold ? `<strong>${text}</strong>` : text
    })
    .join('')
}

// Only http(s) addresses become links: a news source could carry a javascript: URL.
function linkSegments(url: string, label: string): Segment[] {
  if (!/^https?:\/\//i.test(url)) return [{ text: label === url ? url : `${label} (${url})` }]
  return [{ text: label, href: url }]
}

/**
 * The longest prefix of the message's lines that `fits`, followed by a line pointing at the rest. The
 * line that does not fit whole is cut (its texts, never its links) to the room left, when that room holds
 * a useful part of it. `counts` says whether link addresses count against the limit (`plain`: they are
 * printed) or not (`visible`: only their labels show).
 */
function fitLines(
  message: ChatMessage,
  fits: (lines: Line[]) => boolean,
  counts: 'plain' | 'visible',
): Line[] {
  const { lines } = message
  if (fits(lines)) return lines
  const more: Line = message.moreLink
    ? [
        { text: '… shortened; the rest: ' },
        ...linkSegments(message.moreLink, counts === 'plain' ? message.moreLink : 'open the dashboard'),
      ]
    : [{ text: '… shortened; the rest is in the email and the api.' }]
  const tail: Line[] = [[], more]
  const kept: Line[] = []
  for (const line of lines) {
    if (fits([...kept, line, ...tail])) {
      kept.push(line)
      continue
    }
    const shortened = cutLineToFit(line, (candidate) => fits([...kept, candidate, ...tail]))
    if (shortened) kept.push(shortened)
    break
  }
  // Even the tail alone may not fit a hostile subject: cut the first line harder, never send nothing.
  if (kept.length === 0 && lines[0]) {
    const first = cutLineToFit(lines[0], (candidate) => fits([candidate, ...tail]))
    return first ? [first, ...tail] : [cutLine(lines[0], 200)]
  }
  return [...kept, ...tail]
}

function cutLineToFit(line: Line, fits: (line: Line) => boolean): Line | undefined {
  let low = 0
  let high = Math.max(0, ...line.map((segment) => characters(segment.text)))
  while (low < high) {
    const middle = Math.ceil((low + high) / 2)
    if (fits(cutLine(line, middle))) low = middle
    else high = middle - 1
  }
  // A dozen characters of a value tell nothing; the link at the end tells more.
  return low >= 12 && fits(cutLine(line, low)) ? cutLine(line, low) : undefined
}

function cutLine(line: Line, max: number): Line {
  return line.map((segment) => ({ ...segment, text: cut(segment.text, max) }))
}

/** At most `max` characters (code points, never half a surrogate pair), with an ellipsis when cut. */
export function cut(text: string, max: number): string {
  const points = Array.from(text)
  if (points.length <= max) return text
  return `${points.slice(0, Math.max(0, max - 1)).join('')}…`
}

// Telegram counts UTF-16 code units; so does String#length.
function characters(text: string): number {
  return text.length
}
