// The JSON shape of `vigil tls-check --json`, and the expiry figures behind
// probe_ssl_earliest_cert_expiry, derived from one observation and its verdict.

import type { TlsCapture, TlsObservation, TlsReport, TlsVerdict } from './types.js'

export function toReport(observation: TlsObservation, verdict: TlsVerdict): TlsReport {
  return {
    host: observation.host,
    port: observation.port,
    servername: observation.servername,
    vantage: observation.vantage ?? null,
    capturedAt: observation.capturedAt,
    verdict: verdict.verdict,
    failure: verdict.failure,
    verified: observation.verified,
    verifiedChain:
      observation.verifiedChain?.map((cert) => ({
        subject: cert.subject,
        sha256: cert.sha256,
        notAfter: cert.notAfter,
      })) ?? null,
    protocol: observation.protocol,
    cipher: observation.cipher,
    chain: observation.chain.map((cert, index) => ({
      sha256: cert.sha256,
      spkiSha256: cert.spkiSha256,
      subject: cert.subject,
      issuer: cert.issuer,
      // Only a certificate that is itself on the list is marked; "issued by" matches are in knownMatches.
      knownInterception:
        verdict.knownMatches.find((m) => m.chainIndex === index && m.kind !== 'issuer_key_id')?.entry ?? null,
      subjectAltNames: cert.subjectAltNames,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      keyType: cert.keyType,
      keySize: cert.keySize,
      rsaPublicExponent: cert.rsaPublicExponent,
    })),
    knownMatches: verdict.knownMatches,
    evidence: verdict.evidence,
  }
}

/**
 * Unix seconds of the leaf's expiry and of the earliest expiry among the certificates the server sent
 * (blackbox_exporter's probe_ssl_earliest_cert_expiry reads the peer certificates, never the local trust
 * store); null without a chain.
 */
export function earliestExpiry(capture: TlsCapture): { leaf: number | null; chain: number | null } {
  const expiries = capture.chain.map((cert) => Date.parse(cert.notAfter) / 1000)
  return { leaf: expiries[0] ?? null, chain: expiries.length > 0 ? Math.min(...expiries) : null }
}
