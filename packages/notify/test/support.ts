// Real servers on loopback for the notifier's tests: an SMTP server that keeps what it accepted (decoded
// enough to read subjects and parts), an HTTP server that keeps webhook posts, and a config pointing at them.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { parseConfig, type VigilConfig } from '@vigil/config'
import { SMTPServer } from 'smtp-server'

export interface ReceivedEmail {
  from: string
  to: string[]
  headers: Record<string, string>
  subject: string
  messageId: string
  text: string
  html: string
  /** performance.now() when the server answered 250 to the message. */
  acceptedAt: number
}

export interface SmtpSink {
  port: number
  received: ReceivedEmail[]
  /** Resolves when a message was read and held unanswered (with `stallFirst`). */
  stalled: Promise<void>
  close(): Promise<void>
}

/**
 * An SMTP server on 127.0.0.1 (on `port`, or any free one) that accepts every message and keeps it. With
 * `stallFirst` it reads the first message and never answers it: the sender cannot know it was accepted.
 */
export async function startSmtp(
  port = 0,
  options: { stallFirst?: boolean; onAccepted?: (mail: ReceivedEmail) => void } = {},
): Promise<SmtpSink> {
  const received: ReceivedEmail[] = []
  let stall = options.stallFirst ?? false
  let onStalled: () => void = () => {}
  const stalled = new Promise<void>((resolve) => {
    onStalled = resolve
  })
  const server = new SMTPServer({
    authOptional: true,
    // No certificate to offer: plain SMTP on loopback, as an SMTP catcher does.
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        if (stall) {
          stall = false
          onStalled()
          return
        }
        const mail = parseMessage(Buffer.concat(chunks).toString('utf8'))
        const accepted = {
          ...mail,
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          acceptedAt: performance.now(),
        }
        received.push(accepted)
        callback()
        options.onAccepted?.(accepted)
      })
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  return {
    port: (server.server.address() as AddressInfo).port,
    received,
    stalled,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** A port nothing listens on (taken and released). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export interface WebhookPost {
  headers: IncomingHttpHeaders
  body: unknown
}

export interface WebhookSink {
  url: string
  posts: WebhookPost[]
  close(): Promise<void>
}

export async function startWebhook(): Promise<WebhookSink> {
  const posts: WebhookPost[] = []
  const sockets = new Set<Socket>()
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      posts.push({ headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) })
      response.writeHead(200).end('ok')
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    posts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

export interface TestConfigOptions {
  smtpPort?: number
  webhookUrl?: string
  /** More receivers, as YAML list items under `alerts.receivers`. */
  receivers?: string
  routes?: string
  silences?: string
  /** Environment the config's references read (secrets), beside the webhook's token. */
  env?: Record<string, string>
}

const CITIES = ['Almaty', 'Nur-Sultan', 'Shymkent', 'Karaganda', 'Aktobe', 'Aktau']

/**
 * Six cities on Kazakhstan's 2019 clocks, a rally in Almaty on 6 July 2019 (10:00–14:00 local), and a
 * `monitors` receiver by email (and webhook `hooks` when a URL is given). Routes group for 1 minute, at once
 * inside a rally window.
 */
export function testConfig(options: TestConfigOptions = {}): VigilConfig {
  const zone = (city: string) =>
    city === 'Aktobe' ? 'Asia/Aqtobe' : city === 'Aktau' ? 'Asia/Aqtau' : 'Asia/Almaty'
  const yaml = [
    'name: Vigil test',
    'country: KZ',
    'vantage:',
    '  id: test-almaty',
    '  role: in_country',
    '  country: KZ',
    '  region: Almaty',
    '  network:',
    '    asn: 9198',
    'regions:',
    ...CITIES.flatMap((city) => [`  - name: ${city}`, `    timeZone: ${zone(city)}`]),
    'targetGroups:',
    '  - name: control',
    '    purpose: control',
    '    probes: [http]',
    '    targets:',
    '      - name: example',
    '        url: http://127.0.0.1:9/',
    'rallies:',
    '  - name: July rally',
    '    city: Almaty',
    '    start: 2019-07-06T10:00',
    '    end: 2019-07-06T14:00',
    '    leadHours: 0',
    '    tailHours: 0',
    'alerts:',
    '  links:',
    '    api: http://vigil.example.org:8080',
    '    dashboard: http://grafana.example.org/d/vigil-rally-day',
    '  receivers:',
    '    - name: monitors',
    '      email: [monitors@example.org, desk@example.org]',
    ...(options.webhookUrl
      ? [
          '    - name: hooks',
          '      webhook:',
          `        url: ${options.webhookUrl}`,
          `        bearerToken: \${VIGIL_TEST_HOOK_TOKEN}`,
        ]
      : []),
    ...(options.receivers ? [options.receivers] : []),
    '  routes:',
    ...(options.routes !== undefined
      ? [options.routes]
      : [
          '    - receiver: monitors',
          '      groupWait: 1m',
          '      rallyGroupWait: 0s',
          '      repeatInterval: 4h',
          ...(options.webhookUrl
            ? ['      continue: true', '    - receiver: hooks', '      groupWait: 1m']
            : []),
        ]),
    ...(options.silences ? ['  silences:', options.silences] : []),
    'smtp:',
    '  host: 127.0.0.1',
    `  port: ${options.smtpPort ?? 25}`,
    '  secure: false',
    '  from: Vigil Kazakhstan <vigil@example.org>',
    '  timeout: 5s',
  ].join('\n')
  return parseConfig(`${yaml}\n`, 'test.yaml', { VIGIL_TEST_HOOK_TOKEN: 'hook-secret', ...options.env })
}

// Enough MIME to read what nodemailer writes: headers (folded, RFC 2047 encoded words) and the text and
// HTML parts of a multipart/alternative body in quoted-printable, base64 or 7bit.
function parseMessage(raw: string): Omit<ReceivedEmail, 'from' | 'to' | 'acceptedAt'> {
  const { headers, body } = splitHeaders(raw)
  const parts: Record<string, string> = {}
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(headers['content-type'] ?? '')?.[1]
  if (boundary) {
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break
      const part = splitHeaders(chunk.replace(/^\r?\n/, ''))
      const type = (part.headers['content-type'] ?? 'text/plain').split(';')[0]!.trim()
      parts[type] = decodeBody(part.body, part.headers['content-transfer-encoding'])
    }
  } else {
    parts[(headers['content-type'] ?? 'text/plain').split(';')[0]!.trim()] = decodeBody(
      body,
      headers['content-transfer-encoding'],
    )
  }
  return {
    headers,
    subject: decodeWords(headers.subject ?? ''),
    messageId: headers['message-id'] ?? '',
    text: parts['text/plain'] ?? '',
    html: parts['text/html'] ?? '',
  }
}

function splitHeaders(raw: string): { headers: Record<string, string>; body: string } {
  const end = raw.search(/\r?\n\r?\n/)
  const head = end === -1 ? raw : raw.slice(0, end)
  const body = end === -1 ? '' : raw.slice(end).replace(/^\r?\n\r?\n/, '')
  const headers: Record<string, string> = {}
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { headers, body }
}

function decodeBody(body: string, encoding: string | undefined): string {
  const kind = (encoding ?? '7bit').toLowerCase()
  const trimmed = body.replace(/\r?\n$/, '')
  if (kind === 'base64') return Buffer.from(trimmed.replace(/\s+/g, ''), 'base64').toString('utf8')
  if (kind === 'quoted-printable') return decodeQuotedPrintable(trimmed)
  return trimmed.replace(/\r\n/g, '\n')
}

function decodeQuotedPrintable(text: string): string {
  const joined = text.replace(/=\r?\n/g, '')
  const bytes: number[] = []
  for (let i = 0; i < joined.length; i++) {
    if (joined[i] === '=' && /^[0-9A-F]{2}$/i.test(joined.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(joined.slice(i + 1, i + 3), 16))
      i += 2
    } else {
      bytes.push(...Buffer.from(joined[i]!, 'utf8'))
    }
  }
  return Buffer.from(bytes).toString('utf8').replace(/\r\n/g, '\n')
}

function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=/gi, (_match, _charset: string, kind: string, text: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeQuotedPrintable(text.replace(/_/g, ' ')),
    )
}
