// The known-interception list: the Kazakh roots shipped in data/, plus entries from config, and the
// lookup that says whether a presented chain contains (or was issued by) one of them.

import { readdirSync, readFileSync } from 'node:fs'
import { VigilError } from '@vigil/errors'
import { certificatesFromPem, describeCertificate, normalizeFingerprint } from './certificate.js'
import type { CertificateFacts, KnownInterceptionEntry, KnownInterceptionMatch } from './types.js'

const SHIPPED_ROOTS = new URL('../data/known-interception-roots/', import.meta.url)
const SHIPPED_SOURCE =
  'Chromium certificate blocklist (net/data/ssl/blocklist, "Qaznet Trust Network"); ' +
  'Mozilla OneCRL bugs 1569803, 1680927, 1688277, 1879046'

/** An entry as written in config: a name and at least one fingerprint, or a PEM to compute them from. */
export interface KnownInterceptionInput {
  name: string
  certSha256?: string
  spkiSha256?: string
  pem?: string
  source?: string
}

/**
 * The shipped roots followed by `extra`. Fingerprints are computed from the PEMs rather than taken
 * from file names: one shipped file is named by its SPKI hash, and both hashes are wanted anyway.
 */
export function loadKnownInterceptionList(
  extra: readonly KnownInterceptionInput[] = [],
): KnownInterceptionEntry[] {
  const shipped = readdirSync(SHIPPED_ROOTS)
    .filter((file) => file.endsWith('.pem'))
    .sort()
    .flatMap((file) =>
      certificatesFromPem(readFileSync(new URL(file, SHIPPED_ROOTS), 'utf8')).map((der) =>
        entryFromCertificate(describeCertificate(der), undefined, SHIPPED_SOURCE),
      ),
    )
  return [...shipped, ...extra.flatMap(entriesFromInput)]
}

function entriesFromInput(input: KnownInterceptionInput): KnownInterceptionEntry[] {
  const source = input.source ?? 'config'
  if (input.pem !== undefined) {
    const certificates = certificatesFromPem(input.pem)
    if (certificates.length === 0) throw invalidEntry(input.name, 'its pem holds no CERTIFICATE block')
    return certificates.map((der, i) =>
      entryFromCertificate(
        describeCertificate(der),
        certificates.length === 1 ? input.name : `${input.name} #${i + 1}`,
        source,
      ),
    )
  }
  const entry: KnownInterceptionEntry = { name: input.name, source }
  if (input.certSha256 !== undefined) entry.certSha256 = checkedFingerprint(input.name, input.certSha256)
  if (input.spkiSha256 !== undefined) entry.spkiSha256 = checkedFingerprint(input.name, input.spkiSha256)
  if (!entry.certSha256 && !entry.spkiSha256)
    throw invalidEntry(input.name, 'it has neither certSha256 nor spkiSha256')
  return [entry]
}

function entryFromCertificate(
  cert: CertificateFacts,
  name: string | undefined,
  source: string,
): KnownInterceptionEntry {
  const entry: KnownInterceptionEntry = {
    name: name ?? defaultName(cert),
    certSha256: cert.sha256,
    spkiSha256: cert.spkiSha256,
    subject: cert.subject,
    source,
  }
  if (cert.subjectKeyId) entry.subjectKeyId = cert.subjectKeyId
  return entry
}

// Several ISCA roots share one subject, so the name carries the start of the certificate hash.
function defaultName(cert: CertificateFacts): string {
  const attribute = (key: string) =>
    cert.subject
      .split(', ')
      .find((part) => part.startsWith(`${key}=`))
      ?.slice(key.length + 1)
  const organization = attribute('O')
  const commonName = attribute('CN') ?? cert.subject
  const label =
    organization && !commonName.includes(organization) ? `${organization} ${commonName}` : commonName
  return `${label} (${cert.sha256.slice(0, 8)})`
}

function checkedFingerprint(name: string, value: string): string {
  const fingerprint = normalizeFingerprint(value)
  if (!/^[0-9a-f]{64}$/.test(fingerprint))
    throw invalidEntry(name, `${JSON.stringify(value)} is not a SHA-256`)
  return fingerprint
}

function invalidEntry(name: string, why: string): VigilError {
  return new VigilError('interception.invalid_known_entry', `Known-interception entry "${name}": ${why}`, {
    hint: 'Give certSha256 and/or spkiSha256 as 64 hex digits (colons allowed), or a pem with the certificate.',
  })
}

/**
 * Every way the presented chain touches the list. A certificate matches by its own hash or its key's;
 * a certificate whose issuer name and authority key identifier equal a listed root's was issued by
 * that root, which catches interceptors that send only the leaf and intermediate. Names alone never
 * match: several ISCA roots share one name with different keys.
 */
export function matchKnownInterception(
  chain: readonly CertificateFacts[],
  list: readonly KnownInterceptionEntry[],
): KnownInterceptionMatch[] {
  const matches: KnownInterceptionMatch[] = []
  chain.forEach((cert, chainIndex) => {
    for (const entry of list) {
      if (entry.certSha256 === cert.sha256) {
        matches.push({ entry: entry.name, kind: 'certificate', chainIndex, certSha256: cert.sha256 })
      } else if (entry.spkiSha256 === cert.spkiSha256) {
        matches.push({ entry: entry.name, kind: 'spki', chainIndex, certSha256: cert.sha256 })
      }
    }
  })
  const matchedEntries = new Set(matches.map((m) => m.entry))
  chain.forEach((cert, chainIndex) => {
    if (cert.selfIssued || !cert.authorityKeyId) return
    for (const entry of list) {
      if (matchedEntries.has(entry.name) || !entry.subjectKeyId) continue
      if (
        entry.subjectKeyId === cert.authorityKeyId &&
        (entry.subject === undefined || entry.subject === cert.issuer)
      ) {
        matches.push({ entry: entry.name, kind: 'issuer_key_id', chainIndex, certSha256: cert.sha256 })
        matchedEntries.add(entry.name)
      }
    }
  })
  return matches
}
