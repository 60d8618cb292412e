// The data a probe takes and gives: one target type and one result type per probe kind, all JSON-ready so a
// result can be stored as a measurement's details as it is.
import type { ProbedMeasurement } from '@vigil/model'
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

/** Which hops of a redirect chain a block-page pattern is matched against. */
export type BlockPageHopScope = 'any' | 'first' | 'final'

/** One block-page signature; every field given must match (status AND header AND body) on one hop. */
export interface BlockPagePattern {
  /** A short name reported in the result, e.g. `kz-ministry-notice`. */
  name: string
  status?: number
  /** Header name (any case) and a pattern its value must match (`location` catches a redirect to a notice host). */
  header?: { name: string; pattern: string | RegExp }
  /** Searched in the bytes read (up to the body cap), decoded with @vigil/charset. A string matches case-insensitively. */
  body?: string | RegExp
  /**
   * The hops it applies to: `any` (the default) every response of the redirect chain, `first` the response
   * to the URL probed, `final` the response that was not a redirect.
   */
  hop?: BlockPageHopScope
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
  /**
   * DNS server (`host:port`) names are resolved through for connections, instead of the system resolver;
   * its A and AAAA answers are all tried (Happy Eyeballs).
   */
  resolver?: string
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

/** One TCP connection attempt of a Happy Eyeballs dial (RFC 8305), in the order attempts started. */
export interface ConnectAttempt {
  address: string
  family: 4 | 6
  /** When the attempt started, from the first attempt's start, in milliseconds. */
  startMs: number
  /** How long the attempt took to connect; null when it never did. */
  connectMs: number | null
  /** OONI failure string of this attempt; null unless `outcome` is `failed`. */
  failure: FailureString | null
  /**
   * `connected`: this attempt's connection was used; `failed`: it failed (see `failure`); `abandoned`: it was
   * still running, or connected later, when another address had won; `pending` only while the dial runs.
   */
  outcome: 'connected' | 'failed' | 'abandoned' | 'pending'
}

export interface TcpDetails {
  /** The address the connection was made to (the winning attempt), null when none connected. */
  address: string | null
  /** Every address the name resolved to, in the order they were to be tried (families interleaved). */
  addresses: string[]
  /** Every connection attempt made, each with its address and OONI failure. */
  attempts: ConnectAttempt[]
  dnsMs: number | null
  /** From the first attempt's start to the established connection. */
  connectMs: number | null
}

/** A certificate as evidence: who it names, who issued it, when it is valid, its fingerprint. */
export interface CertificateSummary {
  /** Subject and issuer distinguished names, one `key=value` per line as Node prints them, at most 512 characters. */
  subject: string
  issuer: string
  serialNumber: string
  /** ISO 8601. */
  notBefore: string | null
  notAfter: string | null
  /** SHA-256 of the DER, lowercase hex. */
  sha256: string
  /** The subjectAltName extension as Node prints it, at most 1024 characters. */
  subjectAltName: string | null
}

export interface TlsDetails extends TcpDetails {
  servername: string
  protocol: string | null
  cipher: string | null
  handshakeMs: number | null
  /** SHA-256 of the leaf certificate's DER, lowercase hex. Kept on verification failure: that is the evidence. */
  leafSha256: string | null
  /**
   * Earliest notAfter among the certificates the server sent, ISO 8601 (blackbox_exporter's
   * probe_ssl_earliest_cert_expiry, which reads the peer certificates, never the local trust store).
   */
  earliestCertExpiry: string | null
  /** The certificates the server sent, in the order it sent them (leaf first), at most 16. */
  sentChain: CertificateSummary[]
  /**
   * The path that verified, leaf to trust anchor, as OpenSSL built it (it may end in a root from the local
   * store that the server never sent, or skip a sent certificate); null when verification failed.
   */
  verifiedChain: CertificateSummary[] | null
  /** Earliest notAfter on the verified path (blackbox's probe_ssl_last_chain_expiry_timestamp_seconds). */
  lastChainExpiry: string | null
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

/** What the HTTP probe was doing, for telling a timeout before any answer from one during the body. */
export type HttpPhase = 'dns' | 'connect' | 'tls' | 'headers' | 'body'

/** One request of a redirect chain, as evidence: what came back and from where. */
export interface HttpHop {
  url: string
  statusCode: number | null
  /** The Location header of a redirect, at most 1024 characters. */
  location: string | null
  address: string | null
  attempts: ConnectAttempt[]
  /** Response headers, names in lower case: at most 32, 1024 characters a value, 8192 characters in all. */
  headers: Record<string, string>
  /** Body bytes kept (up to the cap; 64 KiB for a redirect). */
  bytesRead: number
  truncated: boolean
  /** The charset the body was decoded with and where it came from (see @vigil/charset). */
  charset: string | null
  charsetSource: string | null
  title: string | null
  /** Name of the block-page pattern this hop matched. */
  blockPage: string | null
  /** The failure that ended the chain at this hop, if it did. */
  failure: FailureString | null
}

export interface HttpDetails {
  url: string
  finalUrl: string
  statusCode: number | null
  redirects: number
  /** Every URL requested, in order. */
  chain: string[]
  /** Every request of the chain with its status, headers, title and block-page match, in order. */
  hops: HttpHop[]
  /** Summed over every hop, like blackbox_exporter's probe_http_duration_seconds{phase}. */
  timings: HttpTimings
  /** The address the last hop connected to. */
  address: string | null
  /** Every address the last hop's name resolved to, in the order tried. */
  addresses: string[]
  /** The last hop's connection attempts, each with its address and OONI failure. */
  attempts: ConnectAttempt[]
  /** Body bytes of the final response kept (up to the cap). */
  bytesRead: number
  /** Body bytes received over the whole chain, including what arrived past the cap in the last chunk. */
  bytesReceived: number
  /** Time to first byte of the last request: connection established to response headers, in ms. */
  firstByteMs: number | null
  /** Final body bytes per second of transfer time; null before any body byte. */
  transferBytesPerSecond: number | null
  /**
   * Set when the probe timed out: the phase it was in. `body` means the status had arrived and the body was
   * still flowing (a slow or throttled transfer), unlike `connect` or `headers` (no answer at all).
   */
  timeoutPhase: HttpPhase | null
  /** The body was longer than the cap and reading stopped there. Not a failure: the site answered. */
  truncated: boolean
  /** The charset the final body was decoded with, and where that came from. */
  charset: string | null
  charsetSource: string | null
  title: string | null
  /** Name of the first block-page pattern that matched, on any hop. */
  blockPage: string | null
  /** Index in `hops` of the hop that matched. */
  blockPageHop: number | null
  /** For https hops: the last TLS handshake's facts. */
  tls: Pick<
    TlsDetails,
    | 'protocol'
    | 'cipher'
    | 'leafSha256'
    | 'earliestCertExpiry'
    | 'sentChain'
    | 'verifiedChain'
    | 'lastChainExpiry'
    | 'verifyError'
  > | null
}

/**
 * Every probe's result is the contracts' probed measurement (packages/model) with its kind and details
 * narrowed; `ok` is true exactly when `failure` is null.
 */
type ResultBase<K extends ProbeKind, D> = ProbedMeasurement<K, D> & { failure: FailureString | null }

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
