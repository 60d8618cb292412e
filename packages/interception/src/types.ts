// The data that flows through interception checks: what a capture saw, what the known list holds,
// and the verdict with its evidence. All plain JSON so observations can be stored and re-classified.

/** OONI failure strings (df-007-errors) a TLS capture can end with. */
export type TlsFailure =
  | 'ssl_unknown_authority'
  | 'ssl_invalid_hostname'
  | 'ssl_invalid_certificate'
  | 'ssl_failed_handshake'
  | 'generic_timeout_error'
  | 'connection_refused'
  | 'connection_reset'
  | 'eof_error'
  | 'dns_nxdomain_error'
  | 'host_unreachable'
  | 'network_unreachable'
  | 'interrupted'
  | 'unknown_failure'

/** What one certificate of a presented chain says about itself. Times are ISO 8601 in UTC. */
export interface CertificateFacts {
  /** SHA-256 of the DER certificate, lowercase hex. */
  sha256: string
  /** SHA-256 of the DER SubjectPublicKeyInfo as encoded in the certificate, lowercase hex. */
  spkiSha256: string
  /** Distinguished name as `C=KZ, CN=Qaznet Trust Network`, in the certificate's own order. */
  subject: string
  issuer: string
  /** `DNS:example.org`, `IP:192.0.2.1`, `URI:...`, `email:...`. */
  subjectAltNames: string[]
  /** Serial number, lowercase hex without leading zero octets. */
  serialNumber: string
  notBefore: string
  notAfter: string
  /** `rsa`, `ec`, `ed25519`, ...; the SPKI algorithm OID when node cannot load the key (e.g. GOST). */
  keyType: string
  /** Modulus bits for RSA/DSA, curve bits for EC and EdDSA. */
  keySize: number | null
  rsaPublicExponent: number | null
  /** Subject name equals issuer name: a root, or a leaf signed by its own key. */
  selfIssued: boolean
  /** basicConstraints cA flag; null when the extension is absent. */
  isCa: boolean | null
  subjectKeyId: string | null
  authorityKeyId: string | null
  /** OIDs of every extension present, in certificate order. */
  extensions: string[]
  hasAuthorityInfoAccess: boolean
  hasSctList: boolean
  hasBasicConstraints: boolean
  /** The certificate itself, base64 DER, so a stored observation can be re-examined later. */
  der: string
}

export interface TlsTarget {
  host: string
  port: number
  /** The SNI sent; certificates are compared per SNI. */
  servername: string
}

/** What one TLS handshake showed. `chain` is empty exactly when the handshake did not complete. */
export interface TlsCapture extends TlsTarget {
  capturedAt: string
  durationMs: number
  protocol: string | null
  cipher: string | null
  /** The certificates the server sent, in its order, leaf first (see captureChain). */
  chain: CertificateFacts[]
  /**
   * The path that verified, leaf to trust anchor (which may be a store root the server did not send); null
   * when the chain did not verify, or for observations stored before it was recorded.
   */
  verifiedChain?: CertificateFacts[] | null
  /** The chain verifies against the trust store and the leaf is valid for the SNI. */
  verified: boolean
  /** Null when verified; the OONI failure string otherwise (also for a completed handshake). */
  failure: TlsFailure | null
  /** OpenSSL's verification code or the socket error code, for the logs (never a metric label). */
  errorCode: string | null
  trustStore: 'mozilla' | 'custom'
}

/** A capture placed in a run: which vantage took it in which scheduling round. */
export interface TlsObservation extends TlsCapture {
  vantage?: string | null
  round?: string | null
}

export interface KnownInterceptionEntry {
  name: string
  certSha256?: string
  spkiSha256?: string
  /** Hex subject key identifier, so a chain issued by the root is caught even when the root is not sent. */
  subjectKeyId?: string
  /** Subject of the root, compared together with the key identifier, never alone. */
  subject?: string
  source: string
}

export type KnownMatchKind = 'certificate' | 'spki' | 'issuer_key_id'

export interface KnownInterceptionMatch {
  entry: string
  kind: KnownMatchKind
  /** Position in the presented chain of the certificate that matched (or that was issued by the entry). */
  chainIndex: number
  certSha256: string
}

export type TlsVerdictKind =
  | 'known_interception'
  | 'control_mismatch'
  | 'untrusted_root'
  | 'ok'
  | 'handshake_failed'

export type EvidenceKind =
  | 'known_interception_certificate'
  | 'known_interception_spki'
  | 'issued_by_known_interception'
  | 'chain_not_verified'
  | 'leaf_differs_from_control'
  | 'issuer_differs_from_control'
  | 'matches_control'
  | 'control_unavailable'
  | 'spki_not_pinned'
  | 'low_rsa_exponent'
  | 'backdated_validity'
  | 'validity_before_issuer'
  | 'missing_aia'
  | 'missing_sct'
  | 'copied_subject'
  | 'self_signed_leaf'

export interface Evidence {
  kind: EvidenceKind
  /** One line a person can read. */
  detail: string
}

export interface TlsVerdict {
  target: TlsTarget
  vantage: string | null
  round: string | null
  verdict: TlsVerdictKind
  failure: TlsFailure | null
  knownMatches: KnownInterceptionMatch[]
  evidence: Evidence[]
  /**
   * SPKI SHA-256 of the certificate that stands for the interceptor: the matched known entry, else the
   * top of the presented chain (an interceptor reuses its CA key across every host it intercepts).
   * Null when no chain was seen.
   */
  interceptorSpki: string | null
  /** Subject of that certificate, for people. */
  interceptorSubject: string | null
}

/** Several verdicts that show one interceptor, from one vantage, in one round. */
export interface InterceptionFinding {
  key: string
  vantage: string | null
  round: string | null
  verdict: TlsVerdictKind
  interceptorSpki: string
  interceptorSubject: string | null
  knownInterception: string | null
  /** SNI names affected, sorted. */
  hosts: string[]
  targets: TlsTarget[]
  evidenceKinds: EvidenceKind[]
}

export interface TlsReportCertificate {
  sha256: string
  spkiSha256: string
  subject: string
  issuer: string
  knownInterception: string | null
  subjectAltNames: string[]
  notBefore: string
  notAfter: string
  keyType: string
  keySize: number | null
  rsaPublicExponent: number | null
}

/** The JSON printed by `vigil tls-check --json`. */
export interface TlsReport {
  host: string
  port: number
  servername: string
  vantage: string | null
  capturedAt: string
  verdict: TlsVerdictKind
  failure: TlsFailure | null
  verified: boolean
  /**
   * The path that verified, leaf to trust anchor, as subject and SHA-256; null when nothing verified.
   * `chain` is what the server sent.
   */
  verifiedChain: Array<{ subject: string; sha256: string; notAfter: string }> | null
  protocol: string | null
  cipher: string | null
  chain: TlsReportCertificate[]
  knownMatches: KnownInterceptionMatch[]
  evidence: Evidence[]
}
