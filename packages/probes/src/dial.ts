// The timed steps every connection-based probe shares: name lookup, TCP connect and TLS handshake, each one
// stopped at once when the probe's signal aborts so the runner's timeout is the only timeout.
import { createHash, type X509Certificate } from 'node:crypto'
import { lookup, Resolver } from 'node:dns/promises'
import { isIP, connect as netConnect, type Socket } from 'node:net'
import { createSecureContext, type SecureContext, type TLSSocket, connect as tlsConnect } from 'node:tls'
import { buildVerifiedPath, trustAnchors } from './chain.js'
import { failureFromError } from './failures.js'
import type { CaList, CertificateSummary, ConnectAttempt } from './types.js'

export function since(t0: number): number {
  return round3(performance.now() - t0)
}

export function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000
}

/** Waits for `promise` unless `signal` aborts first; `onAbort` releases whatever the promise was holding. */
export function abortable<T>(signal: AbortSignal, promise: Promise<T>, onAbort?: () => void): Promise<T> {
  if (signal.aborted) {
    onAbort?.()
    promise.catch(() => {})
    return Promise.reject(signal.reason)
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort?.()
      reject(signal.reason)
    }
    signal.addEventListener('abort', abort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort)
        reject(error)
      },
    )
  })
}

/** `[::1]` in a URL is `::1` to the socket layer. */
export function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

export interface ResolvedAddress {
  address: string
  family: 4 | 6
}

export interface Resolved {
  /** Every address the name resolved to, in the order connections are tried (RFC 8305 §4 interleaving). */
  addresses: ResolvedAddress[]
  /** Zero for an address literal: nothing was looked up. */
  dnsMs: number
}

/**
 * Every address for `host`, ordered for Happy Eyeballs: the families interleaved, starting with the family of
 * the first address the resolver gave (RFC 8305 §4). Without `resolver` the system resolver answers
 * (getaddrinfo, as a browser on the vantage would see it, in its own order); with `resolver` (`host:port`)
 * A and AAAA are asked of that DNS server, AAAA first as RFC 8305 §3 prefers. Rejects with the lookup's error
 * (ENOTFOUND, ENODATA...) when no address came back.
 */
export async function resolveHost(host: string, signal: AbortSignal, resolver?: string): Promise<Resolved> {
  const bare = bareHost(host)
  const literal = isIP(bare)
  if (literal !== 0) return { addresses: [{ address: bare, family: literal as 4 | 6 }], dnsMs: 0 }
  const t0 = performance.now()
  const found =
    resolver === undefined
      ? (await abortable(signal, lookup(bare, { all: true, order: 'verbatim' }))).map((entry) => ({
          address: entry.address,
          family: entry.family as 4 | 6,
        }))
      : await resolveThrough(resolver, bare, signal)
  return { addresses: interleaveFamilies(found), dnsMs: since(t0) }
}

async function resolveThrough(server: string, host: string, signal: AbortSignal): Promise<ResolvedAddress[]> {
  // A resolver per lookup: c-ares caches answers, and a cached answer is not a measurement.
  const resolver = new Resolver({ tries: 1 })
  resolver.setServers([server])
  const [v6, v4] = await abortable(
    signal,
    Promise.allSettled([resolver.resolve6(host), resolver.resolve4(host)]),
    () => resolver.cancel(),
  )
  const addresses: ResolvedAddress[] = [
    ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 as const })) : []),
    ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 as const })) : []),
  ]
  if (addresses.length > 0) return addresses
  // Both failed or were empty: the A query's error speaks for the name (NXDOMAIN, SERVFAIL...).
  if (v4.status === 'rejected') throw v4.reason
  if (v6.status === 'rejected') throw v6.reason
  throw Object.assign(new Error(`no A or AAAA records for ${host}`), { code: 'ENODATA' })
}

/** RFC 8305 §4: alternate the families, keeping each family's own order, starting with the first one given. */
export function interleaveFamilies(addresses: readonly ResolvedAddress[]): ResolvedAddress[] {
  const seen = new Set<string>()
  const unique = addresses.filter((entry) => !seen.has(entry.address) && seen.add(entry.address))
  const first = unique[0]?.family ?? 6
  const primary = unique.filter((entry) => entry.family === first)
  const secondary = unique.filter((entry) => entry.family !== first)
  const ordered: ResolvedAddress[] = []
  for (let i = 0; i < Math.max(primary.length, secondary.length); i++) {
    if (primary[i] !== undefined) ordered.push(primary[i]!)
    if (secondary[i] !== undefined) ordered.push(secondary[i]!)
  }
  return ordered
}

/** Opens a TCP connection to one address; resolves once it is established. */
export function connectTcp(address: string, port: number, signal: AbortSignal): Promise<Socket> {
  const socket = netConnect({ host: address, port, noDelay: true })
  const connected = new Promise<Socket>((resolve, reject) => {
    socket.once('connect', () => {
      socket.removeListener('error', reject)
      // Later errors belong to whoever uses the socket next; without a listener one would crash the process.
      socket.on('error', ignore)
      resolve(socket)
    })
    socket.once('error', reject)
  })
  return abortable(signal, connected, () => socket.destroy())
}

/**
 * RFC 8305 §5 "Connection Attempt Delay": the next address is tried 250 ms after the previous attempt
 * started (or at once when it failed), while the earlier attempts keep running.
 */
export const CONNECTION_ATTEMPT_DELAY_MS = 250

/** Most addresses tried for one connection; a hostile resolver can return hundreds. */
export const MAX_CONNECTION_ATTEMPTS = 16

export interface Connected {
  socket: Socket
  address: string
  /** Every address tried, in the order tried, with what became of it. */
  attempts: ConnectAttempt[]
  /** From the first attempt's start to the winning connection. */
  connectMs: number
}

/** The error when every address failed; `attempts` says how each one did, `cause` is the reported one. */
export class AllAttemptsFailedError extends Error {
  readonly attempts: ConnectAttempt[]
  constructor(attempts: ConnectAttempt[], cause: unknown) {
    super(`every address failed: ${attempts.map((a) => `${a.address} ${a.failure}`).join(', ')}`, { cause })
    this.name = 'AllAttemptsFailedError'
    this.attempts = attempts
  }
}

/**
 * Connects as clients do since RFC 8305 (Happy Eyeballs v2): attempts start in `addresses` order, each
 * `CONNECTION_ATTEMPT_DELAY_MS` after the previous one or as soon as it failed; the first established
 * connection wins and the others are abandoned. Rejects only when every address failed, with an
 * `AllAttemptsFailedError` whose cause is the first attempt's error (OONI, too, reports the first
 * failure of a multi-address dial), or with the signal's reason when it aborts first. `onAttempt`
 * receives the attempt records as they change, so a caller cut short by a timeout still has them.
 */
export function connectHappyEyeballs(
  addresses: readonly ResolvedAddress[],
  port: number,
  signal: AbortSignal,
  attempts: ConnectAttempt[] = [],
): Promise<Connected> {
  const candidates = addresses.slice(0, MAX_CONNECTION_ATTEMPTS)
  const t0 = performance.now()
  const local = new AbortController()
  const onAbort = () => local.abort(signal.reason)
  if (signal.aborted) onAbort()
  else signal.addEventListener('abort', onAbort, { once: true })
  return new Promise<Connected>((resolve, reject) => {
    let next = 0
    let running = 0
    let settled = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const errors: unknown[] = []
    const finish = (outcome: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      outcome()
    }
    const startNext = () => {
      clearTimeout(timer)
      if (settled || next >= candidates.length) return
      const candidate = candidates[next++]!
      const record: ConnectAttempt = {
        address: candidate.address,
        family: candidate.family,
        startMs: since(t0),
        connectMs: null,
        failure: null,
        outcome: 'pending',
      }
      attempts.push(record)
      running += 1
      const a0 = performance.now()
      connectTcp(candidate.address, port, local.signal).then(
        (socket) => {
          running -= 1
          record.connectMs = since(a0)
          if (settled) {
            // Another address won meanwhile: this connection is not wanted.
            record.outcome = 'abandoned'
            socket.destroy()
            return
          }
          record.outcome = 'connected'
          for (const other of attempts) if (other.outcome === 'pending') other.outcome = 'abandoned'
          finish(() => resolve({ socket, address: candidate.address, attempts, connectMs: since(t0) }))
          local.abort(new Error('another address connected first'))
        },
        (error: unknown) => {
          running -= 1
          if (record.outcome !== 'pending') return
          record.outcome = 'failed'
          record.failure = failureFromError(error, signal)
          errors.push(error)
          if (signal.aborted) {
            finish(() => reject(signal.reason))
            return
          }
          if (next < candidates.length) startNext()
          else if (running === 0)
            finish(() => reject(new AllAttemptsFailedError(attempts, errors[0] ?? error)))
        },
      )
      if (next < candidates.length) timer = setTimeout(startNext, CONNECTION_ATTEMPT_DELAY_MS)
    }
    if (candidates.length === 0) {
      finish(() => reject(Object.assign(new Error('no address to connect to'), { code: 'ENODATA' })))
      return
    }
    if (signal.aborted) {
      finish(() => reject(signal.reason))
      return
    }
    startNext()
  })
}

export interface Handshake {
  socket: TLSSocket
  protocol: string | null
  cipher: string | null
  leafSha256: string | null
  /** Over the certificates the server sent. */
  earliestCertExpiry: string | null
  sentChain: CertificateSummary[]
  verifiedChain: CertificateSummary[] | null
  lastChainExpiry: string | null
  verifyError: string | null
}

export interface HandshakeOptions {
  /** The name the certificate must match; sent as SNI unless it is an address literal (RFC 6066). */
  servername: string
  ca?: CaList | undefined
  alpn?: string[]
}

/**
 * Runs a TLS handshake over `socket`. Verification is done but does not abort the handshake, so a chain that
 * fails to verify (an interception root, say) is still fingerprinted; the caller decides what a failure is.
 */
export function handshakeTls(
  socket: Socket,
  options: HandshakeOptions,
  signal: AbortSignal,
): Promise<Handshake> {
  const name = bareHost(options.servername)
  const tlsSocket = tlsConnect({
    socket,
    // `host` is the name checkServerIdentity verifies; `servername` is only the SNI extension.
    host: name,
    ...(isIP(name) === 0 ? { servername: name } : {}),
    ...(options.ca === undefined ? {} : { secureContext: secureContextFor(options.ca) }),
    ...(options.alpn === undefined ? {} : { ALPNProtocols: options.alpn }),
    rejectUnauthorized: false,
  })
  const done = new Promise<Handshake>((resolve, reject) => {
    tlsSocket.once('secureConnect', () => {
      tlsSocket.removeListener('error', reject)
      tlsSocket.on('error', ignore)
      const cipher = tlsSocket.getCipher()
      const verifyError = tlsSocket.authorized ? null : describeVerifyError(tlsSocket.authorizationError)
      const sent = sentX509(tlsSocket)
      const sentChain = sent.map(summariseX509)
      const path = verifyError === null ? buildVerifiedPath(sent, trustAnchors(options.ca)) : null
      const verifiedChain = path === null ? null : path.map(summariseX509)
      resolve({
        socket: tlsSocket,
        protocol: tlsSocket.getProtocol() ?? null,
        cipher: cipher?.standardName ?? cipher?.name ?? null,
        leafSha256: sentChain[0]?.sha256 ?? null,
        earliestCertExpiry: earliestExpiry(sentChain),
        sentChain,
        verifiedChain,
        lastChainExpiry: verifiedChain === null ? null : earliestExpiry(verifiedChain),
        verifyError,
      })
    })
    tlsSocket.once('error', reject)
  })
  return abortable(signal, done, () => {
    tlsSocket.destroy()
    socket.destroy()
  })
}

function ignore(): void {}

const secureContexts = new Map<CaList, SecureContext>()

/**
 * One secure context per list of roots: passing `ca` to every connection makes Node parse the whole list
 * (about 150 roots for the bundled set plus extras) on every handshake.
 */
export function secureContextFor(ca: CaList): SecureContext {
  let context = secureContexts.get(ca)
  if (context === undefined) {
    // Lists made per call (a test's inline PEM) would grow the cache without bound.
    if (secureContexts.size >= 64) secureContexts.clear()
    context = createSecureContext({ ca })
    secureContexts.set(ca, context)
  }
  return context
}

function describeVerifyError(error: Error | string | null | undefined): string {
  if (error === null || error === undefined) return 'UNKNOWN'
  if (typeof error === 'string') return error
  return (error as { code?: string }).code ?? error.message
}

/** Most certificates kept from one chain; a server may send any number. */
export const MAX_CHAIN_CERTIFICATES = 16

/**
 * The certificates the peer sent, in its order. Node's `getPeerX509Certificate()` links them through
 * `issuerCertificate` in the order of OpenSSL's peer chain (what came over the wire), whereas
 * `getPeerCertificate(true)` walks issuers by name and appends the local trust store's root. In Node 20
 * reading it empties the socket's peer chain, so nothing may call `getPeerCertificate` after this.
 */
export function sentX509(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = []
  for (
    let cert: X509Certificate | undefined = socket.getPeerX509Certificate();
    cert !== undefined && chain.length < MAX_CHAIN_CERTIFICATES;
    cert = cert.issuerCertificate
  ) {
    chain.push(cert)
  }
  return chain
}

export function summariseX509(cert: X509Certificate): CertificateSummary {
  return {
    subject: cert.subject.slice(0, 512),
    issuer: cert.issuer.slice(0, 512),
    serialNumber: cert.serialNumber.slice(0, 128),
    notBefore: isoOrNull(cert.validFrom),
    notAfter: isoOrNull(cert.validTo),
    sha256: createHash('sha256').update(cert.raw).digest('hex'),
    subjectAltName: cert.subjectAltName?.slice(0, 1024) ?? null,
  }
}

function isoOrNull(text: string): string | null {
  const at = Date.parse(text)
  return Number.isNaN(at) ? null : new Date(at).toISOString()
}

/** The earliest notAfter of `chain`, ISO 8601, or null when none is readable. */
export function earliestExpiry(chain: readonly CertificateSummary[]): string | null {
  let earliest: string | null = null
  for (const cert of chain) {
    if (cert.notAfter !== null && (earliest === null || cert.notAfter < earliest)) earliest = cert.notAfter
  }
  return earliest
}

/** An error carrying a TLS verification code, so classifyError maps it like any other. */
export function verifyFailure(code: string): Error {
  return Object.assign(new Error(`certificate verification failed: ${code}`), { code })
}
