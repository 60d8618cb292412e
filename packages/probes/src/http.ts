// The http and https probes: one GET through undici on a fresh connection per hop, redirects followed by hand,
// per-phase timings taken by our own connector (so dns, connect and tls are this probe's and nobody else's),
// a hard cap on the bytes read, the page title and the block-page check.
import type { Socket } from 'node:net'
import { Client } from 'undici'
import { connectTcp, handshakeTls, resolveHost, round3, since, verifyFailure } from './dial.js'
import { type FailureString, failureFromError, ProbeFailure } from './failures.js'
import { extractTitle, matchBlockPage } from './page.js'
import { settle, startClock } from './result.js'
import type { CaList, HttpDetails, HttpTarget, HttpTimings, Probe, ProbeContext } from './types.js'

export const DEFAULT_MAX_REDIRECTS = 10
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

// A redirect chain that comes back to a URL it already visited will never end: OONI reports such errors as
// `unknown_failure: <what happened>`, and no timeout or network word would be honest. The suffixes are fixed
// strings, so they stay a bounded metrics label.
const REDIRECT_LOOP: FailureString = 'unknown_failure: redirect_loop'
const TOO_MANY_REDIRECTS: FailureString = 'unknown_failure: too_many_redirects'

// Handed to undici when a probe is done with its client. Without it undici builds a fresh error per destroy,
// and with source maps on, capturing and formatting that stack was the largest CPU cost of a probe.
const CLIENT_DONE = new Error('probe finished')

interface Hop {
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
    timings: { dns: 0, connect: 0, tls: 0, firstByte: 0, transfer: 0 },
    address: null,
    bytesRead: 0,
    truncated: false,
    title: null,
    blockPage: null,
    tls: null,
  }
}

export const probeHttp: Probe<HttpTarget> = async (target, ctx) => {
  const clock = startClock()
  const details = blankHttpDetails(target)
  const maxRedirects = target.maxRedirects ?? DEFAULT_MAX_REDIRECTS
  const maxBodyBytes = target.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  try {
    let url = new URL(target.url)
    const visited = new Set<string>()
    for (;;) {
      visited.add(url.href)
      details.chain.push(url.href)
      details.finalUrl = url.href
      const hop = await fetchOnce(url, target, ctx, details, maxBodyBytes)
      details.statusCode = hop.statusCode
      const location = hop.headers.location
      if (isRedirect(hop.statusCode, location) && location !== undefined) {
        const next = new URL(location, url)
        details.redirects += 1
        if (visited.has(next.href)) throw new ProbeFailure(REDIRECT_LOOP)
        if (details.redirects > maxRedirects) throw new ProbeFailure(TOO_MANY_REDIRECTS)
        url = next
        continue
      }
      details.bytesRead = hop.body.length
      details.truncated = hop.truncated
      const text = hop.body.toString('utf8')
      details.title = extractTitle(text)
      const blockPage = matchBlockPage(
        { statusCode: hop.statusCode, headers: hop.headers, body: text },
        target.blockPages ?? [],
      )
      details.blockPage = blockPage?.name ?? null
      return settle(target, clock, details, blockPage === null ? null : 'http_blockpage')
    }
  } catch (error) {
    return settle(target, clock, details, failureFromError(error, ctx.signal))
  }
}

/** One request on a fresh connection; the body is read (up to the cap) only when this is the last hop. */
async function fetchOnce(
  url: URL,
  target: HttpTarget,
  ctx: ProbeContext,
  details: HttpDetails,
  maxBodyBytes: number,
): Promise<Hop> {
  const timings = details.timings
  let connectedAt: number | null = null
  const client = new Client(url.origin, {
    connect: (_options, callback) => {
      dial(url, target.ca ?? ctx.ca, ctx.signal, details, timings).then(
        (socket) => {
          connectedAt = performance.now()
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
  try {
    const response = await client.request({
      path: url.pathname + url.search,
      method: 'GET',
      headers: { 'user-agent': ctx.userAgent, accept: '*/*', ...target.headers },
      signal: ctx.signal,
    })
    headersAt = performance.now()
    if (connectedAt !== null) timings.firstByte = round3(timings.firstByte + (headersAt - connectedAt))
    const headers = flattenHeaders(response.headers)
    if (isRedirect(response.statusCode, headers.location)) {
      // A redirect's body is not read; destroying the stream makes it emit an abort error nobody wants.
      response.body.on('error', () => {})
      response.body.destroy()
      return { statusCode: response.statusCode, headers, body: Buffer.alloc(0), truncated: false }
    }
    details.statusCode = response.statusCode
    const chunks: Buffer[] = []
    let size = 0
    let truncated = false
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      const room = maxBodyBytes - size
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room))
        size += room
        truncated = true
        break
      }
      chunks.push(chunk)
      size += chunk.length
      details.bytesRead = size
    }
    details.bytesRead = size
    return { statusCode: response.statusCode, headers, body: Buffer.concat(chunks, size), truncated }
  } finally {
    // Also on failure, so a slow-drip body shows how long it dripped before the timeout.
    if (headersAt !== null) timings.transfer = round3(timings.transfer + since(headersAt))
    await client.destroy(CLIENT_DONE).catch(() => {})
  }
}

/** DNS, TCP and (for https) TLS, each timed into this probe's own phase totals. */
async function dial(
  url: URL,
  ca: CaList | undefined,
  signal: AbortSignal,
  details: HttpDetails,
  timings: HttpTimings,
): Promise<Socket> {
  const https = url.protocol === 'https:'
  const port = url.port === '' ? (https ? 443 : 80) : Number(url.port)
  const { address, dnsMs } = await resolveHost(url.hostname, signal)
  details.address = address
  timings.dns = round3(timings.dns + dnsMs)
  let t0 = performance.now()
  const socket = await connectTcp(address, port, signal)
  timings.connect = round3(timings.connect + since(t0))
  if (!https) return socket
  t0 = performance.now()
  try {
    const handshake = await handshakeTls(socket, { servername: url.hostname, ca, alpn: ['http/1.1'] }, signal)
    timings.tls = round3(timings.tls + since(t0))
    details.tls = {
      protocol: handshake.protocol,
      cipher: handshake.cipher,
      leafSha256: handshake.leafSha256,
      earliestCertExpiry: handshake.earliestCertExpiry,
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
