// Turns one DER certificate into the facts a verdict needs. node's X509Certificate gives names and key
// details; the DER walk gives what it hides (extension list, key identifiers, raw SPKI, exact times).

import { createHash, X509Certificate } from 'node:crypto'
import { VigilError } from '@vigil/errors'
import { childrenOf, contentOf, DER_TAG, type DerExtension, parseCertificateDer, readElement } from './der.js'
import type { CertificateFacts } from './types.js'

export const EXTENSION_OID = {
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  sctList: '1.3.6.1.4.1.11129.2.4.2',
  basicConstraints: '2.5.29.19',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  subjectAltName: '2.5.29.17',
} as const

const CURVE_BITS: Record<string, number> = {
  prime256v1: 256,
  secp384r1: 384,
  secp521r1: 521,
  secp256k1: 256,
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/** Lowercase hex without separators, so `AB:CD` from a config file equals `abcd` from a capture. */
export function normalizeFingerprint(value: string): string {
  return value.replace(/[:\s]/g, '').toLowerCase()
}

export function describeCertificate(der: Uint8Array): CertificateFacts {
  const bytes = Buffer.from(der)
  const parsed = parseCertificateDer(bytes)
  let x509: X509Certificate
  try {
    x509 = new X509Certificate(bytes)
  } catch (cause) {
    throw new VigilError('interception.bad_certificate', 'node could not parse a presented certificate', {
      hint: 'The raw certificate is kept in the observation; check it with another X.509 parser.',
      cause,
    })
  }
  const extension = (oid: string): DerExtension | undefined => parsed.extensions.find((e) => e.oid === oid)
  const basicConstraints = extension(EXTENSION_OID.basicConstraints)
  const san = extension(EXTENSION_OID.subjectAltName)
  const ski = extension(EXTENSION_OID.subjectKeyIdentifier)
  const aki = extension(EXTENSION_OID.authorityKeyIdentifier)
  return {
    sha256: sha256Hex(bytes),
    spkiSha256: sha256Hex(parsed.spkiDer),
    subject: oneLineName(x509.subject),
    issuer: oneLineName(x509.issuer),
    subjectAltNames: san ? decodeGeneralNames(san.value) : [],
    serialNumber: parsed.serialHex,
    notBefore: parsed.notBefore.toISOString(),
    notAfter: parsed.notAfter.toISOString(),
    ...describeKey(x509, parsed.spkiAlgorithmOid),
    selfIssued: parsed.subjectDer.equals(parsed.issuerDer),
    isCa: basicConstraints ? decodeBasicConstraintsCa(basicConstraints.value) : null,
    subjectKeyId: ski ? decodeSubjectKeyId(ski.value) : null,
    authorityKeyId: aki ? decodeAuthorityKeyId(aki.value) : null,
    extensions: parsed.extensions.map((e) => e.oid),
    hasAuthorityInfoAccess: extension(EXTENSION_OID.authorityInfoAccess) !== undefined,
    hasSctList: extension(EXTENSION_OID.sctList) !== undefined,
    hasBasicConstraints: basicConstraints !== undefined,
    der: bytes.toString('base64'),
  }
}

/** Reads every certificate in a PEM bundle. */
export function certificatesFromPem(pem: string): Buffer[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  return blocks.map((block) => Buffer.from(block.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'))
}

// node prints one attribute per line; a report wants the usual comma-separated form.
function oneLineName(name: string): string {
  return name.split('\n').filter(Boolean).join(', ')
}

function describeKey(
  x509: X509Certificate,
  algorithmOid: string,
): Pick<CertificateFacts, 'keyType' | 'keySize' | 'rsaPublicExponent'> {
  let key: X509Certificate['publicKey']
  try {
    key = x509.publicKey
  } catch {
    // Algorithms OpenSSL does not load (GOST, national curves) still get compared by their SPKI hash.
    return { keyType: algorithmOid, keySize: null, rsaPublicExponent: null }
  }
  const type = key.asymmetricKeyType ?? algorithmOid
  const details = key.asymmetricKeyDetails ?? {}
  let keySize: number | null = details.modulusLength ?? null
  if (keySize === null && details.namedCurve) keySize = CURVE_BITS[details.namedCurve] ?? null
  if (keySize === null && type === 'ed25519') keySize = 256
  if (keySize === null && type === 'ed448') keySize = 448
  const exponent = type === 'rsa' || type === 'rsa-pss' ? details.publicExponent : undefined
  return { keyType: type, keySize, rsaPublicExponent: exponent === undefined ? null : Number(exponent) }
}

function decodeBasicConstraintsCa(value: Buffer): boolean {
  const sequence = readElement(value, 0)
  const first = childrenOf(value, sequence)[0]
  return first?.tag === DER_TAG.boolean && value[first.contentStart] !== 0
}

function decodeSubjectKeyId(value: Buffer): string | null {
  const octets = readElement(value, 0)
  return octets.tag === DER_TAG.octetString ? contentOf(value, octets).toString('hex') : null
}

function decodeAuthorityKeyId(value: Buffer): string | null {
  const sequence = readElement(value, 0)
  const keyIdentifier = childrenOf(value, sequence).find((child) => child.tag === 0x80)
  return keyIdentifier ? contentOf(value, keyIdentifier).toString('hex') : null
}

// GeneralName choices are context-tagged; only the ones a TLS name check uses are kept.
function decodeGeneralNames(value: Buffer): string[] {
  const names: string[] = []
  for (const name of childrenOf(value, readElement(value, 0))) {
    const content = contentOf(value, name)
    if (name.tag === 0x82) names.push(`DNS:${content.toString('latin1')}`)
    else if (name.tag === 0x87) names.push(`IP:${formatIp(content)}`)
    else if (name.tag === 0x86) names.push(`URI:${content.toString('latin1')}`)
    else if (name.tag === 0x81) names.push(`email:${content.toString('latin1')}`)
  }
  return names
}

function formatIp(octets: Buffer): string {
  if (octets.length === 4) return Array.from(octets).join('.')
  if (octets.length === 16) {
    const groups: string[] = []
    for (let i = 0; i < 16; i += 2) groups.push(octets.readUInt16BE(i).toString(16))
    return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')
  }
  return octets.toString('hex')
}
