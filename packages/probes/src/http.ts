// The http and https probes: one GET through undici on a fresh connection per hop, redirects followed by hand,
// every resolved address tried (Happy Eyeballs), per-phase timings taken by our own connector (so dns,
// connect and tls are this probe's and nobody else's), a hard cap on the bytes read, bodies decoded with the
// shared charset logic, and the block-page check on every hop.
import type { Socket } from 'node:net'
import { decodeBody } from '@vigil/charset'
import { Client } from 'undici'
import { connectHappyEyeballs, handshakeTls, resolveHost, round3, since, verifyFailure } from './dial.js'
import { type FailureString, failureFromError, ProbeFailure, ProbeTimeoutError } from './failures.js'
import { extractTitle, matchBlockPage } from './page.js'
import { settle, startClock } from './result.js'
import type {
  CaList,
  HttpDetails,
  HttpHop,
  HttpPhase,
  HttpTarget,
  HttpTimings,
  Probe,
  ProbeContext,
} from './types.js'

export const DEFAULT_MAX_REDIRECTS = 10
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024
/** A redirect's body is read up to this many bytes (block pages sometimes come as a 302 with a body). */
export const MAX_REDIRECT_BODY_BYTES = 64 * 1024
/**
 * Headers kept per hop as evidence: at most this many, each value cut to this many characters, and no more
 * than `MAX_HEADER_CHARS` in all, so a hostile server cannot bloat a stored measurement.
 */
const MAX_HEADERS = 32
const MAX_HEADER_VALUE = 1024
const MAX_HEADER_CHARS = 8192

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

// A redirect chain that comes back to a URL it already visited will never end: OONI reports such errors as
// `unknown_failure: <what happened>`, and no timeout or network word would be honest. The suffixes are fixed
// strings, so they stay a bounded metrics label.
const REDIRECT_LOOP: FailureString = 'unknown_failure: redirect_loop'
const TOO_MANY_REDIRECTS: FailureString = 'unknown_failure: too_many_redirects'

// Handed to undici when a probe is done with its client. Without it undici builds a fresh error per destroy,
// and with source maps on, capturing and formatting that stack was the largest CPU cost of a probe.
const CLIENT_DONE = new Error('probe finished')

interface FetchedHop {
  statusCode: number
  headers: Record<string, string>
  body: Buffer
  truncated: boolean
}

export function blankHttpDetails(target: HttpTarget): HttpDetails {
  return {
    url: target.url,
    finalUrl: target.url,
    statusCode: null,
    redirects: 0,
    chain: [],
    hops: [],
    timings: { dns: 0, connect: 0, tls: 0, firstByte: 0, transfer: 0 },
    address: null,
    addresses: [],
    attempts: [],
    bytesRead: 0,
    bytesReceived: 0,
    firstByteMs: null,
    transferBytesPerSecond: null,
    timeoutPhase: null,
    truncated: false,
    charset: null,
    charsetSource: null,
    title: null,
    blockPage: null,
    blockPageHop: null,
    tls: null,
  }
}

export const probeHttp: Probe<HttpTarget> = async (target, ctx) => {
  const clock = startClock()
  const details = blankHttpDetails(target)
  const maxRedirects = target.maxRedirects ?? DEFAULT_MAX_REDIRECTS
  const maxBodyBytes = target.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const patterns = target.blockPages ?? []
  const progress: { phase: HttpPhase } = { phase: 'dns' }
  try {
    let url = new URL(target.url)
    const visited = new Set<string>()
    for (;;) {
      visited.add(url.href)
      details.chain.push(url.href)
      details.finalUrl = url.href
      const hop = blankHop(url.href)
      details.hops.push(hop)
      const fetched = await fetchOnce(url, target, ctx, details, hop, progress, maxBodyBytes)
      details.statusCode = fetched.statusCode
      const location = fetched.headers.location
      const redirect = isRedirect(fetched.statusCode, location)
      const decoded = describeBody(fetched, hop)
      const index = details.hops.length - 1
      if (details.blockPage === null) {
        const matched = matchBlockPage(
          { statusCode: fetched.statusCode, headers: fetched.headers, body: decoded },
          patterns,
          { first: index === 0, final: !redirect },
        )
        if (matched !== null) {
          hop.blockPage = matched.name
          details.blockPage = matched.name
          details.blockPageHop = index
        }
      }
      if (redirect && location !== undefined) {
        const next = new URL(location, url)
        details.redirects += 1
        if (visited.has(next.href)) throw new ProbeFailure(REDIRECT_LOOP)
        if (details.redirects > maxRedirects) throw new ProbeFailure(TOO_MANY_REDIRECTS)
        url = next
        continue
      }
      details.bytesRead = fetched.body.length
      details.truncated = fetched.truncated
      details.charset = hop.charset
      details.charsetSource = hop.charsetSource
      details.title = hop.title
      return settle(target, clock, details, details.blockPage === null ? null : 'http_blockpage')
    }
  } catch (error) {
    const failure = failureFromError(error, ctx.signal)
    const hop = details.hops.at(-1)
    if (hop !== undefined) hop.failure = failure
    if (ctx.signal.aborted && ctx.signal.reason instanceof ProbeTimeoutError) {
      details.timeoutPhase = progress.phase
    }
    // A hop that already matched a block page (a redirect to the operator's notice host, say) is the
    // finding, whatever became of the hops after it.
    return settle(target, clock, details, details.blockPage === null ? failure : 'http_blockpage')
  } finally {
    const transfer = details.timings.transfer
    details.transferBytesPerSecond =
      transfer > 0 && details.bytesRead > 0 ? Math.round((details.bytesRead / transfer) * 1000) : null
  }
}

function blankHop(url: string): HttpHop {
  return {
    url,
    statusCode: null,
    location: null,
    address: null,
    attempts: [],
    headers: {},
    bytesRead: 0,
    truncated: false,
    charset: null,
    charsetSource: null,
    title: null,
    blockPage: null,
    failure: null,
  }
}

/** Decodes a hop's body with the shared charset logic and records its facts on the hop; returns the text. */
function describeBody(fetched: FetchedHop, hop: HttpHop): string {
  hop.statusCode = fetched.statusCode
  hop.location = fetched.headers.location?.slice(0, MAX_HEADER_VALUE) ?? null
  hop.headers = boundedHeaders(fetched.headers)
  hop.bytesRead = fetched.body.length
  hop.truncated = fetched.truncated
  if (fetched.body.length === 0) return ''
  // A body cut at the cap may end inside a UTF-8 sequence; those last bytes would make valid UTF-8 look
  // invalid and send the decoder guessing a single-byte charset.
  const bytes = fetched.truncated ? withoutPartialUtf8Tail(fetched.body) : fetched.body
  const decoded = decodeBody(bytes, { contentType: fetched.headers['content-type'] ?? null })
  hop.charset = decoded.charset
  hop.charsetSource = decoded.charsetSource
  hop.title = extractTitle(decoded.text)
  return decoded.text
}

/** Drops an incomplete UTF-8 sequence at the end of `bytes` (at most 3 bytes); other bytes are left alone. */
export function withoutPartialUtf8Tail(bytes: Buffer): Buffer {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back]!
    if ((byte & 0xc0) === 0x80) continue // a continuation byte: look further back for the lead byte
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
    return needed > back ? bytes.subarray(0, bytes.length - back) : bytes
  }
  return bytes
}

function boundedHeaders(headers: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {}
  let chars = 0
  for (const [name, value] of Object.entries(headers).slice(0, MAX_HEADERS)) {
    const key = name.slice(0, 128)
    const text = value.slice(0, MAX_HEADER_VALUE)
    chars += key.length + text.length
    if (chars > MAX_HEADER_CHARS) break
    kept[key] = text
  }
  return kept
}

/** One request on a fresh connection; a redirect's body is read up to `MAX_REDIRECT_BODY_BYTES`. */
async function fetchOnce(
  url: URL,
  target: HttpTarget,
  ctx: ProbeContext,
  details: HttpDetails,
  hop: HttpHop,
  progress: { phase: HttpPhase },
  maxBodyBytes: number,
): Promise<FetchedHop> {
  const timings = details.timings
  let connectedAt: number | null = null
  const client = new Client(url.origin, {
    connect: (_options, callback) => {
      dial(url, target.ca ?? ctx.ca, ctx, details, hop, progress, timings).then(
        (socket) => {
          connectedAt = performance.now()
          progress.phase = 'headers'
          callback(null, socket)
        },
        (error: Error) => callback(error, null),
      )
    },
    // The runner's signal is the one timeout; undici's own timers would be a second, competing one.
    headersTimeout: 0,
    bodyTimeout: 0,
  })
  let headersAt: number | null = null
  let size = 0
  try {
    const response = await client.request({
      path: url.pathname + url.search,
      method: 'GET',
      headers: { 'user-agent': ctx.userAgent, accept: '*/*', ...target.headers },
      signal: ctx.signal,
    })
    headersAt = performance.now()
    progress.phase = 'body'
    if (connectedAt !== null) {
      const firstByte = headersAt - connectedAt
      timings.firstByte = round3(timings.firstByte + firstByte)
      details.firstByteMs = round3(firstByte)
    }
    const headers = flattenHeaders(response.headers)
    hop.statusCode = response.statusCode
    const redirect = isRedirect(response.statusCode, headers.location)
    if (!redirect) details.statusCode = response.statusCode
    const cap = redirect ? Math.min(maxBodyBytes, MAX_REDIRECT_BODY_BYTES) : maxBodyBytes
    const chunks: Buffer[] = []
    let truncated = false
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      details.bytesReceived += chunk.length
      const room = cap - size
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room))
        size += room
        truncated = true
        break
      }
      chunks.push(chunk)
      size += chunk.length
      if (!redirect) details.bytesRead = size
    }
    if (!redirect) details.bytesRead = size
    return { statusCode: response.statusCode, headers, body: Buffer.concat(chunks, size), truncated }
  } finally {
    hop.bytesRead = size
    // Also on failure, so a slow-drip body shows how long it dripped before the timeout.
    if (headersAt !== null) timings.transfer = round3(timings.transfer + since(headersAt))
    await client.destroy(CLIENT_DONE).catch(() => {})
  }
}

/** DNS, TCP over every resolved address and (for https) TLS, each timed into this probe's phase totals. */
async function dial(
  url: URL,
  ca: CaList | undefined,
  ctx: ProbeContext,
  details: HttpDetails,
  hop: HttpHop,
  progress: { phase: HttpPhase },
  timings: HttpTimings,
): Promise<Socket> {
  const { signal } = ctx
  const https = url.protocol === 'https:'
  const port = url.port === '' ? (https ? 443 : 80) : Number(url.port)
  progress.phase = 'dns'
  const { addresses, dnsMs } = await resolveHost(url.hostname, signal, ctx.resolver)
  details.addresses = addresses.map((entry) => entry.address)
  timings.dns = round3(timings.dns + dnsMs)
  progress.phase = 'connect'
  details.attempts = hop.attempts
  const connected = await connectHappyEyeballs(addresses, port, signal, hop.attempts)
  const socket = connected.socket
  details.address = connected.address
  hop.address = connected.address
  timings.connect = round3(timings.connect + connected.connectMs)
  if (!https) return socket
  progress.phase = 'tls'
  const t0 = performance.now()
  try {
    const handshake = await handshakeTls(socket, { servername: url.hostname, ca, alpn: ['http/1.1'] }, signal)
    timings.tls = round3(timings.tls + since(t0))
    details.tls = {
      protocol: handshake.protocol,
      cipher: handshake.cipher,
      leafSha256: handshake.leafSha256,
      earliestCertExpiry: handshake.earliestCertExpiry,
      sentChain: handshake.sentChain,
      verifiedChain: handshake.verifiedChain,
      lastChainExpiry: handshake.lastChainExpiry,
      verifyError: handshake.verifyError,
    }
    if (handshake.verifyError !== null) {
      handshake.socket.destroy()
      throw verifyFailure(handshake.verifyError)
    }
    return handshake.socket
  } catch (error) {
    socket.destroy()
    throw error
  }
}

function isRedirect(statusCode: number, location: string | undefined): boolean {
  return REDIRECT_STATUSES.has(statusCode) && location !== undefined
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return flat
}
