// A small DER reader for X.509: just enough to reach the TBSCertificate fields and extensions that
// node's X509Certificate does not expose (extension OIDs, SCT list, key identifiers, raw SPKI bytes).

import { VigilError } from '@vigil/errors'

/** One tag-length-value element, positions are offsets into the buffer it was read from. */
export interface DerElement {
  /** The identifier octet (class, constructed bit and tag number; only low tag numbers occur in X.509). */
  tag: number
  start: number
  contentStart: number
  end: number
}

export const DER_TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
} as const

function malformed(what: string): VigilError {
  return new VigilError('interception.malformed_der', `Malformed DER: ${what}`, {
    hint: 'The certificate bytes are truncated or not DER; store the raw capture and report it.',
  })
}

export function readElement(buf: Uint8Array, offset: number, limit = buf.length): DerElement {
  if (offset + 2 > limit) throw malformed(`element header past the end at offset ${offset}`)
  const tag = buf[offset]!
  if ((tag & 0x1f) === 0x1f) throw malformed(`high tag number at offset ${offset}`)
  let length = buf[offset + 1]!
  let contentStart = offset + 2
  if (length & 0x80) {
    const octets = length & 0x7f
    // Four length octets already allow 4 GiB, far beyond any certificate; more means garbage.
    if (octets === 0 || octets > 4) throw malformed(`unsupported length encoding at offset ${offset}`)
    if (contentStart + octets > limit) throw malformed(`length past the end at offset ${offset}`)
    length = 0
    for (let i = 0; i < octets; i++) length = length * 256 + buf[contentStart + i]!
    contentStart += octets
  }
  const end = contentStart + length
  if (end > limit) throw malformed(`content past the end at offset ${offset}`)
  return { tag, start: offset, contentStart, end }
}

/** The elements directly inside a constructed element. */
export function childrenOf(buf: Uint8Array, parent: DerElement): DerElement[] {
  const children: DerElement[] = []
  let offset = parent.contentStart
  while (offset < parent.end) {
    const child = readElement(buf, offset, parent.end)
    children.push(child)
    offset = child.end
  }
  return children
}

export function contentOf(buf: Uint8Array, element: DerElement): Buffer {
  return Buffer.from(buf.subarray(element.contentStart, element.end))
}

export function bytesOf(buf: Uint8Array, element: DerElement): Buffer {
  return Buffer.from(buf.subarray(element.start, element.end))
}

export function decodeOid(content: Uint8Array): string {
  const arcs: number[] = []
  let value = 0
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f)
    if (!(byte & 0x80)) {
      if (arcs.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2
        arcs.push(first, value - first * 40)
      } else {
        arcs.push(value)
      }
      value = 0
    }
  }
  return arcs.join('.')
}

/** UTCTime (two-digit year, 1950–2049 per RFC 5280) or GeneralizedTime, both in UTC. */
export function decodeTime(tag: number, content: Uint8Array): Date {
  const text = Buffer.from(content).toString('latin1')
  const match =
    tag === DER_TAG.utcTime
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(text)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/.exec(text)
  if (!match) throw malformed(`time value ${JSON.stringify(text)}`)
  let year = Number(match[1])
  if (tag === DER_TAG.utcTime) year += year >= 50 ? 1900 : 2000
  return new Date(
    Date.UTC(
      year,
      Number(match[2]) - 1,
      Number(match[3]),
      Number(match[4]),
      Number(match[5]),
      Number(match[6] ?? 0),
    ),
  )
}

export interface DerExtension {
  oid: string
  critical: boolean
  /** The DER inside extnValue's OCTET STRING. */
  value: Buffer
}

/** The fields of a certificate as laid out in its TBSCertificate, kept as raw DER where that is what gets hashed. */
export interface ParsedCertificateDer {
  serialHex: string
  issuerDer: Buffer
  subjectDer: Buffer
  notBefore: Date
  notAfter: Date
  /** SubjectPublicKeyInfo exactly as encoded in the certificate: what SPKI pins and blocklists hash. */
  spkiDer: Buffer
  spkiAlgorithmOid: string
  extensions: DerExtension[]
}

export function parseCertificateDer(der: Uint8Array): ParsedCertificateDer {
  const certificate = readElement(der, 0)
  if (certificate.tag !== DER_TAG.sequence) throw malformed('certificate is not a SEQUENCE')
  const tbs = childrenOf(der, certificate)[0]
  if (!tbs || tbs.tag !== DER_TAG.sequence) throw malformed('missing TBSCertificate')
  const fields = childrenOf(der, tbs)
  // version is [0] EXPLICIT and absent for v1 certificates, so every later index shifts by one.
  let index = fields[0]?.tag === 0xa0 ? 1 : 0
  const serial = fields[index++]
  index++ // signature algorithm, repeated outside the TBS where node reports it anyway
  const issuer = fields[index++]
  const validity = fields[index++]
  const subject = fields[index++]
  const spki = fields[index++]
  if (!serial || !issuer || !validity || !subject || !spki)
    throw malformed('TBSCertificate is missing fields')
  const [notBefore, notAfter] = childrenOf(der, validity)
  if (!notBefore || !notAfter) throw malformed('validity is missing a time')
  const algorithm = childrenOf(der, spki)[0]
  const algorithmOid = algorithm ? childrenOf(der, algorithm)[0] : undefined
  if (!algorithmOid || algorithmOid.tag !== DER_TAG.oid) throw malformed('SPKI has no algorithm OID')

  const extensions: DerExtension[] = []
  for (const field of fields.slice(index)) {
    if (field.tag !== 0xa3) continue // [1] and [2] are unique identifiers, long obsolete
    const list = childrenOf(der, field)[0]
    if (!list) continue
    for (const extension of childrenOf(der, list)) {
      const parts = childrenOf(der, extension)
      const oid = parts[0]
      const value = parts[parts.length - 1]
      if (!oid || oid.tag !== DER_TAG.oid || !value || value.tag !== DER_TAG.octetString) {
        throw malformed('extension without OID or value')
      }
      const critical =
        parts.length === 3 && parts[1]!.tag === DER_TAG.boolean && der[parts[1]!.contentStart] !== 0
      extensions.push({ oid: decodeOid(contentOf(der, oid)), critical, value: contentOf(der, value) })
    }
  }

  return {
    serialHex: contentOf(der, serial)
      .toString('hex')
      .replace(/^(00)+(?=.)/, ''),
    issuerDer: bytesOf(der, issuer),
    subjectDer: bytesOf(der, subject),
    notBefore: decodeTime(notBefore.tag, contentOf(der, notBefore)),
    notAfter: decodeTime(notAfter.tag, contentOf(der, notAfter)),
    spkiDer: bytesOf(der, spki),
    spkiAlgorithmOid: decodeOid(contentOf(der, algorithmOid)),
    extensions,
  }
}
