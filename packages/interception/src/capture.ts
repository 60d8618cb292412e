// The capture edge: one TLS handshake that records the presented chain, whether it verifies, and the
// OONI failure string when it does not. It never throws on a network failure; a failure is data.

import { isIP } from 'node:net'
import tls, { type DetailedPeerCertificate } from 'node:tls'
import { buildVerifiedPath, sentX509, trustAnchors as trustAnchorsOf } from '@vigil/probes'
import { certificatesFromPem, describeCertificate, sha256Hex } from './certificate.js'
import type { CertificateFacts, TlsCapture, TlsFailure } from './types.js'

export interface CaptureOptions {
  host: string
  port?: number
  /** SNI to send and the name the leaf must be valid for; defaults to `host`. */
  servername?: string
  timeoutMs: number
  /** Trust anchors instead of node's bundled Mozilla roots (tests, private deployments). */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>
  signal?: AbortSignal
}

// OpenSSL verification codes that mean "no trusted path to a root", which OONI calls unknown authority.
const UNKNOWN_AUTHORITY_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
])
const VALIDITY_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID'])
// node's own hostname check result; the capture runs that check itself, so it is not a chain error.
const HOSTNAME_CODE = 'ERR_TLS_CERT_ALTNAME_INVALID'

/**
 * Connects, completes the handshake without rejecting anything, and reports what was presented.
 *
 * `chain` is what the server sent, in its order (leaf first), extra certificates included, and never a
 * certificate from the local trust store. `verifiedChain` is the path that verified, leaf to trust anchor
 * (possibly a store root the server did not send), or null when verification failed.
 */
export function captureChain(options: CaptureOptions): Promise<TlsCapture> {
  const port = options.port ?? 443
  const servername = options.servername ?? options.host
  const started = Date.now()
  const base = {
    host: options.host,
    port,
    servername,
    capturedAt: new Date(started).toISOString(),
    trustStore: options.ca === undefined ? ('mozilla' as const) : ('custom' as const),
  }
  const failed = (failure: TlsFailure, errorCode: string | null): TlsCapture => ({
    ...base,
    durationMs: Date.now() - started,
    protocol: null,
    cipher: null,
    chain: [],
    verifiedChain: null,
    verified: false,
    failure,
    errorCode,
  })

  if (options.signal?.aborted) return Promise.resolve(failed('interrupted', 'ABORT_ERR'))

  return new Promise((resolve) => {
    let socket: tls.TLSSocket | undefined
    let timer: NodeJS.Timeout | undefined
    let settled = false
    const finish = (capture: TlsCapture) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      socket?.destroy()
      resolve(capture)
    }
    const onAbort = () => finish(failed('interrupted', 'ABORT_ERR'))
    options.signal?.addEventListener('abort', onAbort, { once: true })
    timer = setTimeout(() => finish(failed('generic_timeout_error', 'ETIMEDOUT')), options.timeoutMs)

    try {
      socket = tls.connect({
        host: options.host,
        port,
        // RFC 6066 forbids an IP address as SNI; the identity check below still uses it.
        servername: isIP(servername) ? '' : servername,
        secureContext: secureContextFor(options.ca),
        rejectUnauthorized: false,
      })
    } catch (error) {
      finish(failed('unknown_failure', errorCodeOf(error)))
      return
    }
    socket.once('secureConnect', () => {
      const tlsSocket = socket!
      // Node's issuer walk (it may append a store root) only tells whether the path reached an anchor. It
      // must be read before the sent chain: reading that empties the socket's peer chain (Node 20).
      const peer = tlsSocket.getPeerCertificate(true)
      const walked = issuerWalkDer(peer)
      const sent = sentX509(tlsSocket)
      let chain: CertificateFacts[]
      try {
        chain = sent.map((cert) => describeCertificate(cert.raw))
      } catch (error) {
        finish(failed('ssl_invalid_certificate', errorCodeOf(error)))
        return
      }
      if (chain.length === 0) {
        finish(failed('ssl_failed_handshake', 'NO_PEER_CERTIFICATE'))
        return
      }
      const chainError = tlsSocket.authorized
        ? null
        : String(tlsSocket.authorizationError ?? 'UNKNOWN_VERIFY_ERROR')
      const identityError = tls.checkServerIdentity(servername, peer)
      const top = walked[walked.length - 1]
      const { failure, errorCode } = verificationFailure(
        chainError === HOSTNAME_CODE ? null : chainError,
        identityError ? (errorCodeOf(identityError) ?? HOSTNAME_CODE) : null,
        top !== undefined && trustAnchors(options.ca).has(sha256Hex(top)),
      )
      let verifiedChain: CertificateFacts[] | null = null
      if (failure === null) {
        const path = buildVerifiedPath(sent, anchorsFor(options.ca))
        verifiedChain = path === null ? null : path.map((cert) => describeCertificate(cert.raw))
      }
      const cipher = tlsSocket.getCipher()
      finish({
        ...base,
        durationMs: Date.now() - started,
        protocol: tlsSocket.getProtocol(),
        cipher: cipher ? (cipher.standardName ?? cipher.name) : null,
        chain,
        verifiedChain,
        verified: failure === null,
        failure,
        errorCode,
      })
    })
    // Kept for the socket's life: an error after the capture settled must not go unhandled.
    socket.on('error', (error) => finish(failed(socketFailure(error), errorCodeOf(error))))
    socket.once('close', () => finish(failed('eof_error', 'EOF')))
  })
}

/**
 * Orders the checks as OONI's Go client does (validity, then hostname, then the path to a root), so
 * the same certificate gets the same failure string here as in OONI's data. OpenSSL reports a single
 * code, the last it met; a chain that does not end in a trust anchor is an unknown authority whatever
 * that code is (Go, too, reports a bad signature on an unanchored chain as an unknown authority).
 */
export function verificationFailure(
  chainError: string | null,
  hostnameError: string | null,
  anchored: boolean,
): { failure: TlsFailure | null; errorCode: string | null } {
  if (chainError && VALIDITY_CODES.has(chainError)) {
    return { failure: 'ssl_invalid_certificate', errorCode: chainError }
  }
  if (hostnameError) return { failure: 'ssl_invalid_hostname', errorCode: hostnameError }
  if (chainError) {
    const unknown = !anchored || UNKNOWN_AUTHORITY_CODES.has(chainError)
    return { failure: unknown ? 'ssl_unknown_authority' : 'ssl_invalid_certificate', errorCode: chainError }
  }
  return { failure: null, errorCode: null }
}

let mozillaAnchors: Set<string> | undefined

/** SHA-256 of every trust anchor, to tell whether the walked chain ends in one. */
function trustAnchors(ca: CaptureOptions['ca']): Set<string> {
  if (ca === undefined) {
    mozillaAnchors ??= anchorSet(tls.rootCertificates)
    return mozillaAnchors
  }
  return anchorSet(typeof ca === 'string' || Buffer.isBuffer(ca) ? [ca] : ca)
}

function anchorSet(pems: readonly (string | Buffer)[]): Set<string> {
  return new Set(pems.flatMap((pem) => certificatesFromPem(pem.toString()).map((der) => sha256Hex(der))))
}

/** Maps a socket error to OONI's words by its code, never its message. */
export function socketFailure(error: unknown): TlsFailure {
  const code = errorCodeOf(error)
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection_refused'
    case 'ECONNRESET':
      // node reports an orderly close before the handshake finished as ECONNRESET without a syscall;
      // a real reset from the network comes from a read or write.
      return hasSyscall(error) ? 'connection_reset' : 'eof_error'
    case 'EPIPE':
      return 'connection_reset'
    case 'ETIMEDOUT':
      return 'generic_timeout_error'
    case 'ENOTFOUND':
      return 'dns_nxdomain_error'
    case 'EHOSTUNREACH':
      return 'host_unreachable'
    case 'ENETUNREACH':
      return 'network_unreachable'
    case 'EPROTO':
      return 'ssl_failed_handshake'
  }
  if (code?.startsWith('ERR_SSL_') || hasLibrary(error, 'SSL routines')) return 'ssl_failed_handshake'
  return 'unknown_failure'
}

function issuerWalkDer(peer: DetailedPeerCertificate): Buffer[] {
  const chain: Buffer[] = []
  const seen = new Set<string>()
  let cert: DetailedPeerCertificate | undefined = peer
  // A self-issued certificate is its own issuerCertificate; the set also stops any longer loop.
  while (cert?.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256)
    chain.push(cert.raw)
    cert = cert.issuerCertificate
  }
  return chain
}

const secureContexts = new Map<CaptureOptions['ca'] | 'default', tls.SecureContext>()

// One context per list of roots: a `ca` option on every connection re-parses the whole list each time.
function secureContextFor(ca: CaptureOptions['ca']): tls.SecureContext {
  const key = ca ?? 'default'
  let context = secureContexts.get(key)
  if (context === undefined) {
    if (secureContexts.size >= 64) secureContexts.clear()
    context = tls.createSecureContext({
      ca: typeof ca === 'string' || Buffer.isBuffer(ca) ? ca : [...(ca ?? tls.rootCertificates)],
    })
    secureContexts.set(key, context)
  }
  return context
}

function anchorsFor(ca: CaptureOptions['ca']) {
  return trustAnchorsOf(
    ca === undefined ? undefined : typeof ca === 'string' || Buffer.isBuffer(ca) ? ca : [...ca],
  )
}

function errorCodeOf(error: unknown): string | null {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code
  }
  return null
}

function hasSyscall(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'syscall' in error && error.syscall !== undefined
}

function hasLibrary(error: unknown, library: string): boolean {
  return typeof error === 'object' && error !== null && 'library' in error && error.library === library
}
