// OONI's failure vocabulary (ooni/spec df-007-errors and probe-engine) and the pure mapping from Node, c-ares,
// OpenSSL and undici error codes onto it, so Vigil's measurements read like OONI's.

/** The failure strings a probe result can carry; `null` in a result means no failure. */
export const FAILURE_STRINGS = [
  'generic_timeout_error',
  'connection_refused',
  'connection_reset',
  'dns_nxdomain_error',
  'dns_no_answer',
  'dns_server_failure',
  'eof_error',
  'ssl_invalid_hostname',
  'ssl_unknown_authority',
  'ssl_invalid_certificate',
  'ssl_failed_handshake',
  'host_unreachable',
  'network_unreachable',
  // probe-engine's word for a measurement cut short by its caller (here: the service shutting down).
  'interrupted',
  // Vigil's own, where OONI has no word: a page that matched a configured block-page pattern, and DNS
  // answers that differ from the control resolver's and point at bogons or a known block-page address.
  'http_blockpage',
  'dns_tampering',
] as const

export type KnownFailure = (typeof FAILURE_STRINGS)[number]

/** `unknown_failure: <short>` is OONI's form for anything outside the vocabulary; the suffix is a short code. */
export type FailureString = KnownFailure | `unknown_failure: ${string}`

/** A failure decided by a probe itself (redirect loop, DNS tampering) rather than by an error from the stack. */
export class ProbeFailure extends Error {
  readonly failure: FailureString

  constructor(failure: FailureString, message?: string) {
    super(message ?? failure)
    this.name = 'ProbeFailure'
    this.failure = failure
  }
}

/** The abort reason the runner uses when a probe's time is up; anything else aborting a probe is `interrupted`. */
export class ProbeTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`probe timed out after ${timeoutMs} ms`)
    this.name = 'TimeoutError'
  }
}

const BY_CODE: Record<string, FailureString> = {
  // Timers. ETIMEOUT is c-ares' spelling; the undici ones only fire if a caller re-enables undici's timers.
  ETIMEDOUT: 'generic_timeout_error',
  ETIMEOUT: 'generic_timeout_error',
  UND_ERR_CONNECT_TIMEOUT: 'generic_timeout_error',
  UND_ERR_HEADERS_TIMEOUT: 'generic_timeout_error',
  UND_ERR_BODY_TIMEOUT: 'generic_timeout_error',
  ECONNREFUSED: 'connection_refused',
  ECONNRESET: 'connection_reset',
  // A write into a connection the peer has already torn down: the reset seen from the sending side.
  EPIPE: 'connection_reset',
  ECONNABORTED: 'connection_reset',
  EHOSTUNREACH: 'host_unreachable',
  EHOSTDOWN: 'host_unreachable',
  ENETUNREACH: 'network_unreachable',
  ENETDOWN: 'network_unreachable',
  // The peer closed the connection before the response (or the TLS handshake) was complete.
  UND_ERR_SOCKET: 'eof_error',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'eof_error',
  HPE_INVALID_EOF_STATE: 'eof_error',
  ERR_STREAM_PREMATURE_CLOSE: 'eof_error',
  ERR_SOCKET_CLOSED: 'eof_error',
  ERR_SOCKET_CLOSED_BEFORE_CONNECTION: 'eof_error',
  UND_ERR_ABORTED: 'interrupted',
  UND_ERR_DESTROYED: 'interrupted',
  ECANCELLED: 'interrupted',
  // DNS: getaddrinfo and c-ares both say ENOTFOUND for NXDOMAIN.
  ENOTFOUND: 'dns_nxdomain_error',
  EAI_NONAME: 'dns_nxdomain_error',
  ENODATA: 'dns_no_answer',
  EAI_NODATA: 'dns_no_answer',
  ESERVFAIL: 'dns_server_failure',
  // A resolver that refuses, cannot answer for now or sends garbage has failed as a server.
  EREFUSED: 'dns_server_failure',
  EAI_AGAIN: 'dns_server_failure',
  EAI_FAIL: 'dns_server_failure',
  EBADRESP: 'dns_server_failure',
  EFORMERR: 'dns_server_failure',
  ENOTIMP: 'dns_server_failure',
  // Certificate verification (OpenSSL's X509_V_ERR_* names as Node reports them).
  ERR_TLS_CERT_ALTNAME_INVALID: 'ssl_invalid_hostname',
  HOSTNAME_MISMATCH: 'ssl_invalid_hostname',
  SELF_SIGNED_CERT_IN_CHAIN: 'ssl_unknown_authority',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'ssl_unknown_authority',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'ssl_unknown_authority',
  UNABLE_TO_GET_ISSUER_CERT: 'ssl_unknown_authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'ssl_unknown_authority',
  CERT_UNTRUSTED: 'ssl_unknown_authority',
  CERT_HAS_EXPIRED: 'ssl_invalid_certificate',
  CERT_NOT_YET_VALID: 'ssl_invalid_certificate',
  CERT_REVOKED: 'ssl_invalid_certificate',
  CERT_REJECTED: 'ssl_invalid_certificate',
  CERT_SIGNATURE_FAILURE: 'ssl_invalid_certificate',
  CERT_CHAIN_TOO_LONG: 'ssl_invalid_certificate',
  INVALID_CA: 'ssl_invalid_certificate',
  INVALID_PURPOSE: 'ssl_invalid_certificate',
  PATH_LENGTH_EXCEEDED: 'ssl_invalid_certificate',
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 'ssl_invalid_certificate',
  ERROR_IN_CERT_NOT_AFTER_FIELD: 'ssl_invalid_certificate',
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 'ssl_invalid_certificate',
  EPROTO: 'ssl_failed_handshake',
  ERR_TLS_HANDSHAKE_TIMEOUT: 'generic_timeout_error',
}

/**
 * Maps any thrown value to a failure string. Pure: it looks only at `code`, `name` and `cause`, never at
 * message text, so it is tested as a table. Unknown errors become `unknown_failure: <code>`.
 */
export function classifyError(error: unknown): FailureString {
  return classifyAt(error, 0) ?? `unknown_failure: ${shortCode(error)}`
}

function classifyAt(error: unknown, depth: number): FailureString | null {
  if (error === null || typeof error !== 'object' || depth > 4) return null
  if (error instanceof ProbeFailure) return error.failure
  const { code, name, cause } = error as { code?: unknown; name?: unknown; cause?: unknown }
  if (name === 'TimeoutError') return 'generic_timeout_error'
  if (typeof code === 'string') {
    const known = BY_CODE[code]
    // undici wraps the socket's own error (ECONNRESET...) as the cause of some of its errors: prefer it.
    if (known === 'eof_error' || known === undefined) {
      const inner = classifyAt(cause, depth + 1)
      if (inner !== null) return inner
    }
    if (known !== undefined) return known
    if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return 'ssl_failed_handshake'
    if (code.startsWith('HPE_')) return 'unknown_failure: http_parse_error'
  }
  if (name === 'AbortError') return 'interrupted'
  return classifyAt(cause, depth + 1)
}

function shortCode(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const { code, name } = error as { code?: unknown; name?: unknown }
    if (typeof code === 'string' && code !== '') return code.toLowerCase()
    if (typeof name === 'string' && name !== '' && name !== 'Error') return name.toLowerCase()
  }
  return 'error'
}

/**
 * The failure for an error raised while `signal` may have been aborted: an abort by the runner's timer is a
 * timeout whatever error the aborted I/O surfaced as; an abort by anyone else is `interrupted`.
 */
export function failureFromError(error: unknown, signal: AbortSignal): FailureString {
  if (signal.aborted)
    return signal.reason instanceof ProbeTimeoutError ? 'generic_timeout_error' : 'interrupted'
  return classifyError(error)
}

/** A bounded label for metrics: every `unknown_failure: ...` collapses to `unknown_failure`. */
export function failureReason(failure: FailureString): KnownFailure | 'unknown_failure' {
  return failure.startsWith('unknown_failure') ? 'unknown_failure' : (failure as KnownFailure)
}
