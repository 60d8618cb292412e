// The path that verified, rebuilt from the certificates the server sent and the trust anchors in use. Node
// exposes no verified chain (OpenSSL's SSL_get0_verified_chain): its `getPeerCertificate(true)` walks issuers
// by name through the sent certificates and then the trust store, and so can end in a retired root the
// verifier never used (an expired root that once cross-signed the current one).
import { X509Certificate } from 'node:crypto'
import { rootCertificates } from 'node:tls'
import type { CaList } from './types.js'

/** Certificates on a path at most; deeper paths are not built (OpenSSL's default depth limit is 100). */
const MAX_PATH = 16

export interface TrustAnchors {
  /** Anchors by subject name, for issuer lookup. */
  bySubject: Map<string, X509Certificate[]>
  /** DER (base64) of every anchor, to recognise a sent certificate that is itself an anchor. */
  der: Set<string>
}

const parsed = new Map<CaList | 'default', TrustAnchors>()

/**
 * The trust anchors for `ca` (Node's bundled roots when undefined), parsed once per list. Certificates that
 * do not parse are skipped: OpenSSL, too, ignores what it cannot read in a CA file.
 */
export function trustAnchors(ca: CaList | undefined): TrustAnchors {
  const key = ca ?? 'default'
  const cached = parsed.get(key)
  if (cached !== undefined) return cached
  const pems = ca === undefined ? [...rootCertificates] : Array.isArray(ca) ? ca : [ca]
  const anchors: TrustAnchors = { bySubject: new Map(), der: new Set() }
  for (const pem of pems) {
    for (const block of String(pem).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ??
      []) {
      try {
        const cert = new X509Certificate(block)
        const list = anchors.bySubject.get(cert.subject) ?? []
        list.push(cert)
        anchors.bySubject.set(cert.subject, list)
        anchors.der.add(cert.raw.toString('base64'))
      } catch {
        // not a certificate
      }
    }
  }
  // Lists built per call (a test's inline PEM) would grow the cache without bound; keep it small.
  if (parsed.size > 64) parsed.clear()
  parsed.set(key, anchors)
  return anchors
}

function validAt(cert: X509Certificate, at: number): boolean {
  return Date.parse(cert.validFrom) <= at && at <= Date.parse(cert.validTo)
}

function issues(issuer: X509Certificate, subject: X509Certificate, at: number): boolean {
  return validAt(issuer, at) && subject.checkIssued(issuer) && subject.verify(issuer.publicKey)
}

/**
 * Leaf to anchor, as OpenSSL (1.1.0 and later) builds it: at each step a trust anchor that issued the
 * current certificate is preferred ("trusted first"), then a sent certificate; issuers must be valid at
 * `at` and their signature must check. Returns null when no path reaches an anchor. Only called on a chain
 * OpenSSL already verified, to say which path that was.
 */
export function buildVerifiedPath(
  sent: readonly X509Certificate[],
  anchors: TrustAnchors,
  at: number = Date.now(),
): X509Certificate[] | null {
  const leaf = sent[0]
  if (leaf === undefined) return null
  const path: X509Certificate[] = [leaf]
  const used = new Set<X509Certificate>([leaf])
  while (path.length < MAX_PATH) {
    const current = path[path.length - 1]!
    if (anchors.der.has(current.raw.toString('base64'))) return path
    const anchor = anchors.bySubject.get(current.issuer)?.find((candidate) => issues(candidate, current, at))
    if (anchor !== undefined) {
      path.push(anchor)
      return path
    }
    const next = sent.find((candidate) => !used.has(candidate) && issues(candidate, current, at))
    if (next === undefined) return null
    used.add(next)
    path.push(next)
  }
  return null
}
