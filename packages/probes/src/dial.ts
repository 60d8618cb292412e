// The timed steps every connection-based probe shares: name lookup, TCP connect and TLS handshake, each one
// stopped at once when the probe's signal aborts so the runner's timeout is the only timeout.
import { createHash } from 'node:crypto'
import { lookup } from 'node:dns/promises'
import { isIP, connect as netConnect, type Socket } from 'node:net'
import { type DetailedPeerCertificate, type TLSSocket, connect as tlsConnect } from 'node:tls'
import type { CaList } from './types.js'

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

export interface Resolved {
  address: string
  /** Zero for an address literal: nothing was looked up. */
  dnsMs: number
}

/** The system resolver's first address for `host` (getaddrinfo, as a browser on the vantage would see it). */
export async function resolveHost(host: string, signal: AbortSignal): Promise<Resolved> {
  const bare = bareHost(host)
  if (isIP(bare) !== 0) return { address: bare, dnsMs: 0 }
  const t0 = performance.now()
  const { address } = await abortable(signal, lookup(bare))
  return { address, dnsMs: since(t0) }
}

/** Opens a TCP connection; resolves once it is established. */
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

export interface Handshake {
  socket: TLSSocket
  protocol: string | null
  cipher: string | null
  leafSha256: string | null
  earliestCertExpiry: string | null
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
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.alpn === undefined ? {} : { ALPNProtocols: options.alpn }),
    rejectUnauthorized: false,
  })
  const done = new Promise<Handshake>((resolve, reject) => {
    tlsSocket.once('secureConnect', () => {
      tlsSocket.removeListener('error', reject)
      tlsSocket.on('error', ignore)
      const chain = tlsSocket.getPeerCertificate(true)
      const cipher = tlsSocket.getCipher()
      const verifyError = tlsSocket.authorized ? null : describeVerifyError(tlsSocket.authorizationError)
      resolve({
        socket: tlsSocket,
        protocol: tlsSocket.getProtocol() ?? null,
        cipher: cipher?.standardName ?? cipher?.name ?? null,
        leafSha256: chain?.raw ? createHash('sha256').update(chain.raw).digest('hex') : null,
        earliestCertExpiry: earliestExpiry(chain),
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

function describeVerifyError(error: Error | string | null | undefined): string {
  if (error === null || error === undefined) return 'UNKNOWN'
  if (typeof error === 'string') return error
  return (error as { code?: string }).code ?? error.message
}

function earliestExpiry(leaf: DetailedPeerCertificate | undefined): string | null {
  let earliest: number | null = null
  const seen = new Set<DetailedPeerCertificate>()
  for (let cert = leaf; cert?.raw !== undefined && !seen.has(cert); cert = cert.issuerCertificate) {
    seen.add(cert)
    const notAfter = Date.parse(cert.valid_to)
    if (!Number.isNaN(notAfter) && (earliest === null || notAfter < earliest)) earliest = notAfter
  }
  return earliest === null ? null : new Date(earliest).toISOString()
}

/** An error carrying a TLS verification code, so classifyError maps it like any other. */
export function verifyFailure(code: string): Error {
  return Object.assign(new Error(`certificate verification failed: ${code}`), { code })
}
