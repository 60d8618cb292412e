// The data a probe takes and gives: one target type and one result type per probe kind, all JSON-ready so a
// result can be stored as a measurement's details as it is.
import type { FailureString } from './failures.js'

export type ProbeKind = 'dns' | 'tcp' | 'tls' | 'http' | 'https'

export const PROBE_KINDS: readonly ProbeKind[] = ['dns', 'tcp', 'tls', 'http', 'https']

/** PEM text of the roots to trust instead of Node's bundled ones (a test root, or a vantage's own store). */
export type CaList = string | Buffer | Array<string | Buffer>

interface TargetBase {
  /** Stable name of the target, used as the measurement's target and the metrics label. */
  name: string
  /** Overrides the round's timeout for this target. */
  timeoutMs?: number
}

export interface DnsTarget extends TargetBase {
  kind: 'dns'
  /** The name to resolve. */
  host: string
  /** Resolver under test, `host:port` or `[v6]:port` (port defaults to 53). */
  resolver: string
  /** A resolver outside the censored network whose answers are taken as the truth. */
  controlResolver?: string
  /** Defaults to A and AAAA. */
  recordTypes?: Array<'A' | 'AAAA'>
  /** Addresses known to serve a block page: an answer pointing at one is tampering even without a control. */
  blockPageAddresses?: string[]
}

export interface TcpTarget extends TargetBase {
  kind: 'tcp'
  host: string
  port: number
}

export interface TlsTarget extends TargetBase {
  kind: 'tls'
  host: string
  port: number
  /** SNI and the name the certificate must match; defaults to `host`. */
  servername?: string
  ca?: CaList
}

/** One block-page signature; every field given must match (status AND header AND body). */
export interface BlockPagePattern {
  /** A short name reported in the result, e.g. `kz-ministry-notice`. */
  name: string
  status?: number
  /** Header name (any case) and a pattern its value must match. */
  header?: { name: string; pattern: string | RegExp }
  /** Searched in the bytes read (up to the body cap), decoded as UTF-8. A string matches case-insensitively. */
  body?: string | RegExp
}

export interface HttpTarget extends TargetBase {
  kind: 'http' | 'https'
  url: string
  /** Redirects followed before giving up; defaults to 10. */
  maxRedirects?: number
  /** Bytes of the final body read at most; defaults to 1 MiB. */
  maxBodyBytes?: number
  blockPages?: BlockPagePattern[]
  headers?: Record<string, string>
  ca?: CaList
}

export type ProbeTarget = DnsTarget | TcpTarget | TlsTarget | HttpTarget

export type TargetOf<K extends ProbeKind> = Extract<ProbeTarget, { kind: K }>

/** What the runner hands a probe. The probe must stop its I/O when `signal` aborts. */
export interface ProbeContext {
  signal: AbortSignal
  timeoutMs: number
  /** Roots for TLS verification when the target sets none; Node's bundled roots when neither does. */
  ca?: CaList
  userAgent: string
}

export interface DnsQueryDetails {
  type: 'A' | 'AAAA'
  /** DNS response code as a name (NOERROR, NXDOMAIN, SERVFAIL, REFUSED...), null when no response came. */
  rcode: string | null
  answers: string[]
  lookupMs: number
  failure: FailureString | null
}

export interface DnsDetails {
  resolver: string
  /** Response code of the first record type asked (A unless configured otherwise). */
  rcode: string | null
  /** Every address answered, all record types together. */
  answers: string[]
  /** Wall time of the lookup (the record types are asked in parallel). */
  lookupMs: number | null
  queries: DnsQueryDetails[]
  control: { resolver: string; rcode: string | null; answers: string[]; failure: FailureString | null } | null
  /** Answers that are bogons (private, loopback, link-local, unspecified, CGNAT, reserved). */
  bogons: string[]
  tampering: boolean
}

export interface TcpDetails {
  address: string | null
  dnsMs: number | null
  connectMs: number | null
}

export interface TlsDetails extends TcpDetails {
  servername: string
  protocol: string | null
  cipher: string | null
  handshakeMs: number | null
  /** SHA-256 of the leaf certificate's DER, lowercase hex. Kept on verification failure: that is the evidence. */
  leafSha256: string | null
  /** Earliest notAfter in the presented chain, ISO 8601 (blackbox's probe_ssl_earliest_cert_expiry). */
  earliestCertExpiry: string | null
  /** OpenSSL's or Node's verification error code, null when the chain verified. */
  verifyError: string | null
}

export interface HttpTimings {
  dns: number
  connect: number
  tls: number
  /** From the request being sent on a fresh connection to the response headers. */
  firstByte: number
  /** Reading the body (up to the cap). */
  transfer: number
}

export interface HttpDetails {
  url: string
  finalUrl: string
  statusCode: number | null
  redirects: number
  /** Every URL requested, in order. */
  chain: string[]
  /** Summed over every hop, like blackbox_exporter's probe_http_duration_seconds{phase}. */
  timings: HttpTimings
  address: string | null
  bytesRead: number
  /** The body was longer than the cap and reading stopped there. Not a failure: the site answered. */
  truncated: boolean
  title: string | null
  /** Name of the block-page pattern that matched. */
  blockPage: string | null
  /** For https hops: the last TLS handshake's facts. */
  tls: Pick<TlsDetails, 'protocol' | 'cipher' | 'leafSha256' | 'earliestCertExpiry' | 'verifyError'> | null
}

interface ResultBase<K extends ProbeKind, D> {
  target: string
  kind: K
  /** True exactly when `failure` is null. */
  ok: boolean
  failure: FailureString | null
  durationMs: number
  startedAt: Date
  details: D
}

export type DnsResult = ResultBase<'dns', DnsDetails>
export type TcpResult = ResultBase<'tcp', TcpDetails>
export type TlsResult = ResultBase<'tls', TlsDetails>
export type HttpResult = ResultBase<'http' | 'https', HttpDetails>

export type ProbeResult = DnsResult | TcpResult | TlsResult | HttpResult

export type ResultOf<T extends ProbeTarget> = T extends DnsTarget
  ? DnsResult
  : T extends TcpTarget
    ? TcpResult
    : T extends TlsTarget
      ? TlsResult
      : HttpResult

/** One signature for every kind, as in blackbox_exporter: a failed target is a result, never a throw. */
export type Probe<T extends ProbeTarget = ProbeTarget> = (
  target: T,
  ctx: ProbeContext,
) => Promise<ResultOf<T>>
