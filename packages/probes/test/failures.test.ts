// classifyError as a table: every error code the probes meet maps to the OONI failure string a reader of
// OONI data would expect.
import {
  classifyError,
  failureFromError,
  failureReason,
  ProbeFailure,
  ProbeTimeoutError,
} from '@vigil/probes'
import { describe, expect, it } from 'vitest'

function coded(code: string, cause?: unknown): Error {
  return Object.assign(new Error(`error ${code}`), { code }, cause === undefined ? {} : { cause })
}

describe('classifyError', () => {
  it.each([
    ['ECONNREFUSED', 'connection_refused'],
    ['ECONNRESET', 'connection_reset'],
    ['EPIPE', 'connection_reset'],
    ['ECONNABORTED', 'connection_reset'],
    ['ETIMEDOUT', 'generic_timeout_error'],
    ['ETIMEOUT', 'generic_timeout_error'],
    ['UND_ERR_CONNECT_TIMEOUT', 'generic_timeout_error'],
    ['UND_ERR_HEADERS_TIMEOUT', 'generic_timeout_error'],
    ['UND_ERR_BODY_TIMEOUT', 'generic_timeout_error'],
    ['UND_ERR_SOCKET', 'eof_error'],
    ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'eof_error'],
    ['HPE_INVALID_EOF_STATE', 'eof_error'],
    ['ERR_STREAM_PREMATURE_CLOSE', 'eof_error'],
    ['UND_ERR_ABORTED', 'interrupted'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'ssl_invalid_hostname'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'ssl_unknown_authority'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'ssl_unknown_authority'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ssl_unknown_authority'],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'ssl_unknown_authority'],
    ['CERT_HAS_EXPIRED', 'ssl_invalid_certificate'],
    ['CERT_NOT_YET_VALID', 'ssl_invalid_certificate'],
    ['CERT_REVOKED', 'ssl_invalid_certificate'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'ssl_failed_handshake'],
    ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'ssl_failed_handshake'],
    ['EPROTO', 'ssl_failed_handshake'],
    ['ENOTFOUND', 'dns_nxdomain_error'],
    ['EAI_NONAME', 'dns_nxdomain_error'],
    ['ESERVFAIL', 'dns_server_failure'],
    ['EREFUSED', 'dns_server_failure'],
    ['EAI_AGAIN', 'dns_server_failure'],
    ['ENODATA', 'dns_no_answer'],
    ['EHOSTUNREACH', 'host_unreachable'],
    ['ENETUNREACH', 'network_unreachable'],
    ['HPE_INVALID_CONSTANT', 'unknown_failure: http_parse_error'],
    ['EADDRNOTAVAIL', 'unknown_failure: eaddrnotavail'],
  ])('%s is %s', (code, failure) => {
    expect(classifyError(coded(code))).toBe(failure)
  })

  it('prefers the socket error undici wraps as the cause', () => {
    expect(classifyError(coded('UND_ERR_SOCKET', coded('ECONNRESET')))).toBe('connection_reset')
    expect(classifyError(coded('UND_ERR_SOCKET', new Error('other side closed')))).toBe('eof_error')
  })

  it('maps timeouts and aborts by name', () => {
    expect(classifyError(new ProbeTimeoutError(100))).toBe('generic_timeout_error')
    expect(classifyError(new DOMException('gone', 'AbortError'))).toBe('interrupted')
  })

  it('keeps a failure a probe decided itself', () => {
    expect(classifyError(new ProbeFailure('dns_tampering'))).toBe('dns_tampering')
  })

  it('never throws on values that are not errors', () => {
    expect(classifyError(undefined)).toBe('unknown_failure: error')
    expect(classifyError('boom')).toBe('unknown_failure: error')
    expect(classifyError(new TypeError('x'))).toBe('unknown_failure: typeerror')
  })
})

describe('failureFromError', () => {
  it('turns any error raised after the runner timed out into a timeout', () => {
    const controller = new AbortController()
    controller.abort(new ProbeTimeoutError(100))
    expect(failureFromError(coded('ECONNRESET'), controller.signal)).toBe('generic_timeout_error')
  })

  it('reports an abort by anyone else as interrupted', () => {
    const controller = new AbortController()
    controller.abort()
    expect(failureFromError(coded('UND_ERR_ABORTED'), controller.signal)).toBe('interrupted')
  })

  it('classifies the error when nothing aborted', () => {
    expect(failureFromError(coded('ECONNREFUSED'), new AbortController().signal)).toBe('connection_refused')
  })
})

describe('failureReason', () => {
  it('bounds the metrics label', () => {
    expect(failureReason('unknown_failure: redirect_loop')).toBe('unknown_failure')
    expect(failureReason('dns_tampering')).toBe('dns_tampering')
  })
})
